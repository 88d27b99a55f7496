"""The command line: scripting access to the same services the cockpit screen uses.

Every error a person can cause prints one sentence on standard error and exits non-zero;
``--json`` prints machine-readable data where a command prints data.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from cockpit import __version__
from cockpit.domain.incident import PERSON_KINDS
from cockpit.errors import CockpitError, InvalidInput
from cockpit.web.commands import register as register_web_commands

F = TypeVar("F", bound=Callable[..., Any])

IMPACT_CHOICES = ["core-down", "degraded", "non-core-down", "cosmetic"]
SCOPE_CHOICES = ["one-user", "lt25", "gt25", "all"]
ROLE_CHOICES = ["ic", "comms", "ops", "sme", "scribe"]
PHASE_CHOICES = ["detect", "triage", "respond", "mitigate", "resolve", "review"]
NOTE_KINDS = list(PERSON_KINDS)  # the kinds a person writes, from the domain
TEMPLATE_CHOICES = ["initial", "customer", "resolution"]


@dataclass
class AppContext:
    db: Path | None
    responder: str | None
    _service: Any = None

    def config(self) -> Any:
        from cockpit.config import load_config

        return load_config()

    def db_path(self) -> Path:
        from cockpit.config import default_db_path

        if self.db is not None:
            return self.db
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def service(self) -> Any:
        if self._service is None:
            from cockpit.service.incidents import IncidentService
            from cockpit.store.db import Store

            author = self.responder or self.config().responder
            self._service = IncidentService(Store.open(self.db_path()), author)
        return self._service


pass_ctx = click.make_pass_decorator(AppContext)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def emit_json(data: Any) -> None:
    from cockpit.textsafe import json_safe

    click.echo(json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str)))


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_and_utc(moment: datetime, seconds: bool = True) -> str:
    fmt = "%H:%M:%S" if seconds else "%H:%M"
    local = moment.astimezone()
    return f"{local:%Y-%m-%d} {local.strftime(fmt)} ({moment.astimezone(UTC).strftime(fmt)}Z)"


def parse_when(text: str) -> datetime:
    """An ISO 8601 time (UTC if no zone), a relative one like ``-15m`` or ``15 min ago``, or a UTC clock time."""
    from cockpit.domain.when import parse_started

    return parse_started(text, datetime.now(UTC))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             invoke_without_command=True)
@click.option("--db", type=click.Path(readable=False, path_type=Path), default=None, metavar="PATH",
              help="Database file (default: $COCKPIT_DB, else the user data directory).")
@click.option("--as", "responder", default=None, metavar="NAME",
              help="Responder name for this command (default: $COCKPIT_RESPONDER, config, login name).")
@click.version_option(__version__, prog_name="cockpit")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, responder: str | None) -> None:
    """Incident Cockpit: run a live incident from the terminal, offline-first.

    With no command, opens the cockpit screen: the most severe open incident (then the most recently
    active), or the incident list when none is open (ctrl+q quits, ? lists every key). On first start
    with no --as, COCKPIT_RESPONDER or config name, it asks who you are.

    \b
    Quick start:
      cockpit incident open "Checkout 500s" --impact core-down --scope gt25 --revenue
      cockpit note K7Q2 "Rolled back v2.14.2" --kind action
      cockpit role assign K7Q2 ic priya
      cockpit incident phase K7Q2 triage
      cockpit incident show K7Q2 --json

    References look like INC-K7Q2M9XF; any unique prefix (K7Q2) works.
    """
    if responder is not None:
        from cockpit.textsafe import control_characters

        if found := control_characters(responder):
            raise InvalidInput(f"--as NAME contains a control character ({found}); type the name as plain text.")
    ctx.obj = AppContext(db=db.expanduser() if db else None, responder=responder)
    if ctx.invoked_subcommand is None:
        run_tui(ctx.obj)


def run_tui(app: AppContext, demo: bool = False) -> None:
    """Open the cockpit screen on the context's database (a demo never syncs with a real tracker)."""
    from cockpit.tui.app import CockpitApp

    service = app.service()
    config = app.config()
    if demo:
        CockpitApp(service, config, sync_interval=0, sync_state="demo: no sync").run()
    else:  # nobody said who is typing (no --as, COCKPIT_RESPONDER or config): the cockpit asks once
        CockpitApp(service, config, ask_responder=app.responder is None and config.responder_source == "login").run()


# --- incident -----------------------------------------------------------------------------
@cli.group()
def incident() -> None:
    """Declare, list, show and move incidents."""


def trigger_options(func: F) -> F:
    for flag, text in reversed([
        ("--data-loss", "Any data loss (SEV1 minimum)."),
        ("--security-pii", "Security breach with PII (SEV1)."),
        ("--revenue", "Revenue-impacting (at least SEV2)."),
        ("--sla-breach", "SLA breach imminent (one level up)."),
    ]):
        func = click.option(flag, is_flag=True, help=text)(func)
    return func


def _triggers(data_loss: bool, security_pii: bool, revenue: bool, sla_breach: bool) -> Any:
    from cockpit.domain.severity import Triggers

    return Triggers(data_loss=data_loss, security_pii=security_pii, revenue=revenue, sla_breach=sla_breach)


@incident.command("open")
@click.argument("title")
@click.option("--impact", type=click.Choice(IMPACT_CHOICES), required=True, help="What is broken.")
@click.option("--scope", type=click.Choice(SCOPE_CHOICES), required=True, help="Who is affected.")
@trigger_options
@click.option("--service", "services", multiple=True, metavar="NAME", help="Affected service (repeatable).")
@click.option("--ic", "commander", default=None, metavar="NAME", help="Incident Commander from the start.")
@click.option("--started", default=None, metavar="TIME",
              help="When impact began: '15 min ago', -15m, 14:03 (UTC) or ISO 8601. Unknown: leave it out (time "
                   "to detect then stays unknown).")
