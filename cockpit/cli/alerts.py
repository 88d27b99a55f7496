"""``cockpit alerts``: Alertmanager's alerts in the cockpit: list, declare from, attach, acknowledge (a silence),
mark not actionable, lint rule files, the on-call report, and the source's settings."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cockpit.cli.common import (
    AppContext,
    allow_plaintext_option,
    emit_json,
    emit_rows,
    iso,
    json_option,
    login_to_source,
    pass_ctx,
    show_source,
)
from cockpit.domain.when import age_words
from cockpit.errors import InvalidInput

if TYPE_CHECKING:  # imported when a command runs: the CLI starts quickly
    from cockpit.domain.runbook import Runbook
    from cockpit.service.alerts import AlertLog, SilenceRecord
    from cockpit.sources.alertmanager import RoundReport


def _alerts() -> None:
    """Alerts from Alertmanager: the alert log, declaring and acknowledging from an alert, rule lint, report.

    \b
    The source: `cockpit alerts source set URL` (alerts.yaml beside the config file; the token goes to the OS
    keyring or COCKPIT_ALERTMANAGER_TOKEN, never to a file). `cockpit alerts poll` reads it once; the cockpit
    screen polls it in the background. An alert is named by its fingerprint (or a prefix of 4+ digits), its
    group (alertname=X,service=Y) or its alert name.
    """


alerts: click.Group = click.group("alerts")(_alerts)


def alert_log(app: AppContext) -> AlertLog:
    from cockpit.service.alerts import AlertLog
    from cockpit.sources.alert_settings import load_settings

    settings = load_settings()
    if settings is None:
        return AlertLog(app.service())
    return AlertLog(app.service(), settings.group_by, settings.propose)


def _safe(text: str, width: int | None = None) -> str:
    from cockpit.textsafe import one_line

    shown = one_line(text)
    return shown if width is None or len(shown) <= width else shown[: width - 1] + "…"


def _runbook_for(app: AppContext, alert_name: str) -> Runbook | None:
    from cockpit.service.runbooks import library_folders, load_library

    library = load_library(library_folders(app.config().runbook_dirs))
    for book in library.runbooks:
        if book.alert_name and book.alert_name.casefold() == alert_name.casefold():
            return book
    return None


def _round(app: AppContext, log: AlertLog) -> RoundReport | None:
    """One poll of the configured source (None: no source)."""
    from cockpit.sources.alertmanager import configured_source, poll_once

    source = configured_source()
    if source is None:
        return None
    with source:
        return poll_once(log, source)


@alerts.command("poll")
@pass_ctx
def alerts_poll(app: AppContext) -> None:
    """Read Alertmanager once: alerts into the log, waiting acknowledgements sent, resolved silences expired."""
    log = alert_log(app)
    report = _round(app, log)
    if report is None:
        raise InvalidInput("No Alertmanager configured: `cockpit alerts source set URL` (or COCKPIT_ALERTMANAGER_URL).")
    if report.error or report.poll is None:
        raise InvalidInput(f"{report.error or 'Alertmanager gave no answer.'} The last known alerts stay in the log.")
    changes = report.poll.changes
    click.echo(f"{len(changes.fired)} fired, {len(changes.silenced)} silenced, {len(changes.resolved)} resolved, "
               f"{len(changes.still) + len(changes.unsilenced)} unchanged; silences: {report.silences_sent} created, "
               f"{report.silences_found} found already there, {report.silences_expired} expired.")
    for line in report.poll.quarantined:
        click.echo(f"quarantined: {_safe(line)}", err=True)
    for line in report.problems:
        click.echo(f"note: {_safe(line)}", err=True)


@alerts.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved alerts.")
@json_option
@pass_ctx
def alerts_list(app: AppContext, show_all: bool, as_json: bool) -> None:
    """The alerts in the log (as of the last poll): level, response target, age, group, incident, runbook."""
    from cockpit.service.runbooks import library_folders, load_library

    log = alert_log(app)
    now = datetime.now(UTC)
    rows = log.current(include_resolved=show_all)
    status = log.status()
    names = {b.alert_name.casefold() for b in load_library(library_folders(app.config().runbook_dirs)).runbooks
             if b.alert_name}
    if as_json:
        emit_json({"source": {"last_ok_at": iso(status.last_ok_at), "error": status.error,
                              "state": status.age_text(now), "quarantined": list(status.quarantined)},
                   "alerts": [{"fingerprint": a.fingerprint, "alertname": a.name, "service": a.service,
                               "level": a.level.value if a.level else None,
                               "response": a.level.response if a.level else None, "group": a.group_key,
                               "state": a.state, "starts_at": iso(a.starts_at), "first_seen_at": iso(a.first_seen_at),
                               "last_seen_at": iso(a.last_seen_at), "resolved_at": iso(a.resolved_at),
                               "incident": a.incident_ref, "runbook": a.name.casefold() in names,
                               "acknowledged_at": iso(a.acknowledged_at), "false_positive": a.false_positive,
                               "labels": a.labels, "annotations": a.annotations} for a in rows]})
        return
    click.echo(f"Alertmanager: {_safe(status.age_text(now))}")
    if not rows:
        click.echo("No alerts in the log." if show_all else "No firing alerts in the log.")
        return
    group = None
    for a in rows:
        if a.group_key != group:
            group = a.group_key
            click.echo(f"[{_safe(group, 70)}]")
        level = f"{a.level.value} {a.level.response}" if a.level else "P? (no severity)"
        extra = [a.state] if a.state != "firing" else []
        if a.incident_ref:
            extra.append(a.incident_ref)
        extra.append("runbook" if a.name.casefold() in names else "no runbook")
        click.echo(f"  {a.fingerprint[:12]}  {level:<14} {age_words(a.starts_at, now):>6}  {_safe(a.summary, 60)}  "
                   f"({', '.join(extra)})")


@alerts.command("declare")
@click.argument("target")
@click.option("--ic", "commander", default=None, metavar="NAME", help="Incident Commander from the start.")
@pass_ctx
def alerts_declare(app: AppContext, target: str, commander: str | None) -> None:
    """Declare an incident from an alert or its group: title from its summary, service from its labels, impact
    and scope proposed from the label mapping, the alerts attached. The reference is printed alone last."""
    log = alert_log(app)
    first = log.find(target)[0]
    existing = log.open_incident_for(first)
    if existing is not None:
        ref = app.service().get(existing, with_timeline=False).snapshot.ref
        raise InvalidInput(f"An alert of this group belongs to the open incident {ref}; attach it there "
                           f"(`cockpit alerts attach {first.fingerprint[:12]} {ref}`).")
    snapshot, proposal = log.declare(target, commander=commander)
    click.echo(f"Declared {snapshot.severity}: {_safe(snapshot.title)} ({proposal.impact.label}, "
               f"{proposal.scope.label}; service: {_safe(', '.join(proposal.services) or 'none')})")
    book = _runbook_for(app, proposal.alert_name)
    if book is not None:
        click.echo(f"Runbook for {_safe(proposal.alert_name)}: {_safe(book.id)} — `cockpit runbook show "
                   f"{_safe(book.id)}`; walk it in the cockpit (b on the incident).")
    else:
        click.echo(f"No runbook in the library has alert_name {_safe(proposal.alert_name)}.")
    click.echo(snapshot.ref)


@alerts.command("attach")
@click.argument("target")
@click.argument("ref")
@pass_ctx
def alerts_attach(app: AppContext, target: str, ref: str) -> None:
    """Attach an alert (or its group) to the incident REF."""
    shown, count = alert_log(app).attach(target, ref)
    click.echo(f"{count} alert(s) attached to {shown}." if count else f"Already attached to {shown}.")


@alerts.command("ack")
@click.argument("target")
@click.option("--incident", "incident_ref", default=None, metavar="REF",
              help="The incident (default: the one the alert or its group belongs to).")
@click.option("--hours", type=float, default=None, help="How long the silence lasts (default: silence_hours, 12).")
@click.option("--alert-only", is_flag=True, help="Silence this alert's labels only, not its whole group.")
@pass_ctx
def alerts_ack(app: AppContext, target: str, incident_ref: str | None, hours: float | None, alert_only: bool) -> None:
    """Acknowledge: a silence in Alertmanager with the group's (or alert's) matchers, createdBy you, the incident
    reference in its comment, recorded in the timeline. Offline, it waits and is sent once when Alertmanager
    answers; it expires when the incident resolves."""
    from cockpit.sources.alert_settings import load_settings

    settings = load_settings()
    log = alert_log(app)
    default = settings.silence_hours if settings else 12.0
    record = log.acknowledge(target, incident_ref, default if hours is None else hours,  # 0 is refused, not 12
                             whole_group=not alert_only)
    click.echo(f"Acknowledged for {record.reference}: silence of {record.target} "
               f"(id {record.id[:8]}) recorded.")
    report = _round(app, log)
    sent = {s.id: s for s in log.silences()}.get(record.id)
    if report is None:
        click.echo("No Alertmanager configured: the silence waits until one is (`cockpit alerts source set URL`).")
    elif sent is not None and sent.state == "active":
        click.echo(f"Silence {sent.remote_id} active in Alertmanager.")
    else:
        why = report.error or (sent.last_error if sent else None) or "not sent yet"
        click.echo(f"Waiting: {_safe(why)} It is sent once when Alertmanager answers (`cockpit alerts poll`).")


@alerts.command("silences")
@json_option
@pass_ctx
def alerts_silences(app: AppContext, as_json: bool) -> None:
    """The acknowledgements' silences: waiting, active, expiring, expired."""
    rows = alert_log(app).silences()
    def line(s: SilenceRecord) -> str:
        tail = f" — {_safe(s.last_error, 80)}" if s.last_error and s.state in ("pending", "refused") else ""
        return f"{s.id[:8]}  {s.state:<9} {s.reference}  {_safe(s.target, 50)}  {s.remote_id or '-'}{tail}"

    emit_rows(rows, as_json, lambda s: {
        "id": s.id, "reference": s.reference, "target": s.target, "state": s.state, "remote_id": s.remote_id,
        "created_by": s.created_by, "ends_at": iso(s.ends_at), "attempts": s.attempts, "last_error": s.last_error,
        "matchers": s.matchers}, "No acknowledgements yet.", line)


