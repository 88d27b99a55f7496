"""``cockpit incident``, ``role``, ``note`` and ``comms``: open and run an incident from the shell."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cockpit.cli.common import (
    IMPACT_CHOICES,
    NOTE_KINDS,
    SCOPE_CHOICES,
    TEMPLATE_CHOICES,
    AppContext,
    F,
    emit_json,
    iso,
    iso_stored,
    json_option,
    local_and_utc,
    parse_when,
    pass_ctx,
)
from cockpit.domain.when import age_words
from cockpit.errors import InvalidInput

if TYPE_CHECKING:  # imported when a command runs: the CLI starts quickly
    from collections.abc import Iterable

    from cockpit.domain.evidence import Evidence
    from cockpit.domain.incident import Entry
    from cockpit.domain.severity import Triggers
    from cockpit.service.incidents import EntryRow, IncidentDetail


@click.group()
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


def _triggers(data_loss: bool, security_pii: bool, revenue: bool, sla_breach: bool) -> Triggers:
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
        click.echo(f"{s.ref:<13} {s.severity.label:<4} {s.phase.value:<8} {age_words(s.declared_at, now):>6}  "
                   f"{one_line(s.commander or '—')[:12]:<12} {one_line(s.title)}{flag}")


def _postmortems_missing(app: AppContext) -> dict[str, str]:
    """Resolved incidents whose required postmortem is not written (the seed's "when to write postmortems")."""
    from cockpit.service.catalog import postmortem_dues

    return {d.ref: "; ".join(d.reasons) for d in postmortem_dues(app.service(), only_missing=True)}


def _show_json(detail: IncidentDetail, with_timeline: bool = True) -> dict[str, Any]:
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
        "timeline": [_entry_json(e) for e in detail.timeline] if with_timeline else [],
    }


def _entry_json(e: Entry) -> dict[str, Any]:
    return {"id": e.id, "at": iso(e.at), "kind": e.kind, "author": e.author, "text": e.text,
            **({"arrived_late_at": iso(e.arrived_late_at)} if e.arrived_late_at else {}),
            **({"local_only": True} if e.local_only else {}),
            **({"redacted": dict(e.redacted)} if e.redacted else {}),
            **({"sha256": e.sha256} if e.sha256 else {})}


def _stream_show_json(detail: IncidentDetail, entries: Iterable[Entry]) -> None:
    """``emit_json(_show_json(detail))`` written piece by piece, the same text (see ``_stream_rows``)."""
    from cockpit.store.schema import to_db_time

    _stream_rows(detail, ((e.id, to_db_time(e.at), e.kind, e.author, e.text,
                           to_db_time(e.arrived_late_at) if e.arrived_late_at else None, e.local_only, e.redacted,
                           e.sha256) for e in entries))


def _stream_rows(detail: IncidentDetail, rows: Iterable[EntryRow]) -> None:
    """``emit_json(_show_json(detail))`` written piece by piece, the same text: at 100,000 entries the document is
    never held whole (neither as objects nor as one string), and each entry is laid out as ``indent=2`` lays it out
    inside the document, its strings encoded by json's C encoder (``indent`` alone would take the pure-Python one).
    The rows are the store's own (``IncidentService.streamed``): no ``Entry`` is built and no time parsed."""
    import json
    from itertools import islice
    from json.encoder import encode_basestring as enc  # what json.dumps(ensure_ascii=False) uses for a string

    from cockpit.textsafe import json_safe

    def safe(text: str) -> str:  # only DEL, C1 and bidi controls need it, none of them ASCII
        return text if text.isascii() else json_safe(text)

    head = json.dumps(_show_json(detail, with_timeline=False), ensure_ascii=False, indent=2, default=str)
    empty = '"timeline": []\n}'
    rows = iter(rows)
    first = next(rows, None)
    if not head.endswith(empty) or first is None:
        click.echo(json_safe(head))
        return
    click.echo(json_safe(head[:-len(empty)]) + '"timeline": [', nl=False)
    batch: list[EntryRow] = [first]
    separator = ""
    while batch:
        parts = []
        for entry_id, at, kind, author, text, late_at, local_only, redacted, sha256 in batch:
            late = f',\n      "arrived_late_at": {enc(iso_stored(late_at))}' if late_at else ""
            if local_only:
                late += ',\n      "local_only": true'
            if redacted:  # a nested object, laid out one level deeper as indent=2 does
                counts = ",".join(f"\n        {enc(name)}: {count}" for name, count in redacted)
                late += f',\n      "redacted": {{{counts}\n      }}'
            if sha256:
                late += f',\n      "sha256": {enc(sha256)}'
            parts.append(f'\n    {{\n      "id": {enc(entry_id)},\n      "at": "{iso_stored(at)}",\n      "kind": '
                         f'{enc(kind)},\n      "author": {enc(author)},\n      "text": {enc(text)}{late}\n    }}')
        click.echo(safe(separator + ",".join(parts)), nl=False)
        separator = ","
        batch = list(islice(rows, 2000))
    click.echo("\n  ]\n}")