@json_option
@pass_ctx
def incident_open(app: AppContext, title: str, impact: str, scope: str, data_loss: bool, security_pii: bool,
                  revenue: bool, sla_breach: bool, services: tuple[str, ...], commander: str | None,
                  started: str | None, as_json: bool) -> None:
    """Declare an incident. The reference is printed alone on the last line."""
    from cockpit.domain.severity import Impact, Scope

    snapshot = app.service().open_incident(
        title, Impact(impact), Scope(scope), _triggers(data_loss, security_pii, revenue, sla_breach),
        services, commander=commander, started_at=parse_when(started) if started else None,
    )
    if as_json:
        emit_json(_show_json(app.service().get(snapshot.id)))
        return
    from cockpit.textsafe import one_line

    click.echo(f"Declared {snapshot.severity}: {one_line(snapshot.title)}")
    click.echo(one_line(snapshot.severity_reason))
    click.echo(snapshot.ref)


@incident.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved and reviewed incidents.")
@json_option
@pass_ctx
def incident_list(app: AppContext, show_all: bool, as_json: bool) -> None:
    """Open incidents, most severe first, then most recently active (--all adds closed ones)."""
    from cockpit.textsafe import one_line

    items = app.service().list_incidents(include_closed=show_all)
    if as_json:
        missing = _postmortems_missing(app)
        emit_json([{
            "id": s.id, "ref": s.ref, "title": s.title, "severity": s.severity.label, "phase": s.phase.value,
            "ic": s.commander, "services": list(s.services), "declared_at": iso(s.declared_at),
            "updated_at": iso(s.updated_at), "open": s.phase.is_open, "postmortem_missing": s.ref in missing,
        } for s in items])
        return
    if not items:
        click.echo("No open incidents." if not show_all else "No incidents.")
        return
    now = datetime.now(UTC)
    missing = _postmortems_missing(app) if show_all else {}
    click.echo(f"{'REF':<13} {'SEV':<4} {'PHASE':<8} {'AGE':>6}  {'IC':<12} TITLE")
    for s in items:
        flag = f"  [postmortem missing: {missing[s.ref]}]" if s.ref in missing else ""
        click.echo(f"{s.ref:<13} {s.severity.label:<4} {s.phase.value:<8} {_age(now - s.declared_at):>6}  "
                   f"{one_line(s.commander or '—')[:12]:<12} {one_line(s.title)}{flag}")


def _postmortems_missing(app: AppContext) -> dict[str, str]:
    """Resolved incidents whose required postmortem is not written (the seed's "when to write postmortems")."""
    from cockpit.service.catalog import postmortem_dues

    return {d.ref: "; ".join(d.reasons) for d in postmortem_dues(app.service(), only_missing=True)}


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}"
    return f"{minutes // 1440}d"


def _show_json(detail: Any) -> dict[str, Any]:
    from cockpit.domain.comms import channel_name
    from cockpit.domain.roles import ROLES

    snap = detail.snapshot
    roles: dict[str, list[dict[str, Any]]] = {role.value: [] for role in ROLES}
    for holding in snap.roles:
        roles[holding.role.value].append({"holder": holding.holder, "since": iso(holding.since)})
    check_in = detail.check_in
    return {
        "id": snap.id, "ref": snap.ref, "title": snap.title, "severity": snap.severity.label,
        "severity_reason": snap.severity_reason, "severity_overridden": snap.severity_overridden,
        "impact": snap.impact.value, "scope": snap.scope.value, "triggers": snap.triggers.as_dict(),
        "services": list(snap.services), "phase": snap.phase.value, "open": snap.phase.is_open,
        "channel": channel_name(snap), "declared_at": iso(snap.declared_at), "started_at": iso(snap.started_at),
        "acknowledged_at": iso(snap.acknowledged_at), "mitigated_at": iso(snap.mitigated_at),
        "resolved_at": iso(snap.resolved_at), "root_cause": snap.root_cause, "roles": roles,
        "role_history": [{"role": h.role.value, "holder": h.holder, "since": iso(h.since), "until": iso(h.until)}
                         for h in detail.role_history],
        "warnings": [w.message for w in detail.warnings],
        "check_in": None if check_in is None else {
            "due_at": iso(check_in.due_at), "interval_minutes": check_in.interval.total_seconds() / 60,
            "overdue": check_in.overdue, "overdue_by_seconds": int(check_in.overdue_by.total_seconds()),
        },
        "metrics": detail.metrics.as_minutes(),
        "timeline": [{"id": e.id, "at": iso(e.at), "kind": e.kind, "author": e.author, "text": e.text,
                      **({"arrived_late_at": iso(e.arrived_late_at)} if e.arrived_late_at else {})}
                     for e in detail.timeline],
    }


@incident.command("show")
@click.argument("ref")
@click.option("--tail", type=click.IntRange(min=0), default=None, metavar="N",
              help="Show only the last N timeline entries.")
@json_option
@pass_ctx
def incident_show(app: AppContext, ref: str, tail: int | None, as_json: bool) -> None:
    """One incident: severity and why, phase, roles, next check-in, timeline."""
    detail = app.service().get(ref)
    if as_json:
        data = _show_json(detail)
        if tail is not None:
            data["timeline"] = data["timeline"][-tail:] if tail else []
        emit_json(data)
        return
    _print_detail(detail, tail)


def _print_detail(detail: Any, tail: int | None) -> None:
    from cockpit.domain.cadence import describe_check_in
    from cockpit.domain.comms import channel_name
    from cockpit.domain.lifecycle import PHASES
    from cockpit.domain.roles import ROLES
    from cockpit.textsafe import literal, one_line

    snap = detail.snapshot
    out: list[str] = [f"{snap.ref}  {one_line(snap.title)}"]
    out.append(f"Severity  {one_line(snap.severity_reason)}")
    bar = " › ".join(f"[{p.value}]" if p is snap.phase else p.value.lower() for p in PHASES)
    out.append(f"Phase     {bar}")
    services = ", ".join(one_line(s) for s in snap.services) or "—"
    out.append(f"Declared  {local_and_utc(snap.declared_at, seconds=False)}; services: {services}; "
               f"channel {channel_name(snap)}")
    held = {role: [h for h in snap.roles if h.role is role] for role in ROLES}
    for role in ROLES:
        names = ", ".join(f"{one_line(h.holder)} (since {local_and_utc(h.since, seconds=False)})"
                          for h in held[role]) or "— (empty)"
        out.append(f"  {role.title:<22} {names}")
    for warning in detail.warnings:
        out.append(f"! {one_line(warning.message)}")
    out.append(f"Check-in  {describe_check_in(detail.check_in)}")
    if snap.root_cause:
        out.append(f"Root cause  {one_line(snap.root_cause)}")
    entries = list(detail.timeline)
    shown = entries[-tail:] if tail is not None and tail else ([] if tail == 0 else entries)
    out.append(f"Timeline  {len(entries)} entries" + (f", last {len(shown)} shown" if len(shown) < len(entries)
                                                       else ""))
    for e in shown:
        text = literal(e.text).replace("\n", "\n" + " " * 34)
        if e.arrived_late_at:  # written earlier by its author; it reached this cockpit only then
            text = f"(arrived late, {local_and_utc(e.arrived_late_at)[11:]}) {text}"
        out.append(f"  {local_and_utc(e.at)[11:]:<22} {one_line(e.kind):<9} {one_line(e.author)[:12]:<12} {text}")
    click.echo("\n".join(out))