@alerts.command("unsilence")
@click.argument("silence_id")
@pass_ctx
def alerts_unsilence(app: AppContext, silence_id: str) -> None:
    """Expire an acknowledgement's silence by hand (its id from `cockpit alerts silences`)."""
    log = alert_log(app)
    record = log.expire_by_hand(silence_id)
    report = _round(app, log)
    done = report is not None and not report.error
    click.echo(f"Silence {record.id[:8]} {'expired' if done else 'will be expired when Alertmanager answers'}.")


@alerts.command("false-positive")
@click.argument("target")
@pass_ctx
def alerts_false_positive(app: AppContext, target: str) -> None:
    """Mark an alert (or its group) not actionable: it counts in the false-positive rate."""
    count = alert_log(app).mark_false_positive(target)
    click.echo(f"{count} alert(s) marked not actionable." if count else "Already marked not actionable.")


@alerts.command("lint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_ctx
def alerts_lint(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Check Prometheus rule files against the seed's alert design rules: a runbook annotation that resolves to a
    runbook of the local library (by alert_name), a severity from the guide, a `for:` duration, page-level alerts
    on an SLO burn rate. Prints file:line messages; exit 1 on any problem (advice alone does not fail)."""
    from cockpit.service.alert_rules import lint_files
    from cockpit.service.runbooks import library_folders, load_library

    library = load_library(library_folders(app.config().runbook_dirs))
    report = lint_files(paths, {b.id: b.alert_name for b in library.runbooks})
    for problem in report.problems:
        click.echo(_safe(str(problem)), err=True)
    for finding in report.findings:
        click.echo(_safe(str(finding)), err=True)
    for rid in report.orphans:
        click.echo(f"note: runbook {_safe(rid)} has an alert_name that matches no alert in these files", err=True)
    bad = len(report.problems) + sum(1 for f in report.findings if not f.advice)
    advice = sum(1 for f in report.findings if f.advice)
    summary = f"{report.alerts} alert(s) in {report.files} file(s): {bad} problem(s), {advice} advice."
    if report.failed:
        click.echo(summary, err=True)
        sys.exit(1)
    click.echo(summary)


@alerts.command("report")
@click.option("--weeks", type=int, default=4, show_default=True, help="How many weeks back.")
@json_option
@pass_ctx
def alerts_report(app: AppContext, weeks: int, as_json: bool) -> None:
    """Pages per week per service against the seed's target (fewer than 5), the noisiest alerts, the
    false-positive rate and time to acknowledge, from the alert log."""
    data = alert_log(app).report(weeks, datetime.now(UTC))
    if as_json:
        emit_json(data)
        return
    false = "-" if data["false_positive_pct"] is None else data["false_positive_pct"]
    ack = "-" if data["avg_ack_minutes"] is None else data["avg_ack_minutes"]
    click.echo(f"Last {weeks} week(s): {data['alerts']} alert(s), {data['pages']} page(s), {data['off_hours_pages']} "
               f"off-hours; false positives {false} %; time to acknowledge {ack} min.")
    click.echo("Pages per week per service (target: fewer than 5):")
    for row in data["services"] or [{"service": "(none)", "pages": 0, "pages_per_week": 0, "over_target": False}]:
        mark = "  OVER TARGET" if row["over_target"] else ""
        click.echo(f"  {_safe(row['service'], 40):<40} {row['pages_per_week']:>6} /week ({row['pages']} pages){mark}")
    if data["noisiest"]:
        click.echo("Noisiest alerts:")
        for row in data["noisiest"]:
            click.echo(f"  {row['fired']:>5}  {_safe(row['alertname'], 50)} ({_safe(row['service'] or '-', 30)})")


# --- the source -----------------------------------------------------------------------------------
@alerts.group("source")
def source() -> None:
    """Where the alerts come from: Alertmanager (its token goes to the OS keyring, never to a file)."""


@source.command("set")
@click.argument("url")
def source_set(url: str) -> None:
    """Use the Alertmanager at URL (http(s)://host:port/)."""
    from cockpit.sources.alert_settings import alerts_path, save_settings, with_token
    from cockpit.sources.alertmanager import AlertmanagerSource, AlertSourceError

    settings = save_settings(url)
    click.echo(f"Alertmanager {settings.url} saved in {alerts_path()}.")
    try:
        with AlertmanagerSource(with_token(settings)) as am:
            click.echo(am.check())
    except AlertSourceError as exc:
        click.echo(f"note: {_safe(str(exc))} It is saved anyway; the cockpit shows the last known alerts until it "
                   "answers.", err=True)


@source.command("show")
@json_option
def source_show(as_json: bool) -> None:
    """The configured source and whether a token is available (never the token)."""
    from cockpit.sources.alert_settings import AlertmanagerSettings, load_settings, with_token

    def data(settings: AlertmanagerSettings) -> dict[str, Any]:
        return {"url": settings.url, "refresh_seconds": settings.refresh_seconds, "group_by": list(settings.group_by),
                "filters": list(settings.filters), "receiver": settings.receiver,
                "token": "set" if with_token(settings).token else "none"}

    show_source(load_settings(), "alerts", "Alertmanager", data, lambda settings, data: (
        f"Alertmanager {settings.url} (poll every {settings.refresh_seconds:g} s, groups by "
        f"{', '.join(settings.group_by)}, token: {data['token']})"), as_json)


@source.command("login")
@allow_plaintext_option
def source_login(allow_plaintext: bool) -> None:
    """Store a bearer token (or user:password) for the configured Alertmanager in the OS keyring."""
    from cockpit.sources.alert_settings import TOKEN_VARIABLE, load_settings, store_token
    from cockpit.sources.alertmanager import AlertmanagerSource

    login_to_source(load_settings(), "alerts", AlertmanagerSource, store_token, TOKEN_VARIABLE, allow_plaintext)


COMMANDS: list[click.Command] = [alerts]
