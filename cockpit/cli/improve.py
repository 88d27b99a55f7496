"""``cockpit chaos``, ``cockpit toil``, ``cockpit capacity``: the seed's improvement loops (chaos experiments and
Game Days, the toil inventory and budget, capacity models) from YAML files, checked with file:line:column."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cockpit.cli.common import AppContext, emit_json, json_option, pass_ctx
from cockpit.errors import InvalidInput

if TYPE_CHECKING:  # imported when a command runs: the CLI starts quickly
    from cockpit.domain.capacity import CapacityModel
    from cockpit.domain.chaos import Experiment
    from cockpit.domain.toil import ToilInventory
    from cockpit.service.improve_files import Loaded


def _paths(app: AppContext, kind: str, given: Sequence[Path]) -> list[Path]:
    from cockpit.service.improve_files import folders

    if given:
        return list(given)
    found = folders(kind, getattr(app.config(), f"{kind}_dirs"))
    if not found:
        raise InvalidInput(f"No {kind} files given and no {kind}_dirs in the config file (or COCKPIT_"
                           f"{kind.upper()}_DIRS); name the files or folders.")
    return found


def _report_problems(problems: Sequence[Any], valid: int, what: str) -> None:
    from cockpit.textsafe import one_line

    for problem in problems:
        click.echo(one_line(str(problem)), err=True)
    if problems:
        files = len({p.file for p in problems})
        click.echo(f"{len(problems)} problem(s) in {files} file(s); {valid} {what} valid.", err=True)
        sys.exit(1)


# --- chaos --------------------------------------------------------------------------------------
def _chaos() -> None:
    """Chaos experiments (the seed's template and library) and each service's chaos maturity.

    \b
    Experiment files (YAML) live in the folders under chaos_dirs in the config file (or
    COCKPIT_CHAOS_DIRS). Walk one as a Game Day in the cockpit: G, then Enter on the experiment.
    """


chaos: click.Group = click.group("chaos")(_chaos)


@chaos.command("templates")
@json_option
def chaos_templates(as_json: bool) -> None:
    """The seed's Chaos Experiment Library: the 12 templates `chaos new --from` takes."""
    from cockpit.domain.chaos import LIBRARY

    if as_json:
        emit_json([{"template": e.slug, "category": e.category, "experiment": e.experiment,
                    "validates": e.validates} for e in LIBRARY])
        return
    for entry in LIBRARY:
        click.echo(f"{entry.slug:<20} {entry.category:<10} {entry.experiment}  (validates: {entry.validates})")


@chaos.command("new")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "template", required=True, metavar="TEMPLATE",
              help="A template of the library (`cockpit chaos templates`), e.g. db-latency-200ms.")
@click.option("--target", default="", metavar="SERVICE", help="The service the fault is aimed at.")
def chaos_new(file: Path, template: str, target: str) -> None:
    """Write a new experiment FILE from a template of the seed's library (never over an existing file)."""
    from cockpit.domain.chaos import LIBRARY, find_template, template_text
    from cockpit.domain.slo_spec import NAME
    from cockpit.textsafe import one_line

    entry = find_template(template)
    if entry is None:
        raise InvalidInput(f"There is no chaos template named '{one_line(template)[:60]}'; the library has "
                           f"{len(LIBRARY)}: {', '.join(e.slug for e in LIBRARY)}.")
    if target and not NAME.fullmatch(target):
        raise InvalidInput(f"'{one_line(target)[:60]}' is not a service name: letters, digits, '_', '.', '-'.")
    if file.exists():
        raise InvalidInput(f"{file} already exists; pick a new file name (nothing was written).")
    if not file.parent.exists():
        raise InvalidInput(f"The folder {file.parent} does not exist.")
    file.write_text(template_text(entry, target), encoding="utf-8")
    click.echo(f"Wrote {file} from {entry.slug}. Fill in the target, baseline and rollback_plan, then "
               f"`cockpit chaos validate {file}`.")


def _experiments(app: AppContext, paths: Sequence[Path]) -> Loaded[Experiment]:
    from cockpit.service.improve_files import experiments

    return experiments(_paths(app, "chaos", paths))