@incident.command("phase")
@click.argument("ref")
@click.argument("phase", metavar="PHASE")
@pass_ctx
def incident_phase(app: AppContext, ref: str, phase: str) -> None:
    """Move to PHASE: detect, triage, respond, mitigate, resolve, review (one step forward, or back)."""
    from cockpit.domain.lifecycle import Phase
    from cockpit.textsafe import one_line

    entry = app.service().set_phase(ref, Phase.parse(phase))
    click.echo(one_line(entry.text))


@incident.command("severity")
@click.argument("ref")
@click.option("--impact", type=click.Choice(IMPACT_CHOICES), default=None, help="What is broken.")
@click.option("--scope", type=click.Choice(SCOPE_CHOICES), default=None, help="Who is affected.")
@trigger_options
@click.option("--sev", type=click.IntRange(1, 4), default=None, help="Set SEV1..SEV4 by hand (needs --reason).")
@click.option("--reason", default=None, help="Why the manual severity.")
@json_option
@pass_ctx
def incident_severity(app: AppContext, ref: str, impact: str | None, scope: str | None, data_loss: bool,
                      security_pii: bool, revenue: bool, sla_breach: bool, sev: int | None, reason: str | None,
                      as_json: bool) -> None:
    """Re-classify with the matrix (--impact and --scope, plus triggers) or set it by hand (--sev, --reason)."""
    from cockpit.domain.severity import Impact, Scope, Severity

    svc = app.service()
    if sev is not None:
        if impact or scope or data_loss or security_pii or revenue or sla_breach:
            raise InvalidInput("Use either --sev with --reason, or --impact and --scope with triggers, not both.")
        if not reason:
            raise InvalidInput("A manual severity needs a reason: add --reason TEXT saying why.")
        assessment = svc.override_severity(ref, Severity(sev), reason)
    else:
        if impact is None or scope is None:
            raise InvalidInput("Give --impact and --scope to classify with the matrix, or --sev N --reason TEXT.")
        assessment = svc.classify_severity(ref, Impact(impact), Scope(scope),
                                           _triggers(data_loss, security_pii, revenue, sla_breach))
    if as_json:
        emit_json({"severity": assessment.severity.label, "severity_reason": assessment.explanation,
                   "overridden": assessment.overridden})
    else:
        from cockpit.textsafe import one_line

        click.echo(one_line(assessment.explanation))


@incident.command("root-cause")
@click.argument("ref")
@click.argument("text")
@pass_ctx
def incident_root_cause(app: AppContext, ref: str, text: str) -> None:
    """Record the one-sentence root cause (used by the resolution notice)."""
    app.service().set_root_cause(ref, text)
    click.echo("Root cause recorded.")


# --- roles, notes, comms ------------------------------------------------------------------
@cli.group()
def role() -> None:
    """Assign and release ICS roles: ic, comms, ops, sme, scribe."""


@role.command("assign")
@click.argument("ref")
@click.argument("role_name", metavar="ROLE")
@click.argument("name")
@pass_ctx
def role_assign(app: AppContext, ref: str, role_name: str, name: str) -> None:
    """Give ROLE (ic, comms, ops, sme, scribe) to NAME; a single-holder role is handed over."""
    from cockpit.domain.roles import Role
    from cockpit.textsafe import one_line

    svc = app.service()
    entry = svc.assign_role(ref, Role.parse(role_name), name)
    click.echo(one_line(entry.text))
    for warning in svc.get(ref, with_timeline=False).warnings:
        click.echo(f"warning: {one_line(warning.message)}", err=True)


@role.command("release")
@click.argument("ref")
@click.argument("role_name", metavar="ROLE")
@click.argument("name", required=False)
@pass_ctx
def role_release(app: AppContext, ref: str, role_name: str, name: str | None) -> None:
    """Release ROLE (name the person when several hold it, as SMEs may)."""
    from cockpit.domain.roles import Role
    from cockpit.textsafe import one_line

    entry = app.service().release_role(ref, Role.parse(role_name), name)
    click.echo(one_line(entry.text))


@cli.command()
@click.argument("ref")
@click.argument("text")
@click.option("--kind", type=click.Choice(NOTE_KINDS), default="note", show_default=True,
              help="What the entry records (status restarts the check-in countdown).")
@json_option
@pass_ctx
def note(app: AppContext, ref: str, text: str, kind: str, as_json: bool) -> None:
    """Add an entry to the incident's timeline."""
    entry = app.service().add_entry(ref, text, kind)
    if as_json:
        emit_json({"id": entry.id, "at": iso(entry.at), "kind": entry.kind, "author": entry.author,
                   "text": entry.text})
    else:
        click.echo(f"Added {entry.kind} at {local_and_utc(entry.at)}.")


