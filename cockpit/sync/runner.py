"""Wiring: the configured tracker, its credential and adapter, a relay; and the sync status summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger
from cockpit.store.models import SyncState
from cockpit.sync.relay import Relay, queue_status
from cockpit.sync.settings import Tracker, load_trackers, secret_for


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


def make_adapter(tracker: Tracker, secret: str | None = None) -> Any:
    secret = secret_for(tracker) if secret is None else secret
    if tracker.kind == "roundup":
        from cockpit.sync.roundup import RoundupAdapter

        user, _, password = secret.partition(":")
        return RoundupAdapter(tracker.name, tracker.url, user, password)
    if tracker.kind == "github":
        from cockpit.sync.adapter import Permanent
        from cockpit.sync.github import GitHubAdapter

        try:
            return GitHubAdapter(tracker.name, tracker.url, tracker.project, secret)
        except Permanent as exc:
            raise InvalidInput(str(exc)) from None
    raise InvalidInput(f"'{tracker.kind}' is not a tracker kind this release can sync with (roundup, github).")


def open_relay(incidents: IncidentService, name: str | None) -> Relay:
    return Relay(incidents, make_adapter(choose_tracker(name)))


def _minutes_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else int((now - moment).total_seconds() // 60)


def summary(state: SyncState | None, queued: int, oldest_minutes: int | None, dead: int = 0) -> str:
    """The status line's words: synced / N queued, oldest 12 min / tracker unreachable / login needed; with
    ", N failed" when changes were refused for good (``cockpit sync failed``)."""
    words = _summary(state, queued, oldest_minutes)
    return f"{words}, {dead} failed" if dead else words


def _summary(state: SyncState | None, queued: int, oldest_minutes: int | None) -> str:
    if state is not None and state.login_needed:
        return "login needed"
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
        with incidents.store.read() as session:
            state = session.get(SyncState, tracker.name)
        conflicts = Merger(incidents, tracker.name).conflicts()
        rows.append({
            "tracker": tracker.name, "kind": tracker.kind, "url": tracker.url,
            "summary": summary(state, queue["queued"], oldest, queue["dead_letters"]),
            "reachable": None if state is None else state.reachable,
            "login_needed": bool(state and state.login_needed),
            "queued": queue["queued"], "oldest_queued_age_minutes": oldest, "dead_letters": queue["dead_letters"],
            "conflicts": len(conflicts), "conflict_lines": [c.sentence for c in conflicts[-5:]],
            "last_push_at": state.last_push_at.isoformat() if state and state.last_push_at else None,
            "last_pull_at": state.last_pull_at.isoformat() if state and state.last_pull_at else None,
            "last_error": state.last_error if state else None,
        })
    return rows


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
    from cockpit.sync.adapter import AuthFailed, Permanent, TrackerError
    from cockpit.sync.settings import LoginNeeded

    adapter = make_adapter(tracker, secret)
    try:
        adapter.check()
    except AuthFailed:
        raise LoginNeeded(f"{tracker.name} refused that secret (401); nothing was saved. Check it and log in again.") \
            from None
    except Permanent as exc:
        return f"saved, but {exc}"
    except TrackerError as exc:
        return f"saved without a check: {exc}; it will be used when the tracker answers"
    finally:
        adapter.close()
    return None
