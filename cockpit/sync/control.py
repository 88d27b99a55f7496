"""How the CLI and the TUI control the sync: the configured tracker, its credential and adapter, a relay; logins
checked before they are saved; and the sync status summary and its sentences."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger
from cockpit.service.sync_ledger import TrackerState, queue_status, tracker_state
from cockpit.sync.adapter import Permanent, TrackerAdapter
from cockpit.sync.relay import Relay
from cockpit.sync.settings import Tracker, load_trackers, secret_for
from cockpit.textsafe import one_line


def choose_tracker(name: str | None) -> Tracker:
    trackers = load_trackers()
    if not trackers:
        raise InvalidInput("No tracker configured: `cockpit tracker add NAME --kind roundup --url URL` first.")
    if name is None:
        if len(trackers) > 1:
            raise InvalidInput(f"Several trackers are configured; choose one with --tracker "
                               f"({', '.join(t.name for t in trackers)}).")
        return trackers[0]
    for tracker in trackers:
        if tracker.name == name:
            return tracker
    raise InvalidInput(f"No tracker named '{name}'.")


def _roundup(tracker: Tracker, secret: str) -> TrackerAdapter:
    from cockpit.sync.roundup import RoundupAdapter

    user, _, password = secret.partition(":")
    return RoundupAdapter(tracker.name, tracker.url, user, password)


def _github(tracker: Tracker, secret: str) -> TrackerAdapter:
    from cockpit.sync.github import GitHubAdapter

    return GitHubAdapter(tracker.name, tracker.url, tracker.project, secret)


def _jira(tracker: Tracker, secret: str) -> TrackerAdapter:
    from cockpit.sync.jira import JiraAdapter

    return JiraAdapter(tracker.name, tracker.url, tracker.project, secret, api=tracker.option("api"),
                       issue_type=tracker.option("issue_type", "Incident"),
                       severity=tracker.option("severity", "labels"), phase=tracker.option("phase", "labels"))


def _gitlab(tracker: Tracker, secret: str) -> TrackerAdapter:
    from cockpit.sync.gitlab import GitLabAdapter

    return GitLabAdapter(tracker.name, tracker.url, tracker.project, secret,
                         issue_type=tracker.option("issue_type", "issue"),
                         auth=tracker.option("auth", "private-token"))


def _redmine(tracker: Tracker, secret: str) -> TrackerAdapter:
    from cockpit.sync.redmine import RedmineAdapter

    return RedmineAdapter(tracker.name, tracker.url, tracker.project, secret, dict(tracker.options))


# One factory per tracker kind (cockpit/sync/kinds.py names the kinds and their settings).
ADAPTERS: dict[str, Callable[[Tracker, str], TrackerAdapter]] = {
    "roundup": _roundup,
    "github": _github,
    "jira": _jira,
    "gitlab": _gitlab,
    "redmine": _redmine,
}


def make_adapter(tracker: Tracker, secret: str | None = None) -> TrackerAdapter:
    secret = secret_for(tracker) if secret is None else secret
    factory = ADAPTERS.get(tracker.kind)
    if factory is None:
        raise InvalidInput(f"'{tracker.kind}' is not a tracker kind this release can sync with "
                           f"({', '.join(ADAPTERS)}).")
    try:
        return factory(tracker, secret)
    except Permanent as exc:  # settings the adapter cannot work with (a malformed project, say)
        raise InvalidInput(str(exc)) from None


def open_relay(incidents: IncidentService, name: str | None) -> Relay:
    return Relay(incidents, make_adapter(choose_tracker(name)))


def _minutes_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else int((now - moment).total_seconds() // 60)


def summary(state: TrackerState | None, queued: int, oldest_minutes: int | None, dead: int = 0, parked: int = 0) -> str:
    """The status line's words: synced / N queued, oldest 12 min / tracker unreachable / login needed / tracker
    URL looks wrong; with ", N failed" when changes were refused for good (``cockpit sync failed``) and ", N parked"
    when records from the tracker were set aside (``cockpit sync status`` says why)."""
    words = _summary(state, queued, oldest_minutes)
    words = f"{words}, {dead} failed" if dead else words
    return f"{words}, {parked} parked" if parked else words


def _summary(state: TrackerState | None, queued: int, oldest_minutes: int | None) -> str:
    if state is not None and state.login_needed:
        return "login needed"
    if state is not None and state.url_wrong:
        return "tracker URL looks wrong"
    if state is not None and not state.reachable:
        return f"tracker unreachable, {queued} queued"
    if queued:
        return f"{queued} queued, oldest {oldest_minutes or 0} min"
    if state is None or (state.last_push_at is None and state.last_pull_at is None):
        return "not synced yet"
    return "synced"


def status_rows(incidents: IncidentService) -> list[dict[str, Any]]:
    now = incidents.clock()
    queue = queue_status(incidents)
    oldest = _minutes_since(queue["oldest_queued_at"], now)
    rows = []
    for tracker in load_trackers():
        state = tracker_state(incidents, tracker.name)
        merger = Merger(incidents, tracker.name)
        conflicts = merger.conflicts()
        parked = merger.parked()
        rows.append({
            "tracker": tracker.name, "kind": tracker.kind, "url": tracker.url,
            "summary": summary(state, queue["queued"], oldest, queue["dead_letters"], len(parked)),
            "reachable": None if state is None else state.reachable,
            "login_needed": bool(state and state.login_needed),
            "url_wrong": bool(state and state.url_wrong),
            "queued": queue["queued"], "oldest_queued_age_minutes": oldest, "dead_letters": queue["dead_letters"],
            "waiting_for": waiting_for(state, queue, now),
            "conflicts": len(conflicts), "conflict_lines": [c.sentence for c in conflicts[-5:]],
            "parked": len(parked),
            "parked_records": [{"id": p.id, "what": p.what, "reason": p.reason, "times": p.times,
                                "first_seen_at": p.first_seen_at.isoformat()} for p in parked],
            "last_push_at": state.last_push_at.isoformat() if state and state.last_push_at else None,
            "last_pull_at": state.last_pull_at.isoformat() if state and state.last_pull_at else None,
            "last_error": state.last_error if state else None,
        })
    return rows


def waiting_for(state: TrackerState | None, queue: dict[str, Any], now: datetime) -> str | None:
    """What the queue waits for, in a sentence (None when nothing waits)."""
    if not queue["queued"]:
        return None
    if state is not None and state.login_needed:
        return f"a login that works: {state.last_error or 'the tracker refused the secret'}"
    if state is not None and state.url_wrong:
        return f"the tracker settings to be fixed: {state.last_error or 'the URL looks wrong'}"
    due = queue["next_attempt_at"]
    if due is None or due <= now:
        return "the next round (due now)"
    reason = one_line(queue["waiting_reason"] or "")
    if queue["waiting_kind"] == "settling":
        return f"an earlier attempt that may still land: looking again at {due:%H:%M:%S} UTC ({reason})"
    if queue["waiting_kind"] == "rate":
        return f"the tracker's rate limit: sending again at {due:%H:%M:%S} UTC ({reason})"
    return f"a retry at {due:%H:%M:%S} UTC after: {reason or 'a failed attempt'} (any answer from the tracker " \
           f"ends this wait sooner)"


def status_line(incidents: IncidentService) -> str:
    """What the cockpit's status line shows in its sync slot."""
    trackers = load_trackers()
    if not trackers:
        return "local only"
    rows = status_rows(incidents)
    return rows[0]["summary"] if rows else "local only"