@incident.command("show")
@click.argument("ref")
@click.option("--tail", type=click.IntRange(min=0), default=None, metavar="N",
              help="Show only the last N timeline entries.")
@json_option
@pass_ctx
def incident_show(app: AppContext, ref: str, tail: int | None, as_json: bool) -> None:
    """One incident: severity and why, phase, roles, next check-in, timeline."""
    if as_json:
        with app.service().streamed(ref, tail) as (detail, rows):
            _stream_rows(detail, rows)
        return
    print_detail(app.service().get(ref), tail)


def print_detail(detail: IncidentDetail, tail: int | None) -> None:
    from cockpit.domain.cadence import describe_check_in
    from cockpit.domain.comms import channel_name
    from cockpit.domain.evidence import fold
    from cockpit.domain.incident import LOCAL_MARK
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
        body = e.text
        if e.kind == "evidence":  # folded as in the timeline: `show --json` has it whole
            lines, more = fold(body)
            body = "\n".join([*lines, *([f"… {more:,} more lines (--json shows them)"] if more else [])])
        text = literal(body).replace("\n", "\n" + " " * 34)
        if e.arrived_late_at:  # written earlier by its author; it reached this cockpit only then
            text = f"(arrived late, {local_and_utc(e.arrived_late_at)[11:]}) {text}"
        if e.local_only:
            text = f"{LOCAL_MARK} {text}"
        if e.sharing or e.sha256:
            facts = [e.sharing] if e.sharing else []
            facts += [f"sha256 {e.sha256}"] if e.sha256 else []
            text += "\n" + " " * 34 + f"({'; '.join(facts)})"
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
@click.group()
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


@click.command()
@click.argument("ref")
@click.argument("text", required=False)
@click.option("--kind", type=click.Choice(NOTE_KINDS), default="note", show_default=True,
              help="What the entry records (status restarts the check-in countdown).")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Add this file's text as an evidence entry (as TEXT '-' does with standard input).")
@click.option("--local-only", is_flag=True, help="Keep the entry on this machine: it is never sent to a tracker.")
@json_option
@pass_ctx
def note(app: AppContext, ref: str, text: str | None, kind: str, path: Path | None, local_only: bool,
         as_json: bool) -> None:
    """Add an entry to the incident's timeline.

    TEXT '-' reads standard input as evidence (`kubectl get events | cockpit note REF -`): kept whole up to
    256 KiB (a longer input is cut at a line end, and the entry says so), with the SHA-256 of everything
    received; colour sequences are taken out. Text that is not UTF-8 is refused.
    """
    if (text == "-") + (path is not None) + (text not in (None, "-")) != 1:
        raise InvalidInput("Give the entry's text, '-' to read standard input, or --file PATH (one of them).")
    if text is not None and text != "-":
        entry = app.service().add_entry(ref, text, kind, local_only=local_only)
    else:
        if kind != "note":
            raise InvalidInput("Piped or file input is an evidence entry: leave out --kind.")
        evidence = _read_evidence(path)
        entry = app.service().add_evidence(ref, evidence, local_only=local_only)
        if evidence.cut:
            from cockpit.domain.evidence import MAX_EVIDENCE_BYTES

            click.echo(f"Cut: kept the first {evidence.kept:,} of {evidence.received:,} bytes "
                       f"({MAX_EVIDENCE_BYTES // 1024} KiB at most); the SHA-256 is of the whole input.", err=True)
    if as_json:
        emit_json({"id": entry.id, "at": iso(entry.at), "kind": entry.kind, "author": entry.author,
                   "text": entry.text, **({"sha256": entry.sha256} if entry.sha256 else {}),
                   "local_only": entry.local_only, **({"redacted": dict(entry.redacted)} if entry.redacted else {})})
        return
    facts = [f"sha256 {entry.sha256}"] if entry.sha256 else []
    facts += [entry.sharing] if entry.sharing else []
    click.echo(f"Added {entry.kind} at {local_and_utc(entry.at)}" + (f" ({'; '.join(facts)})" if facts else "") + ".")


def _read_evidence(path: Path | None) -> Evidence:
    import sys

    from cockpit.domain.evidence import EvidenceReader
    from cockpit.textsafe import one_line

    reader = EvidenceReader()
    source = "Standard input" if path is None else f"The file {one_line(str(path))}"
    if path is None and sys.stdin.isatty():  # nothing piped: the person types (or forgot the pipe)
        click.echo("Reading the evidence from the terminal: end it with ctrl+d (ctrl+c adds nothing).", err=True)
    try:
        stream = sys.stdin.buffer if path is None else path.open("rb")
        with stream:
            while chunk := stream.read(65536):
                reader.feed(chunk)
    except OSError as exc:
        raise InvalidInput(f"{source} cannot be read ({exc.strerror or exc}); nothing was added.") from None
    return reader.finish(source)


@click.command()
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


COMMANDS: list[click.Command] = [incident, role, note, comms]