@cli.command()
@click.argument("ref")
@click.argument("template", type=click.Choice(TEMPLATE_CHOICES))
@click.option("--record", is_flag=True, help="Also log it as sent (counts as a status update).")
@json_option
@pass_ctx
def comms(app: AppContext, ref: str, template: str, record: bool, as_json: bool) -> None:
    """Print a communication template filled from the incident."""
    from cockpit.domain.comms import Template
    from cockpit.textsafe import literal, one_line

    svc = app.service()
    chosen = Template.parse(template)
    rendered = svc.render_comms(ref, chosen)
    if record:
        svc.record_comms_sent(ref, chosen, rendered.text)
    if as_json:
        emit_json({"template": chosen.value, "text": rendered.text, "draft_note": rendered.draft_note,
                   "recorded": record})
        return
    if rendered.draft_note:
        click.echo(f"note: {one_line(rendered.draft_note)}", err=True)
    click.echo(literal(rendered.text))


# --- runbooks -----------------------------------------------------------------------------
@cli.group()
def runbook() -> None:
    """Validate, list, show, suggest and write runbooks (walk one in the cockpit: b on an incident)."""


def _library(app: AppContext) -> Any:
    from cockpit.service.runbooks import library_folders, load_library

    return load_library(library_folders(app.config().runbook_dirs))


@runbook.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def runbook_validate(paths: tuple[Path, ...]) -> None:
    """Check runbook files (or folders of them): syntax, schema, duplicate ids. Exit 1 on any problem.

    Only regular files of at most 5 MB are read: a device, a pipe or a socket is reported, never read."""
    from cockpit.service.runbooks import load_library
    from cockpit.textsafe import one_line

    library = load_library(paths)
    for problem in library.problems:
        click.echo(one_line(str(problem)), err=True)
    if library.problems:
        files = len({p.file for p in library.problems})
        click.echo(f"{len(library.problems)} problem(s) in {files} file(s); "
                   f"{len(library.runbooks)} of {library.files} runbook(s) valid.", err=True)
        sys.exit(1)
    click.echo(f"{len(library.runbooks)} runbook(s) valid.")


@runbook.command("list")
@json_option
@pass_ctx
def runbook_list(app: AppContext, as_json: bool) -> None:
    """Runbooks in the library (config runbook_dirs, or $COCKPIT_RUNBOOK_DIRS)."""
    from cockpit.textsafe import one_line

    library = _library(app)
    for problem in library.problems:
        click.echo(f"warning: {one_line(str(problem))}", err=True)
    if as_json:
        emit_json([{"id": b.id, "title": b.title, "alert_name": b.alert_name, "services": list(b.services),
                    "tags": list(b.tags), "owner": b.owner, "last_updated": b.last_updated, "file": b.source}
                   for b in library.runbooks])
        return
    if not library.runbooks:
        click.echo("No runbooks. Add folders under runbook_dirs in the config file, or write one with "
                   "`cockpit runbook new`.")
        return
    for b in library.runbooks:
        click.echo(f"{b.id:<34} {one_line(b.alert_name)[:28]:<28} {one_line(b.title)}")


@runbook.command("show")
@click.argument("runbook_id", metavar="ID")
@json_option
@pass_ctx
def runbook_show(app: AppContext, runbook_id: str, as_json: bool) -> None:
    """One runbook in full."""
    import dataclasses

    from cockpit.textsafe import literal

    book = _library(app).get(runbook_id)
    if as_json:
        emit_json(dataclasses.asdict(book))
        return
    out = [f"{book.id}: {book.title}", f"alert {book.alert_name} · owner {book.owner} · updated {book.last_updated}",
           f"services: {', '.join(book.services) or '—'} · tags: {', '.join(book.tags) or '—'}", "",
           book.overview.strip(), "", f"Impact: {book.impact.strip()}", "", "Diagnosis:"]
    for i, step in enumerate(book.diagnosis, 1):
        out += [f"  {i}. {step.step}", f"     $ {step.command}" + ("   (shell)" if step.shell else ""),
                f"     expected: {step.expected}", f"     if not: {step.if_unexpected}"]
    out.append("Mitigation:")
    for i, option in enumerate(book.mitigation, 1):
        out.append(f"  {chr(96 + i)}) {option.option} — when {option.when}")
        for step in option.steps:
            out.append(f"     - {step.step}" + (f"  $ {step.command}" if step.command else ""))
    esc = book.escalation
    out.append(f"Escalation: after {esc.after_minutes} min to {esc.contact}; provide: {esc.context_to_provide}")
    click.echo(literal("\n".join(out)))


@runbook.command("suggest")
@click.argument("ref")
@json_option
@pass_ctx
def runbook_suggest(app: AppContext, ref: str, as_json: bool) -> None:
    """Runbooks for an incident: alert names seen in its timeline, then its services."""
    from cockpit.textsafe import one_line

    detail = app.service().get(ref)
    books = _library(app).suggest(detail.snapshot.services, [detail.snapshot.title, *(e.text for e in detail.timeline)])
    if as_json:
        emit_json([{"id": b.id, "title": b.title, "alert_name": b.alert_name} for b in books])
        return
    if not books:
        click.echo("No runbook matches this incident's alerts or services.")
    for b in books:
        click.echo(f"{b.id:<34} {one_line(b.title)}")


@runbook.command("new")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", default="Describe the alert", help="The runbook's title.")
@click.option("--alert", "alert_name", default="AlertName", help="The exact alert that triggers it.")
def runbook_new(path: Path, title: str, alert_name: str) -> None:
    """Write a valid skeleton runbook to PATH (never overwrites)."""
    from cockpit.domain.runbook import SKELETON
    from cockpit.service.runbooks import _default_id

    if path.exists():
        raise InvalidInput(f"{path} already exists; choose another file name.")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.")
    # json.dumps gives a double-quoted YAML string with every special character escaped
    text = SKELETON.format(id=_default_id(path), title=json.dumps(title)[1:-1], alert=json.dumps(alert_name)[1:-1],
                           today=datetime.now(UTC).date().isoformat(), path=path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path}: {exc.strerror or exc}.") from None
    from cockpit.textsafe import one_line

    shown = one_line(str(path))
    click.echo(f"Wrote {shown}; edit it, then run: cockpit runbook validate {shown}")


# --- action items, postmortems, reports, handoffs -------------------------------------------
@cli.group()
def action() -> None:
    """Postmortem action items (AI-001...): add, list, done."""


@action.command("add")
@click.argument("description")
@click.option("--incident", "ref", default=None, metavar="REF", help="The incident it comes from.")
@click.option("--type", "type_", type=click.Choice(["prevent", "detect", "mitigate", "process"]), default="prevent",
              show_default=True)