def check_login(tracker: Tracker, secret: str) -> str | None:
    """Try a secret against the tracker before it is saved. Returns None when the tracker accepted it, or a
    sentence saying why it could not be checked now; raises ``LoginNeeded`` when the tracker refused it."""
    from cockpit.sync.adapter import AuthFailed, Misconfigured, Permanent, TrackerError
    from cockpit.sync.settings import LoginNeeded

    adapter = make_adapter(tracker, secret)
    try:
        adapter.check()
    except AuthFailed:
        raise LoginNeeded(f"{tracker.name} refused that secret (401); nothing was saved. Check it and log in again.") \
            from None
    except (Permanent, Misconfigured) as exc:
        return f"saved, but {exc}"
    except TrackerError as exc:
        return f"saved without a check: {exc}; it will be used when the tracker answers"
    finally:
        adapter.close()
    return None


def login_state(tracker: Tracker, incidents: IncidentService | None) -> str:
    """How ``tracker list`` describes the login: "logged in", "login needed" (no secret), or "refused" (there is
    a secret, but the tracker's last answer to it was 401)."""
    from cockpit.sync.settings import LoginNeeded

    try:
        secret_for(tracker)
    except LoginNeeded:
        return "login needed"
    if incidents is not None:
        state = tracker_state(incidents, tracker.name)
        if state is not None and state.login_needed:
            return "refused"
    return "logged in"