@chaos.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_ctx
def chaos_validate(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Check experiment files (or folders): each problem as file:line:column: field: problem. Exit 1 on any."""
    loaded = _experiments(app, paths)
    _report_problems(loaded.problems, len(loaded.items), "experiment(s)")
    click.echo(f"{len(loaded.items)} experiment(s) in {loaded.files} file(s) valid.")


@chaos.command("list")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@json_option
@pass_ctx
def chaos_list(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """The experiments (from PATHS, else chaos_dirs), with their target's chaos maturity level."""
    from cockpit.domain.chaos import MATURITY
    from cockpit.service.gamedays import GameDays
    from cockpit.textsafe import one_line

    loaded = _experiments(app, paths)
    services = sorted({e.target for _, e in loaded.items})
    levels = GameDays(app.service()).maturity(services, datetime.now(UTC).date())
    rows = [{"file": str(p), "name": e.name, "target": e.target, "fault_type": e.fault_type,
             "environment": e.environment, "outcome": e.results.outcome or None,
             "maturity": levels[e.target][0]} for p, e in loaded.items]
    if as_json:
        emit_json(rows)
    else:
        for (path, e), row in zip(loaded.items, rows, strict=True):
            level = levels[e.target][0]
            click.echo(one_line(f"{e.name}  [{e.target}, {e.fault_type}, {e.environment}]  "
                                f"{row['outcome'] or 'not run'}  maturity {level} ({MATURITY[level]})  {path}"))
        if not rows:
            click.echo("No valid experiments.")
    for problem in loaded.problems:
        click.echo(one_line(str(problem)), err=True)


@chaos.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_ctx
def chaos_show(app: AppContext, file: Path, as_json: bool) -> None:
    """One experiment in full, with the Game Day runbook and its target's maturity level."""
    from cockpit.domain.chaos import MATURITY, PRE_GAME, STAGES
    from cockpit.service.gamedays import GameDays
    from cockpit.service.improve_files import experiments
    from cockpit.textsafe import one_line

    loaded = experiments([file])
    _report_problems(loaded.problems, 0, "experiment(s)")
    if not loaded.items:
        raise InvalidInput(f"{file} holds no experiment.")
    _, e = loaded.items[0]
    level, why = GameDays(app.service()).maturity([e.target], datetime.now(UTC).date())[e.target]
    if as_json:
        emit_json({"name": e.name, "hypothesis": e.hypothesis, "target": e.target, "fault_type": e.fault_type,
                   "blast_radius": e.blast_radius, "duration_minutes": e.duration.total_seconds() / 60,
                   "environment": e.environment,
                   "steady_state": [{"name": m.name, "baseline": m.baseline, "acceptable_range": m.acceptable_range,
                                     "query": m.query or None} for m in e.metrics],
                   "abort_conditions": [{"name": a.name, "query": a.query or None} for a in e.abort_conditions],
                   "rollback_plan": e.rollback_plan, "required_approvals": list(e.approvals),
                   "results": {"outcome": e.results.outcome or None, "observations": list(e.results.observations),
                               "action_items": list(e.results.action_items)},
                   "maturity": {"level": level, "name": MATURITY[level], "why": why}})
        return
    out = [f"{e.name}", f"  hypothesis: {e.hypothesis}",
           f"  method: {e.fault_type} fault on {e.target} ({e.environment}), blast radius {e.blast_radius or '—'}, "
           f"for {int(e.duration.total_seconds() // 60)} min", "  steady state:"]
    out += [f"    - {m.name}: baseline {m.baseline or '—'}, acceptable {m.acceptable_range}"
            + (f"  [query: {m.query}]" if m.query else "  [by hand]") for m in e.metrics]
    out.append("  abort conditions:")
    out += [f"    - {a.name}" + (f"  [query: {a.query}]" if a.query else "  [by hand]") for a in e.abort_conditions]
    out += [f"  rollback plan: {e.rollback_plan}",
            f"  approvals: {', '.join(e.approvals) or '—'}",
            f"  results: {e.results.outcome or 'not run yet'}"]
    out += [f"    observation: {o}" for o in e.results.observations]
    out += [f"    action item: {a}" for a in e.results.action_items]
    out.append(f"  {e.target}: chaos maturity {level} ({MATURITY[level]}): {why}")
    out.append("  Game Day runbook:")
    out += [f"    {i}. {s.title}" for i, s in enumerate(STAGES, 1)]
    out.append(f"    (pre-game: {'; '.join(PRE_GAME)})")
    for line in out:
        click.echo(one_line(line))


@chaos.command("maturity")
@click.option("--service", "services", multiple=True, metavar="NAME", help="Only this service (repeatable).")
@json_option
@pass_ctx
def chaos_maturity(app: AppContext, services: tuple[str, ...], as_json: bool) -> None:
    """Each service's chaos maturity level (0-4, the seed's model), from its Game Days in this cockpit."""
    from cockpit.domain.chaos import MATURITY
    from cockpit.service.gamedays import GameDays
    from cockpit.textsafe import one_line

    days = GameDays(app.service())
    names = list(services) or sorted({d.service for d in days.all()})
    if services:  # a mistyped name would otherwise read "level 0: no chaos testing"
        _known_services(app, services, {d.service for d in days.all()})
    levels = days.maturity(names, datetime.now(UTC).date())
    if as_json:
        emit_json({s: {"level": lv, "name": MATURITY[lv], "why": why} for s, (lv, why) in levels.items()})
        return
    if not names:
        click.echo("No Game Days yet: every service is at level 0 (None).")
    for service, (level, why) in levels.items():
        click.echo(one_line(f"{service}: level {level} ({MATURITY[level]}): {why}"))


def _known_services(app: AppContext, names: Sequence[str], known: set[str]) -> None:
    """Refuse a name found neither in the catalog, the experiments (chaos_dirs) nor ``known``."""
    from cockpit.errors import NotFound
    from cockpit.service.catalog import load_catalog, service_folders
    from cockpit.service.improve_files import experiments, folders

    catalog = service_folders(app.config().service_dirs)
    known = known | (set(load_catalog(catalog).services) if catalog else set())
    known |= {e.target for _, e in experiments(folders("chaos", app.config().chaos_dirs)).items}
    for name in names:
        if name not in known:
            raise NotFound(f"No service '{name}' in the catalog, the experiments or the Game Days (known: "
                           f"{', '.join(sorted(known)) or 'none yet'}).")


# --- toil ---------------------------------------------------------------------------------------
def _toil() -> None:
    """The toil inventory (the seed's template), ranked by the priority matrix, against the 25 % toil budget.

    \b
    Toil files (YAML: team, team_hours_per_month, items) live in the folders under toil_dirs in the config
    file (or COCKPIT_TOIL_DIRS).
    """


toil: click.Group = click.group("toil")(_toil)


@toil.command("add")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="What the toil is.")
@click.option("--minutes", type=float, required=True, help="Time per occurrence, in minutes.")
@click.option("--per-month", type=float, required=True, help="Occurrences per month.")
@click.option("--difficulty", type=click.Choice(["low", "medium", "high"]), required=True,
              help="How hard automating it is.")
