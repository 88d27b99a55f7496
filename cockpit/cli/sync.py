"""``cockpit tracker`` and ``cockpit sync``: trackers, logins, the sync loop, conflicts and dead letters."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from cockpit.cli.common import (
    AppContext,
    emit_json,
    emit_rows,
    json_option,
    pass_ctx,
)
from cockpit.errors import CockpitError, InvalidInput
from cockpit.sync.kinds import KINDS


@click.group()
def tracker() -> None:
    """The team's tracker: add, list, login, logout, remove (secrets go to the OS keyring or a variable, never to
    the cockpit's files)."""


def _options(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{value}' is not KEY=VALUE.")
        found[key.strip()] = text
    return found


@tracker.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="What kind of tracker.")
@click.option("--url", default="", help="Roundup: the tracker's address (https://host/NAME/). GitHub: the API, "
              "default https://api.github.com; Gitea/Forgejo: https://HOST/api/v1. Jira: the site "
              "(https://SITE.atlassian.net). GitLab: the API, default https://gitlab.com/api/v4. Redmine: its address.")
@click.option("--project", default="", help="GitHub/Gitea/Forgejo: OWNER/REPO whose issues hold the incidents. "
              "Jira: the project KEY. GitLab: GROUP/NAME. Redmine: the project's identifier.")
@click.option("--option", "options", multiple=True, callback=_options, metavar="KEY=VALUE",
              help="A setting of this kind of tracker (repeatable; Redmine: tracker, severity_field, "
                   "phase_field); see the README's tracker table.")
def tracker_add(name: str, kind: str, url: str, project: str, options: dict[str, str]) -> None:
    """Add (or replace) a tracker."""
    from cockpit.sync.settings import add_tracker, trackers_path

    made = add_tracker(name, kind, url, project, options)
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
    emit_rows(rows, as_json, dict, "No trackers: `cockpit tracker add NAME --kind roundup --url URL` adds one.",
              lambda row: f"{one_line(row['name']):<16} {one_line(row['kind']):<8} {row['login']:<13} "
                          f"{one_line(row['url'])} {one_line(row['project'])}".rstrip())


@tracker.command("login")
@click.argument("name")
@click.option("--no-check", is_flag=True, help="Save without trying the secret against the tracker first.")
@click.option("--allow-plaintext-keyring", "allow_plaintext", is_flag=True,
              help="Store the secret even in a keyring that keeps it unencrypted in a file (refused otherwise; "
                   "the COCKPIT_TRACKER_TOKEN_<NAME> variable is the alternative).")
@pass_ctx
def tracker_login(app: AppContext, name: str, no_check: bool, allow_plaintext: bool) -> None:
    """Store the tracker's secret in the OS keyring (asked without echo; Roundup: user:password; Jira Cloud:
    email:api-token).

    The secret is tried against the tracker first: a refused one is not saved. When the tracker cannot be
    reached (it may be the outage), the secret is saved anyway and used once the tracker answers. A keyring that
    keeps secrets unencrypted (keyrings.alt's PlaintextKeyring) is refused unless --allow-plaintext-keyring."""
    import contextlib

    from cockpit.keyring_store import plaintext_keyring
    from cockpit.sync.control import check_login
    from cockpit.sync.settings import get_tracker, require_keyring, secret_label, store_secret
    from cockpit.textsafe import one_line

    item = get_tracker(name)
    require_keyring(item, allow_plaintext)
    what = secret_label(item)
    secret = click.prompt(f"{what} for {item.name}", hide_input=True, default="", show_default=False).strip()
    if not secret:
        raise InvalidInput("Nothing was typed; the login is unchanged.")
    if item.kind == "roundup" and ":" not in secret:
        raise InvalidInput("For Roundup, type user:password.")
    cloud = item.option("api") == "3" or (not item.option("api") and ".atlassian.net/" in item.url)
    if item.kind == "jira" and cloud and ":" not in secret:
        raise InvalidInput("For Jira Cloud, type email:api-token (the account's email, a colon, the API token).")
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
        click.echo(f"{item.name}: {one_line(caveat).rstrip('.')}.", err=True)


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


@click.group(invoke_without_command=True)
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
    emit_rows(conflicts, as_json, lambda c: {
        "id": c.id, "incident": c.incident_ref, "field": c.field, "local": c.local_value, "remote": c.remote_value,
        "kept": c.kept, "restored": c.restored, "local_author": c.local_author, "remote_author": c.remote_author,
        "reason": c.reason, "sentence": c.sentence}, "No conflicts.",
        lambda c: f"{c.id[:8]} {one_line(c.sentence)}{' (restored)' if c.restored else ''}")


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


COMMANDS: list[click.Command] = [tracker, sync]