@click.option("--owner", default="", help="Who owns it.")
@click.option("--priority", type=click.Choice(["P0", "P1", "P2"]), default="P1", show_default=True)
@click.option("--due", "deadline", default=None, metavar="YYYY-MM-DD", help="Deadline.")
@click.option("--ticket", default="", help="Tracker ticket, e.g. OPS-123.")
@json_option
@pass_ctx
def action_add(app: AppContext, description: str, ref: str | None, type_: str, owner: str, priority: str,
               deadline: str | None, ticket: str, as_json: bool) -> None:
    """Add an action item."""
    from cockpit.service.aftercare import Aftercare

    item = Aftercare(app.service()).add_action(description, query=ref, type_=type_, owner=owner, priority=priority,
                                               deadline=deadline, ticket=ticket)
    if as_json:
        emit_json(_action_json(item))
    else:
        click.echo(item.key)


def _action_json(item: Any) -> dict[str, Any]:
    from cockpit.domain.discipline import orphan_gaps

    today = datetime.now(UTC).date()
    return {"id": item.key, "type": item.type, "description": item.description, "owner": item.owner,
            "priority": item.priority, "deadline": item.deadline.isoformat() if item.deadline else None,
            "status": item.status, "ticket": item.ticket, "incident": item.incident_ref or None,
            "overdue": item.overdue(today),
            "orphan": [] if item.status == "done" else orphan_gaps(item.owner, item.deadline, item.ticket)}


@action.command("list")
@click.option("--incident", "ref", default=None, metavar="REF", help="Only this incident's items.")
@click.option("--all", "show_all", is_flag=True, help="Include done items.")
@click.option("--overdue", is_flag=True, help="Only overdue items.")
@json_option
@pass_ctx
def action_list(app: AppContext, ref: str | None, show_all: bool, overdue: bool, as_json: bool) -> None:
    """Action items, open first; overdue ones and orphans (no owner, date or ticket) are marked."""
    from cockpit.domain.discipline import orphan_gaps, orphan_text
    from cockpit.service.aftercare import Aftercare
    from cockpit.textsafe import one_line

    today = datetime.now(UTC).date()
    items = Aftercare(app.service()).actions(ref, include_done=show_all)
    if overdue:
        items = [i for i in items if i.overdue(today)]
    if as_json:
        emit_json([_action_json(i) for i in items])
        return
    if not items:
        click.echo("No action items.")
    for i in items:
        flag = " OVERDUE" if i.overdue(today) else ""
        if i.status != "done" and (gaps := orphan_gaps(i.owner, i.deadline, i.ticket)):
            flag += f" {orphan_text(gaps)}"  # the seed's anti-pattern: every item needs owner + date + ticket
        due = i.deadline.isoformat() if i.deadline else "no date"
        click.echo(f"{i.key} {i.priority} {i.type:<8} {i.status:<11} {due}{flag}  {one_line(i.owner) or '—'}: "
                   f"{one_line(i.description)}")


@action.command("done")
@click.argument("key", metavar="AI-NNN")
@pass_ctx
def action_done(app: AppContext, key: str) -> None:
    """Mark an action item done."""
    from cockpit.service.aftercare import Aftercare

    item = Aftercare(app.service()).set_status(key, "done")
    click.echo(f"{item.key} done.")


@cli.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["md", "yaml"]), default="md", show_default=True)
@click.option("--full", is_flag=True, help="The full template even for SEV3/SEV4 (which get the quick one).")
@pass_ctx
def postmortem(app: AppContext, ref: str, fmt: str, full: bool) -> None:
    """Draft a blameless postmortem from what the cockpit recorded."""
    import yaml

    from cockpit.domain import postmortem as pm
    from cockpit.service.aftercare import Aftercare
    from cockpit.textsafe import literal, one_line

    draft = Aftercare(app.service()).postmortem(ref, full=True if full else None)
    if draft.unresolved:
        click.echo(f"note: {one_line(ref)} is not resolved yet; this is a draft with times so far.", err=True)
    for flag in draft.blame_flags:
        click.echo(f"blameless check: “{literal(flag.sentence)}” — {flag.suggestion}", err=True)
    if fmt == "yaml":
        click.echo(literal(yaml.safe_dump(pm.as_dict(draft), sort_keys=False, allow_unicode=True, width=100)))
    else:
        click.echo(literal(pm.to_markdown(draft)))


@cli.group()
def report() -> None:
    """Reliability reports."""