@click.option("--category", type=click.Choice(["deployment", "scaling", "config", "data", "access", "monitoring",
                                               "recovery"]), default=None)
@click.option("--frequency", type=click.Choice(["daily", "weekly", "monthly", "per-incident"]), default=None)
@click.option("--value", type=float, default=None, help="Hours a month automation saves (default: all of it).")
@click.option("--team-member", "teams", multiple=True, metavar="TEAM", help="A team affected (repeatable).")
@click.option("--team", default="", help="The team, when FILE is a new inventory.")
@click.option("--team-hours", type=float, default=None, help="The team's hours a month, for a new inventory.")
def toil_add(file: Path, name: str, minutes: float, per_month: float, difficulty: str, category: str | None,
             frequency: str | None, value: float | None, teams: tuple[str, ...], team: str,
             team_hours: float | None) -> None:
    """Add a toil item to the inventory FILE (created with --team when it does not exist)."""
    from cockpit.domain import toil as domain
    from cockpit.domain.shapes import Checker
    from cockpit.domain.slo_spec import NAME
    from cockpit.service.improve_files import add_toil_item
    from cockpit.textsafe import control_characters

    if found := control_characters(name):
        raise InvalidInput(f"The name contains a control character ({found}); type it as plain text.")
    if team and not NAME.fullmatch(team):
        raise InvalidInput(f"'{team[:60]}' is not a team name: letters, digits, '_', '.', '-'.")
    if team_hours is not None and not 1 <= team_hours <= 100_000:
        raise InvalidInput(f"--team-hours {team_hours:g} is not a team's hours a month: give 1 to 100000.")
    spec: dict[str, Any] = {"name": name, "time_per_occurrence_min": minutes, "occurrences_per_month": per_month,
                            "automation_difficulty": difficulty, "teams_affected": list(teams)}
    if category:
        spec["category"] = category
    if frequency:
        spec["frequency"] = frequency
    if value is not None:
        spec["automation_value"] = value
    check = Checker()
    item = domain.check_item(check, spec, ())
    if check.issues or item is None:
        path, message = check.issues[0] if check.issues else ((), "is not a usable toil item")
        option = {"time_per_occurrence_min": "--minutes", "occurrences_per_month": "--per-month",
                  "automation_value": "--value", "name": "--name"}.get(str(path[-1]) if path else "", "")
        raise InvalidInput(f"{option or 'The item'}: {message}.")
    add_toil_item(file, item, team, team_hours)
    click.echo(f"Added '{item.name}' to {file}: {item.total_hours:.1f} hours a month, {item.cell} "
               f"(score {item.score:.2f}).")


