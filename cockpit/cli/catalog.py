"""``cockpit service``, ``cockpit assess``, ``cockpit prr`` and ``cockpit review``: the service catalog, the
maturity and quality assessment, the production readiness review, and the weekly and monthly reviews."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cockpit.cli.common import AppContext, emit_json, pass_ctx
from cockpit.errors import InvalidInput

if TYPE_CHECKING:  # imported when a command runs: the CLI starts quickly
    from cockpit.service.catalog import Catalog, CatalogService, ServiceRow


def catalog_service(app: AppContext) -> CatalogService:
    """The catalog (service_dirs, or COCKPIT_SERVICE_DIRS) joined with the store, SLO files and runbooks."""
    from cockpit.service.catalog import open_catalog

    config = app.config()
    return open_catalog(app.service(), config.service_dirs, config.slo_dirs, config.runbook_dirs)


def _catalog_only(app: AppContext) -> Catalog:
    from cockpit.service.catalog import load_catalog, service_folders

    folders = service_folders(app.config().service_dirs)
    if not folders:
        raise InvalidInput("No service catalog configured: add service_dirs to the config file (or set "
                           "COCKPIT_SERVICE_DIRS).")
    return load_catalog(folders)


def _service() -> None:
    """The service catalog: validate its files, list the services, show one.

    \b
    Catalog files (the seed's "Service Catalog Entry", YAML) live in the folders under service_dirs in the
    config file (or COCKPIT_SERVICE_DIRS), with assessments/ and readiness/ beside them."""


service: click.Group = click.group("service")(_service)


@service.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def service_validate(paths: tuple[Path, ...]) -> None:
    """Check catalog, assessment and readiness files (or folders of them). Exit 1 on any problem.

    Each problem prints as file:line:column: field: problem; warnings (a dependency not listed back) do not fail."""
    from cockpit.service.catalog import load_catalog
    from cockpit.textsafe import one_line

    catalog = load_catalog(list(paths))
    for problem in [*catalog.problems, *catalog.warnings]:
        click.echo(one_line(str(problem)), err=True)
    counts = (f"{len(catalog.services)} service(s), {sum(map(len, catalog.assessments.values()))} assessment(s), "
              f"{sum(map(len, catalog.reviews.values()))} readiness review(s)")
    if catalog.problems:
        files = len({p.file for p in catalog.problems})
        click.echo(f"{len(catalog.problems)} problem(s) in {files} file(s); valid: {counts}.", err=True)
        sys.exit(1)
    click.echo(f"{counts} in {catalog.files} file(s) valid.")


def _row_json(row: ServiceRow) -> dict[str, Any]:
    e = row.entry
    return {"name": e.name, "tier": e.tier, "owner_team": e.owner_team, "oncall_rotation": e.oncall_rotation,
            "budget_state": row.budget_state,
            "open_incidents": [{"ref": r, "title": t, "severity": s.label} for r, t, s in row.open_incidents],
            "last_incident": row.last_incident.isoformat() if row.last_incident else None,
            "readiness": row.readiness, "maturity_total": row.maturity, "quality": row.quality, "band": row.band}


def _problems_note(catalog: Catalog) -> None:
    from cockpit.textsafe import one_line

    if catalog.problems:
        click.echo(f"note: {len(catalog.problems)} problem(s) in the catalog files (cockpit service validate "
                   f"FOLDER); first: {one_line(str(catalog.problems[0]))}", err=True)


@service.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_ctx
def service_list(app: AppContext, as_json: bool) -> None:
    """Every service: tier, owner team, rotation, budget state, open incidents, last incident, readiness, maturity."""
    from cockpit.textsafe import one_line

    _catalog_only(app)
    svc = catalog_service(app)
    rows = svc.rows()
    _problems_note(svc.catalog)
    if as_json:
        emit_json([_row_json(r) for r in rows])
        return
    if not rows:
        click.echo("No services in the catalog.")
    for r in rows:
        e = r.entry
        incidents = ", ".join(f"{s.label} {ref}" for ref, _t, s in r.open_incidents) or "none open"
        last = f"{r.last_incident:%Y-%m-%d}" if r.last_incident else "never"
        maturity = f"{r.maturity}/40 {r.band}, quality {r.quality:g}" if r.maturity is not None else "not assessed"
        click.echo(f"{one_line(e.name):<22} {e.tier:<12} {one_line(e.owner_team):<14} "
                   f"{one_line(e.oncall_rotation):<18} budget {r.budget_state or 'no figures'} · "
                   f"incidents {incidents} · last {last} · "
                   f"readiness {r.readiness} · {maturity}")


@service.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_ctx
def service_show(app: AppContext, name: str, as_json: bool) -> None:
    """One service: its catalog entry, dependencies and their open incidents, the multi-region guide for its SLO
    target, its assessment trend, readiness and required postmortems."""
    from dataclasses import asdict

    from cockpit.domain import assessment as am
    from cockpit.domain.catalog import region_strategy
    from cockpit.textsafe import one_line

    _catalog_only(app)
    svc = catalog_service(app)
    entry = svc.catalog.find(name)
    row = next(r for r in svc.rows() if r.entry.name == entry.name)
    target = svc.slo_target(entry.name)
    advice = region_strategy(target) if target is not None else None
    history = svc.catalog.assessments.get(entry.name, [])
    review = svc.catalog.latest_review(entry.name)
    dues = svc.postmortems(entry.name)
    around = svc.neighbours([entry.name])
    if as_json:
        data = {**_row_json(row), "entry": {k: v for k, v in asdict(entry).items() if k not in ("line",)},
                "slo_target": target, "region_guide": asdict(advice) if advice else None,
                "assessments": [am.as_dict(a) for a in history],
                "readiness_review": None if review is None else {"date": review.on.isoformat(),
                                                                 "status": review.status},
                "postmortems": [{"ref": d.ref, "title": d.title, "reasons": list(d.reasons), "state": d.state}
                                for d in dues],
                "neighbours_open": around}
        emit_json(data)
        return
    click.echo(f"{one_line(entry.name)} ({entry.tier}) — owner {one_line(entry.owner_team)}, "
               f"on-call {one_line(entry.oncall_rotation)}")
    for label, value in (("data", entry.data_classification), ("deploys", entry.deployment_frequency),
                         ("architecture", entry.architecture), ("language", entry.language), ("infra", entry.infra),
                         ("traffic", entry.traffic_pattern)):
        if value:
            click.echo(f"  {label}: {one_line(value)}")
    click.echo(f"  peak {entry.peak_rps:g} rps · storage {entry.storage_gb:g} GB · ${entry.monthly_cost_usd:g}/month")
    click.echo(f"  calls: {', '.join(entry.upstream) or 'nothing in the catalog'}")
    click.echo(f"  called by: {', '.join(entry.downstream) or 'nothing in the catalog'}")
    for line in around:
        click.echo(f"  ! {one_line(line)}")
    click.echo(f"Budget: {row.budget_state or 'no figures'}; open incidents: "
               + (", ".join(f"{s.label} {ref}" for ref, _t, s in row.open_incidents) or "none"))
    if advice is None:
        click.echo("Multi-region: no SLO target (no SLO file names this service).")
    else:
        click.echo(f"Multi-region (SLO {target:g}%, rule {advice.rule}): {advice.strategy} — complexity "
                   f"{advice.complexity}, RTO {advice.rto}, cost {advice.cost}")
    click.echo(f"Maturity trend: {am.trend(history).text()}")
    latest = svc.catalog.latest_assessment(entry.name)
    if latest is not None:
        band_name, band_advice = latest.band
        click.echo(f"  latest {latest.maturity_total}/40: {band_name} — {band_advice}; quality {latest.quality:g}/100")
    click.echo(f"Readiness: {row.readiness}"
               + (f" (reviewed {review.on.isoformat()} by {one_line(review.reviewer) or '?'})" if review else ""))
    for d in dues:
        click.echo(f"Postmortem {d.state}: {d.ref} {one_line(d.title)} — {'; '.join(d.reasons)}")


# --- cockpit assess ---------------------------------------------------------------------------------------
@click.command("assess")
@click.argument("name", metavar="SERVICE")
@click.option("--propose", "propose_only", is_flag=True,
              help="Print the store's proposal with its evidence and stop (nothing is asked or written).")
@click.option("--json", "as_json", is_flag=True, help="With --propose: print JSON.")
@pass_ctx
def assess(app: AppContext, name: str, propose_only: bool, as_json: bool) -> None:
    """Walk the maturity assessment for SERVICE: the 8 dimensions (and documentation for the quality score), each
    with the rubric's 1/3/5 and the store's proposed score and evidence; then the band, its advice and the
    quality score. The result is written as a new file under assessments/ after you confirm."""
    from cockpit.domain import assessment as am
    from cockpit.textsafe import control_characters, one_line

    _catalog_only(app)
    svc = catalog_service(app)
    entry = svc.catalog.find(name)
    proposal = am.propose(svc.facts(entry.name))
    if propose_only:
        if as_json:
            emit_json({k: {"score": s.score, "evidence": s.evidence} if (s := proposal.get(k)) else
                       {"score": None, "evidence": am.no_evidence(k)} for k in am.BY_KEY})
            return
        for d in am.DIMENSIONS:
            s = proposal.get(d.key)
            shown = f"{s.score}  {one_line(s.evidence)}" if s else f"—  {am.no_evidence(d.key)}"
            click.echo(f"{d.label:<18} {shown}")
        return
    scores: dict[str, am.Score] = {}
    click.echo(f"Maturity assessment of {entry.name}: score each dimension 1-5 (Enter keeps the proposal).")
    for n, d in enumerate(am.DIMENSIONS, 1):
        weight = am.QUALITY_WEIGHTS.get(d.key)
        click.echo(f"\n[{n}/{len(am.DIMENSIONS)}] {d.label}" + (f" (quality weight {weight}%)" if weight else
                                                              " (maturity only)"))
        click.echo(f"  1 {d.ad_hoc} · 3 {d.defined} · 5 {d.optimized}")
        s = proposal.get(d.key)
        click.echo(f"  store: {s.score} — {one_line(s.evidence)}" if s else f"  store: {am.no_evidence(d.key)}")
        score = click.prompt("  score", type=click.IntRange(1, 5), default=s.score if s else None)
        evidence = click.prompt("  evidence (Enter keeps the store's)" if s else "  evidence",
                                default=s.evidence if s else None, show_default=False).strip()
        if not evidence:
            raise InvalidInput("Every score needs an evidence note.")
        if found := control_characters(evidence):
            raise InvalidInput(f"The evidence contains a control character ({found}); type it as plain text.")
        scores[d.key] = am.Score(score, evidence)
    made = am.Assessment(entry.name, datetime.now(UTC).date(), app.responder or app.config().responder, scores)
    band_name, advice = made.band
    click.echo(f"\nMaturity {made.maturity_total}/40: {band_name} — {advice}. Quality score {made.quality:g}/100.")
    if not click.confirm("Write this assessment as a new file under assessments/?", default=True):
        click.echo("Not written.")
        return
    path = svc.write_assessment(made)
    click.echo(f"Written to {path}; commit it with the team's repository.")


# --- cockpit prr ------------------------------------------------------------------------------------------
@click.command("prr")
@click.argument("name", metavar="SERVICE")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True)
@click.option("--stored", is_flag=True, help="The latest stored review only, without the store's pre-filled items.")
@pass_ctx
def prr(app: AppContext, name: str, fmt: str, stored: bool) -> None:
    """The production readiness review of SERVICE: the seed's checklist with the stored answers and the items the
    store can check pre-filled with their evidence; ready or not, with the failing items. Walk it item by item
    in the cockpit (services screen, r). Exit 1 when not ready."""
    from cockpit.domain import readiness as rd
    from cockpit.textsafe import literal, one_line

    _catalog_only(app)
    svc = catalog_service(app)
    entry = svc.catalog.find(name)
    if stored:
        review = svc.catalog.latest_review(entry.name)
        if review is None:
            raise InvalidInput(f"{entry.name} has no stored readiness review yet; walk one in the cockpit "
                               "(services screen, r).")
    else:
        review = svc.readiness_start(entry.name, app.responder or app.config().responder)
    if fmt == "json":
        emit_json(rd.as_dict(review))
    elif fmt == "md":
        click.echo(literal(rd.to_markdown(review)), nl=False)
    else:
        for c in rd.CHECKLIST:
            a = review.answers.get(c.id)
            status = (a.status + ("?" if a.prefilled else "")) if a else "—"
            click.echo(f"{status:<5} {c.category:<10} {c.text}" + (f" — {one_line(a.evidence)}" if a and a.evidence
                                                                   else ""))
        click.echo(f"{entry.name}: {review.status}" + ("; '?' marks items pre-filled from the store, to confirm"
                                                       if any(a.prefilled for a in review.answers.values()) else ""))
    if not review.ready:
        sys.exit(1)


# --- cockpit review ---------------------------------------------------------------------------------------
@click.group("review")
def review() -> None:
    """The weekly SRE review and the monthly reliability report, generated from the store."""


@review.command("weekly")
@click.option("--week", default=None, metavar="YYYY-Www", help="The ISO week (default: the past week, this one).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@pass_ctx
def review_weekly(app: AppContext, week: str | None, fmt: str) -> None:
    """The seed's 30-minute weekly SRE review agenda for a week: SLO status, incidents, open action items,
    on-call health, reliability work. Sections without a source say "not available"."""
    from cockpit.domain.weekly import to_markdown, week_label, week_window
    from cockpit.service.reviews import Reviews
    from cockpit.textsafe import literal

    today = datetime.now(UTC).date()
    # given (even empty, as an unset shell variable gives it): checked, and written the one way
    label = week_label(today) if week is None else week_label(week_window(week)[0].date())
    data = Reviews(catalog_service(app)).weekly(label, today)
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(literal(to_markdown(data)), nl=False)


@review.command("monthly")
@click.option("--month", default=None, metavar="YYYY-MM", help="The month (default: this month).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--highlight", "highlights", multiple=True, metavar="TEXT", help="Add a highlight (repeatable).")
@click.option("--concern", "concerns", multiple=True, metavar="TEXT", help="Add a concern (repeatable).")
@click.option("--priority", "priorities", multiple=True, metavar="TEXT",
              help="Add a next-month priority (repeatable).")
@click.option("--remove", "removals", multiple=True, metavar="SECTION:N",
              help="Remove item N (1-based) of highlights, concerns or next_month_priorities, e.g. concerns:2.")
@pass_ctx
def review_monthly(app: AppContext, month: str | None, fmt: str, highlights: tuple[str, ...],
                   concerns: tuple[str, ...], priorities: tuple[str, ...], removals: tuple[str, ...]) -> None:
    """The complete monthly reliability report (every section of the seed's monthly_report); highlights, concerns
    and next-month priorities are kept in the store and edited with the options."""
    from cockpit.domain.report import month_window
    from cockpit.domain.weekly import monthly_markdown
    from cockpit.service.reviews import Reviews
    from cockpit.textsafe import literal

    today = datetime.now(UTC).date()
    # given (even empty): checked, and written the one way, so notes for " 2026-11" are 2026-11's
    period = f"{today:%Y-%m}" if month is None else f"{month_window(month)[0]:%Y-%m}"
    reviews = Reviews(catalog_service(app))
    if highlights or concerns or priorities or removals:
        notes = reviews.edit_notes(period, highlights=highlights, concerns=concerns, priorities=priorities,
                                   removals=removals)
        click.echo(f"Kept for {period}: {len(notes['highlights'])} highlight(s), {len(notes['concerns'])} "
                   f"concern(s), {len(notes['next_month_priorities'])} priority(ies).", err=True)
    data = reviews.monthly(period, today)
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(literal(monthly_markdown(data)), nl=False)


def today_utc() -> date:
    return datetime.now(UTC).date()


COMMANDS: list[click.Command] = [service, assess, prr, review]