@report.command("monthly")
@click.option("--month", default=None, metavar="YYYY-MM", help="The month (default: this month).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@pass_ctx
def report_monthly(app: AppContext, month: str | None, fmt: str) -> None:
    """The seed's monthly reliability report, with on-call health against its thresholds."""
    from cockpit.domain.report import to_markdown
    from cockpit.service.aftercare import Aftercare
    from cockpit.textsafe import literal

    today = datetime.now(UTC).date()
    data = Aftercare(app.service()).monthly_report(month or f"{today:%Y-%m}", today)
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(literal(to_markdown(data)))


@cli.group()
def handoff() -> None:
    """On-call handoffs: draft from the store, sign off, acknowledge, export."""


@handoff.command("draft")
@click.option("--to", "recipient", default=None, metavar="NAME",
              help="Who it is for (default: the next primary on the rotation, if there is one).")
@pass_ctx
def handoff_draft(app: AppContext, recipient: str | None) -> None:
    """Start a handoff prefilled from the store (known risks carry over from the previous one); prints its id."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    library = _library(app)
    for problem in library.problems:  # a broken runbook is left out of "runbook updates", and said so
        click.echo(f"warning: {one_line(str(problem))}", err=True)
    made = Handoffs(app.service()).draft(library.runbooks, recipient=recipient)
    whom = f" for {one_line(made.recipient)}" if made.recipient else ""
    click.echo(f"Drafted {made.key}{whom}: {sum(len(v) for v in made.sections.values())} items prefilled.")
    click.echo(made.key)


@handoff.command("list")
@json_option
@pass_ctx
def handoff_list(app: AppContext, as_json: bool) -> None:
    """Handoffs, newest first; a signed handoff not acknowledged in time (config handoff_ack_minutes, default
    60) is flagged."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    now = datetime.now(UTC)
    window = timedelta(minutes=app.config().handoff_ack_minutes)
    items = Handoffs(app.service()).list()
    if as_json:
        emit_json([{"id": h.key, "author": h.author, "recipient": h.recipient, "created_at": iso(h.created_at),
                    "state": h.state, "signed_at": iso(h.signed_at), "acknowledged_by": h.acknowledged_by,
                    "acknowledged_at": iso(h.acknowledged_at), "overdue_ack": h.overdue_ack(now, window)}
                   for h in items])
        return
    if not items:
        click.echo("No handoffs yet: `cockpit handoff draft` starts one.")

    for h in items:
        flag = "  NOT ACKNOWLEDGED" if h.overdue_ack(now, window) else ""
        line = f"{h.key} {h.created_at:%Y-%m-%d %H:%M}Z {h.state:<12} from {one_line(h.author)}"
        if h.recipient:
            line += f" to {one_line(h.recipient)}"
        if h.acknowledged_by and h.acknowledged_at:
            line += f"; acknowledged by {one_line(h.acknowledged_by)} {h.acknowledged_at:%Y-%m-%d %H:%M}Z"
        click.echo(line + flag)


@handoff.command("show")
@click.argument("key", metavar="ID")
@pass_ctx
def handoff_show(app: AppContext, key: str) -> None:
    """One handoff."""
    click.echo(_handoff_markdown(app, key))


def _handoff_markdown(app: AppContext, key: str) -> str:
    from cockpit.domain.handoff import to_markdown
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import literal

    return literal(to_markdown(Handoffs(app.service()).get(key)))


@handoff.command("export")
@click.argument("key", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["md"]), default="md", show_default=True)
@pass_ctx
def handoff_export(app: AppContext, key: str, fmt: str) -> None:
    """Markdown to paste into a ticket or chat."""
    click.echo(_handoff_markdown(app, key), nl=False)


@handoff.command("sign")
@click.argument("key", metavar="ID")
@pass_ctx
def handoff_sign(app: AppContext, key: str) -> None:
    """The outgoing engineer signs the handoff off."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    made = Handoffs(app.service()).sign(key)
    click.echo(f"{made.key} signed off by {one_line(made.author)}.")


@handoff.command("ack")
@click.argument("key", metavar="ID")
@pass_ctx
def handoff_ack(app: AppContext, key: str) -> None:
    """The incoming engineer acknowledges the handoff (their name and the time are recorded)."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    made = Handoffs(app.service()).acknowledge(key)
    click.echo(f"{made.key} acknowledged by {one_line(made.acknowledged_by or '')}.")


# --- trackers and sync ------------------------------------------------------------------------
@cli.group()
def tracker() -> None:
    """The team's tracker: add, list, login, logout, remove (secrets go to the OS keyring or a variable, never to
    the cockpit's files)."""


@tracker.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(["roundup", "github"]), required=True, help="What kind of tracker.")
@click.option("--url", default=None, help="Roundup: the tracker's address (https://host/NAME/). GitHub: the API, "
              "default https://api.github.com; Gitea/Forgejo: https://HOST/api/v1.")
@click.option("--project", default="", help="GitHub/Gitea/Forgejo: OWNER/REPO whose issues hold the incidents.")
def tracker_add(name: str, kind: str, url: str | None, project: str) -> None:
    """Add (or replace) a tracker."""
    from cockpit.sync.settings import add_tracker, trackers_path

    if url is None and kind == "roundup":
        raise InvalidInput("A Roundup tracker needs --url, e.g. https://tracker.example.com/incidents/.")
    made = add_tracker(name, kind, url or "https://api.github.com", project)
    click.echo(f"Tracker '{made.name}' ({made.kind}) saved in {trackers_path()}. "
               f"Next: cockpit tracker login {made.name}")


@tracker.command("list")
@json_option
@pass_ctx
def tracker_list(app: AppContext, as_json: bool) -> None:
    """Configured trackers and their login: logged in, refused (the tracker's last answer was 401), login needed."""
    from cockpit.sync.control import login_state
    from cockpit.sync.settings import load_trackers
    from cockpit.textsafe import one_line

    rows = []
    for item in load_trackers():
        login = login_state(item, app.service() if app.db_path().exists() else None)
        rows.append({"name": item.name, "kind": item.kind, "url": item.url, "project": item.project, "login": login})
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No trackers: `cockpit tracker add NAME --kind roundup --url URL` adds one.")
    for row in rows:
        click.echo(f"{one_line(row['name']):<16} {one_line(row['kind']):<8} {row['login']:<13} {one_line(row['url'])} "
                   f"{one_line(row['project'])}".rstrip())


@tracker.command("login")
@click.argument("name")
@click.option("--no-check", is_flag=True, help="Save without trying the secret against the tracker first.")
@click.option("--allow-plaintext-keyring", "allow_plaintext", is_flag=True,
              help="Store the secret even in a keyring that keeps it unencrypted in a file (refused otherwise; "
                   "the COCKPIT_TRACKER_TOKEN_<NAME> variable is the alternative).")
@pass_ctx
def tracker_login(app: AppContext, name: str, no_check: bool, allow_plaintext: bool) -> None:
    """Store the tracker's secret in the OS keyring (asked without echo; Roundup: user:password).

    The secret is tried against the tracker first: a refused one is not saved. When the tracker cannot be
    reached (it may be the outage), the secret is saved anyway and used once the tracker answers. A keyring that
    keeps secrets unencrypted (keyrings.alt's PlaintextKeyring) is refused unless --allow-plaintext-keyring."""
    import contextlib

    from cockpit.sync.control import check_login
    from cockpit.sync.settings import get_tracker, plaintext_keyring, require_keyring, store_secret
    from cockpit.textsafe import one_line

    item = get_tracker(name)
    require_keyring(item, allow_plaintext)
    what = "user:password" if item.kind == "roundup" else "token"
    secret = click.prompt(f"{what} for {item.name}", hide_input=True, default="", show_default=False).strip()
    if not secret:
        raise InvalidInput("Nothing was typed; the login is unchanged.")
    if item.kind == "roundup" and ":" not in secret:
        raise InvalidInput("For Roundup, type user:password.")
    caveat = None if no_check else check_login(item, secret)
    store_secret(item, secret, allow_plaintext)
    if backend := plaintext_keyring():
        click.echo(f"Stored in {backend}, possibly unencrypted, as --allow-plaintext-keyring asked.")
    if no_check:
        click.echo(f"Saved in the OS keyring for '{item.name}' (not checked).")
    elif caveat is None:
        from cockpit.service.sync_ledger import login_accepted

        if app.db_path().exists():  # "login needed" no longer tells the truth (a busy database: the next pull)
            with contextlib.suppress(CockpitError):
                login_accepted(app.service(), item.name)
        click.echo(f"{item.name} accepted it; saved in the OS keyring.")
    else:
        click.echo(f"{item.name}: {one_line(caveat)}.", err=True)