def _inventories(app: AppContext, paths: Sequence[Path]) -> tuple[Mapping[str, ToilInventory], int]:
    from cockpit.domain.toil import merge
    from cockpit.service.improve_files import toil_inventories

    loaded = toil_inventories(_paths(app, "toil", paths))
    _report_problems(loaded.problems, len(loaded.items), "inventory file(s)")
    return merge([inv for _, inv in loaded.items]), loaded.files


@toil.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_ctx
def toil_validate(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Check toil files (or folders): each problem as file:line:column: field: problem. Exit 1 on any."""
    teams, files = _inventories(app, paths)
    click.echo(f"{sum(len(t.items) for t in teams.values())} toil item(s) in {files} file(s) valid.")


@toil.command("list")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@json_option
@pass_ctx
def toil_list(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """Every toil item, ranked by matrix cell and priority score."""
    from cockpit.domain.toil import report
    from cockpit.textsafe import one_line

    teams, _ = _inventories(app, paths)
    reports = [report(inv) for inv in teams.values()]
    if as_json:
        emit_json([{"team": r["team"], "items": r["items"]} for r in reports])
        return
    for rep in reports:
        click.echo(one_line(f"{rep['team']}:"))
        for row in rep["items"]:
            click.echo(one_line(f"  {row['cell']:<10} {row['priority_score']:>6.2f}  "
                                f"{row['total_hours_per_month']:>6.1f} h/mo  {row['difficulty']:<6}  {row['name']}"))


@toil.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--team-hours", type=float, default=None, metavar="HOURS",
              help="The team's SRE hours a month (default: team_hours_per_month in the file).")
@json_option
@pass_ctx
def toil_report(app: AppContext, paths: tuple[Path, ...], team_hours: float | None, as_json: bool) -> None:
    """The priority matrix (do first … skip) and the toil budget (under 25 % of SRE time) per team."""
    from cockpit.domain.toil import CELL_ORDER, report
    from cockpit.textsafe import one_line

    if team_hours is not None and not 1 <= team_hours <= 100_000:
        raise InvalidInput(f"--team-hours {team_hours:g} is not a team's hours a month: give 1 to 100000.")
    teams, _ = _inventories(app, paths)
    reports = [report(inv, team_hours) for inv in teams.values()]
    if as_json:
        emit_json(reports)
        return
    for rep in reports:
        click.echo(one_line(f"Toil report: {rep['team']} ({rep['toil_hours_per_month']:.1f} hours a month)"))
        for cell in CELL_ORDER:
            rows = [r for r in rep["items"] if r["cell"] == cell]
            if not rows:
                continue
            click.echo(f"  {cell.upper()}")
            for row in rows:
                click.echo(one_line(f"    {row['name']}: {row['total_hours_per_month']:.1f} h/mo, value "
                                    f"{row['automation_value']:.1f} ({row['value_band']}), {row['difficulty']} effort, "
                                    f"score {row['priority_score']:.2f}"))
        budget = rep.get("budget")
        if budget:
            click.echo(("  OVER BUDGET: " if budget["over"] else "  ") + budget["sentence"])
        else:
            click.echo("  No team hours (team_hours_per_month or --team-hours): the 25 % budget is not checked.")


# --- capacity -----------------------------------------------------------------------------------
def _capacity() -> None:
    """Capacity models (the seed's template): growth projections, headroom, the month the scale-up threshold is
    crossed, cost projections, and the planning cadence and load tests as a checklist.

    \b
    Model files (YAML) live in the folders under capacity_dirs in the config file (or COCKPIT_CAPACITY_DIRS).
    With a Prometheus configured (`cockpit slo source set URL`), a model's peak_utilization_query gives the
    current peak.
    """


capacity: click.Group = click.group("capacity")(_capacity)


def _models(app: AppContext, paths: Sequence[Path]) -> Loaded[CapacityModel]:
    from cockpit.service.improve_files import capacity_models

    loaded = capacity_models(_paths(app, "capacity", paths))
    _report_problems(loaded.problems, len(loaded.items), "model(s)")
    return loaded


@capacity.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_ctx
def capacity_validate(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Check capacity model files (or folders): each problem as file:line:column: field: problem."""
    loaded = _models(app, paths)
    click.echo(f"{len(loaded.items)} capacity model(s) in {loaded.files} file(s) valid.")


@capacity.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--service", default=None, metavar="NAME", help="Only this service's model.")
@click.option("--no-prometheus", is_flag=True, help="Use the peak in the file even when Prometheus is configured.")
@json_option
@pass_ctx
def capacity_report(app: AppContext, paths: tuple[Path, ...], service: str | None, no_prometheus: bool,
                    as_json: bool) -> None:
    """Projections at 6 and 12 months, headroom, the month utilisation crosses scale_up_threshold, costs, and
    the cadence and load-test checklist."""
    from cockpit.textsafe import one_line

    loaded = _models(app, paths)
    models = [m for _, m in loaded.items if service is None or m.service == service]
    if service is not None and not models:
        known = ", ".join(sorted(m.service for _, m in loaded.items)) or "none"
        raise InvalidInput(f"No capacity model for the service '{one_line(service)[:60]}' (models: {known}).")
    from cockpit.sources.capacity import reports as capacity_reports

    reports, notes = capacity_reports(models, datetime.now(UTC), use_prometheus=not no_prometheus)
    if as_json:
        emit_json(reports)
        return
    for note in notes:
        click.echo(one_line(note), err=True)
    for rep in reports:
        cost = rep["cost_projection"]
        lines = [f"{rep['service']} ({rep['bottleneck_resource'] or 'resource not named'}): peak "
                 f"{rep['peak_utilization_pct']:.1f} % ({rep['peak_from']}), headroom {rep['headroom_pct']:.1f} %, "
                 f"growth {rep['monthly_growth_pct']:g} % a month",
                 f"  {rep['growth_metric'] or 'metric'}: {rep['current']:g} now, {rep['projected_6mo']:,.1f} in 6 "
                 f"months, {rep['projected_12mo']:,.1f} in 12",
                 f"  utilisation: {rep['utilization_6mo_pct']:.1f} % in 6 months, {rep['utilization_12mo_pct']:.1f} % "
                 f"in 12; {rep['runway']} (threshold {rep['scale_up_threshold']:g} %)",
                 f"  cost a month: ${cost['current_monthly']:,.0f} now, ${cost['projected_6mo_monthly']:,.0f} in 6 "
                 f"months, ${cost['projected_12mo_monthly']:,.0f} in 12",
                 "  checklist:"]
        lines += [f"    [{'x' if row['done'] else ' '}] {row['item']}: {row['what']}"
                  + (f" (done {row['done']})" if row["done"] else "") for row in rep["checklist"]]
        for line in lines:
            click.echo(one_line(line))


def demo_dirs(folder: Path) -> None:
    """For `cockpit demo`: copies of the sample chaos, toil and capacity files in a scratch folder (a Game Day
    writes its results into its experiment file; the installed samples stay as they are)."""
    import os
    import shutil

    from cockpit.resources import data_folder

    for kind in ("chaos", "toil", "capacity"):
        target = folder / kind
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(data_folder("sample_data") / kind, target)
        os.environ[f"COCKPIT_{kind.upper()}_DIRS"] = str(target)


COMMANDS: list[click.Command] = [chaos, toil, capacity]