@tracker.command("logout")
@click.argument("name")
def tracker_logout(name: str) -> None:
    """Forget the tracker's secret from the OS keyring."""
    from cockpit.sync.settings import delete_secret, get_tracker
    from cockpit.textsafe import one_line

    item = get_tracker(name)
    removed = delete_secret(item)
    shown = one_line(item.name)
    click.echo(f"Logged out of '{shown}'." if removed else f"No keyring secret was stored for '{shown}'.")


@tracker.command("remove")
@click.argument("name")
def tracker_remove(name: str) -> None:
    """Stop syncing with a tracker: forget its settings and its keyring secret (the local data stays)."""
    from cockpit.sync.settings import delete_secret, get_tracker, remove_tracker
    from cockpit.textsafe import one_line

    item = get_tracker(name)
    delete_secret(item)
    remove_tracker(name)
    click.echo(f"Removed '{one_line(item.name)}'. Local incidents stay; changes made meanwhile are still queued "
               f"for it and go out if you add it again.")


def _check_interval(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    """A number of seconds a sleep can take: not negative, zero (a busy loop), NaN or infinite."""
    import math

    if not math.isfinite(value) or not 0.1 <= value <= 86400:
        raise click.BadParameter(f"{value:g} is not a number of seconds from 0.1 to 86400 (a day).")
    return value


@cli.group(invoke_without_command=True)
@click.option("--once", is_flag=True, help="One push and pull, then exit.")
@click.option("--tracker", "tracker_name", default=None, help="Which tracker (default: the only one configured).")
@click.option("--interval", default=5.0, show_default=True, callback=_check_interval,
              help="Seconds between rounds when running (0.1 to 86400).")
@click.pass_context
def sync(ctx: click.Context, once: bool, tracker_name: str | None, interval: float) -> None:
    """Push queued changes to the tracker and pull what others wrote (keeps running; Ctrl-C stops).

    With --once the exit code is 0 when the round went through, 7 when the tracker refused the login, and 1 when
    it reached nothing (unreachable, or the tracker URL looks wrong)."""
    if ctx.invoked_subcommand is not None:
        return
    import time as _time

    from cockpit.sync.control import open_relay
    from cockpit.textsafe import one_line

    app: AppContext = ctx.obj
    relay = open_relay(app.service(), tracker_name)
    try:
        while True:
            report = relay.run_once()
            stamp = datetime.now(UTC).strftime("%H:%M:%SZ")
            click.echo(f"{stamp} pushed {report.pushed}, pulled {report.pulled}, dead-lettered {report.dead}"
                       + (f", parked {report.parked}" if report.parked else "")
                       + (f"; {one_line(report.errors[-1])}" if report.errors else ""))
            if once:
                if report.login_needed:
                    sys.exit(7)
                sys.exit(1 if report.errors and not report.pushed and not report.pulled else 0)
            _time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Sync stopped; anything not yet sent stays queued.")
    finally:
        relay.adapter.close()


@sync.command("conflicts")
@json_option
@pass_ctx
def sync_conflicts(app: AppContext, as_json: bool) -> None:
    """The conflict log: both sides changed a field; the losing value can be restored."""
    from cockpit.service.merge import Merger
    from cockpit.sync.control import choose_tracker
    from cockpit.textsafe import one_line

    conflicts = Merger(app.service(), choose_tracker(None).name).conflicts()
    if as_json:
        emit_json([{"id": c.id, "incident": c.incident_ref, "field": c.field, "local": c.local_value,
                    "remote": c.remote_value, "kept": c.kept, "restored": c.restored, "local_author": c.local_author,
                    "remote_author": c.remote_author, "reason": c.reason, "sentence": c.sentence}
                   for c in conflicts])
        return
    if not conflicts:
        click.echo("No conflicts.")
    for c in conflicts:
        click.echo(f"{c.id[:8]} {one_line(c.sentence)}{' (restored)' if c.restored else ''}")


@sync.command("restore")
@click.argument("conflict_id", metavar="ID")
@pass_ctx
def sync_restore(app: AppContext, conflict_id: str) -> None:
    """Put back the losing value of a conflict (it syncs like any change)."""
    from cockpit.service.merge import restore_conflict
    from cockpit.textsafe import one_line

    click.echo(one_line(restore_conflict(app.service(), conflict_id)) + ".")


@sync.command("failed")
@json_option
@pass_ctx
def sync_failed(app: AppContext, as_json: bool) -> None:
    """Dead letters (changes the tracker refused for good) and parked records (what the tracker sent that the
    cockpit could not take); `cockpit sync retry` queues or frees them again."""
    from cockpit.service.merge import parked_records
    from cockpit.service.outbox import dead_letters
    from cockpit.textsafe import one_line

    rows = dead_letters(app.service())
    parked = parked_records(app.service())
    if as_json:
        emit_json([{"id": d.id, "incident": d.incident_ref, "what": d.what, "error": d.error,
                    "attempts": d.attempts, "queued_at": d.queued_at.isoformat()} for d in rows]
                  + [{"id": p.id, "parked": True, "tracker": p.tracker, "what": p.what, "error": p.reason,
                      "times": p.times, "first_seen_at": p.first_seen_at.isoformat()} for p in parked])
        return
    if not rows:
        click.echo("No dead letters: everything refused so far was retried or nothing was refused.")
    for d in rows:
        click.echo(f"{d.id[:8]} {one_line(d.sentence)}")
    for p in parked:
        click.echo(f"{p.id[:8]} parked: {one_line(p.sentence)}")


@sync.command("retry")
@click.argument("op_id", metavar="ID", required=False)
@click.option("--all", "retry_all", is_flag=True, help="Queue every dead letter again and free every parked record.")
@pass_ctx
def sync_retry(app: AppContext, op_id: str | None, retry_all: bool) -> None:
    """Queue a dead letter again, or free a parked record (by the id `cockpit sync failed` shows), or all of them
    with --all. A freed record is read from the tracker again on the next sync."""
    from cockpit.errors import NotFound
    from cockpit.service.merge import release_parked
    from cockpit.service.outbox import retry_dead

    if (op_id is None) == (not retry_all):
        raise InvalidInput("Give the id of one dead letter or parked record, or --all (not both).")
    target = None if retry_all else op_id
    if target is not None and not target.strip():
        raise NotFound("Give the id of a dead letter or parked record (`cockpit sync failed` lists them) or --all.")
    freed, _ = release_parked(app.service(), target)
    try:
        count = retry_dead(app.service(), target)
    except NotFound:
        if not freed:
            raise NotFound(f"No dead letter or parked record {op_id}; `cockpit sync failed` lists them.") from None
        count = 0
    if count or not freed:
        click.echo(f"Queued {count} change{'s' if count != 1 else ''} again; the next sync sends "
                   f"{'them' if count != 1 else 'it'}.")
    if freed:
        click.echo(f"Freed {freed} parked record{'s' if freed != 1 else ''}; the next sync reads "
                   f"{'them' if freed != 1 else 'it'} from the tracker again.")


@sync.command("status")
@json_option
@pass_ctx
def sync_status(app: AppContext, as_json: bool) -> None:
    """Per tracker: reachable, queued count, oldest queued age, dead letters, conflicts, last push and pull."""
    from cockpit.sync.control import status_rows

    rows = status_rows(app.service())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("No trackers configured: local only.")
    from cockpit.textsafe import one_line

    for row in rows:
        click.echo(f"{row['tracker']}: {row['summary']}")
        click.echo(f"  queued {row['queued']} (oldest {row['oldest_queued_age_minutes'] or 0} min), dead letters "
                   f"{row['dead_letters']}, conflicts {row['conflicts']}, parked {row['parked']}, last push "
                   f"{row['last_push_at'] or 'never'}, last pull {row['last_pull_at'] or 'never'}")
        if row["waiting_for"]:
            click.echo(f"  waiting for {one_line(row['waiting_for'])}")
        if row["last_error"]:
            click.echo(f"  last error: {one_line(row['last_error'])}")
        for line in row["conflict_lines"]:
            click.echo(f"  conflict: {one_line(line)}")
        for parked in row["parked_records"]:
            click.echo(f"  parked {parked['id'][:8]}: {one_line(parked['what'])}: {one_line(parked['reason'])}")


# --- demo ---------------------------------------------------------------------------------
@cli.command()
@click.option("--no-ui", is_flag=True, help="Load the demo data and print it instead of opening the cockpit.")
@click.pass_context
def demo(ctx: click.Context, no_ui: bool) -> None:
    """Load the sample data into a scratch database (never your real one) and open it."""
    from cockpit.config import cache_dir
    from cockpit.service.incidents import IncidentService
    from cockpit.service.sample import SAMPLE_DIR, load_sample_data
    from cockpit.store.db import Store

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store.open(path)
    loaded = load_sample_data(store, now=datetime.now(UTC))
    app: AppContext = ctx.obj
    app.db = path
    app._service = IncidentService(store, app.responder or app.config().responder)
    click.echo(f"Demo: {len(loaded.incidents)} sample incidents loaded into {path} (a scratch database).")
    os.environ["COCKPIT_RUNBOOK_DIRS"] = str(SAMPLE_DIR / "runbooks")  # demo mode: the sample runbook library
    os.environ["COCKPIT_SERVICE_DIRS"] = str(SAMPLE_DIR / "services")  # and the sample service catalog (#11)
    if not no_ui:
        from cockpit.cli_slo import demo_signals

        with demo_signals(loaded.shift) as signals_note:  # sample SLOs, and a Prometheus over sample data if installed
            click.echo(signals_note)
            run_tui(app, demo=True)
        return
    ctx.invoke(incident_list, show_all=True, as_json=False)
    open_refs = [s.ref for s in app.service().list_incidents()]
    if open_refs:
        click.echo("")
        _print_detail(app.service().get(open_refs[0]), tail=15)
    click.echo(f"\nTry: cockpit --db {path} incident show {open_refs[0] if open_refs else 'REF'}")


register_web_commands(cli)  # status-page, serve, comms --publish (#15): cockpit/web/commands.py

from cockpit.cli_slo import slo as _slo_group  # noqa: E402  (the slo command group lives in its own module)

cli.add_command(_slo_group)
from cockpit.cli_catalog import COMMANDS as _catalog_commands  # noqa: E402  (service, assess, prr, review: #11)

for _command in _catalog_commands:
    cli.add_command(_command)


# --- entry point --------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    from cockpit.textsafe import literal, one_line

    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        result = cli.main(args=argv, prog_name="cockpit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "cockpit"
        click.echo(f"error: {literal(exc.format_message())} (see '{where} --help')", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {literal(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except CockpitError as exc:
        click.echo(f"error: {one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except UnicodeEncodeError:
        click.echo("error: an argument is not valid text in this system's encoding (UTF-8); retype it.", err=True)
        sys.exit(2)
    except RuntimeError as exc:
        if "home directory" not in str(exc):
            raise
        click.echo(f"error: {one_line(str(exc))}; write the path out in full instead of using ~user.", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing half-written was kept.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except Exception:
        from cockpit.config import log_crash

        path = log_crash()
        where = f"; details are in {path}" if path else ""
        click.echo(f"error: an unexpected problem stopped the cockpit (a bug){where}. Your data is safe.",
                   err=True)
        sys.exit(70)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
