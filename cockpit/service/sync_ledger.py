"""What the sync relay records, written in one place: the outbox rows' attempts and results, each tracker's
sync state (cursor, reachability, login), and the links between local and remote records.

The relay (``cockpit.sync``) decides what to send and how to react to an answer; it never opens a database
session itself (an import-linter contract keeps ``cockpit.sync`` away from ``cockpit.store``). Every write
about the sync goes through here or through the merger (``cockpit.service.merge``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from cockpit.domain.incident import OutboxState
from cockpit.domain.severity import Severity
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import roles_text
from cockpit.service.role_holders import holders_by_role
from cockpit.store.models import Incident, OutboxOp, RemoteLink, SyncState

SYNC_STATE_FIELDS = frozenset({"pull_cursor", "last_pull_at", "last_push_at", "last_attempt_at", "last_error",
                               "reachable", "login_needed", "url_wrong"})


@dataclass
class QueuedChange:
    """One pending outbox row as the relay sees it (a copy: changing it changes nothing stored)."""

    id: str
    incident_id: str
    entity_id: str
    op: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class TrackerState:
    """A tracker's sync state as read (None fields: never recorded)."""

    tracker: str
    reachable: bool = True
    login_needed: bool = False
    url_wrong: bool = False
    last_error: str | None = None
    last_push_at: datetime | None = None
    last_pull_at: datetime | None = None
    pull_cursor: datetime | None = None
    agreed: dict[str, dict[str, str]] = field(default_factory=dict)


def _state_of(row: SyncState) -> TrackerState:
    return TrackerState(row.tracker, row.reachable, row.login_needed, row.url_wrong, row.last_error,
                        row.last_push_at, row.last_pull_at, row.pull_cursor,
                        {k: dict(v) for k, v in (row.remote_state or {}).items()})


def tracker_state(incidents: IncidentService, tracker: str) -> TrackerState | None:
    with incidents.store.read() as session:
        row = session.get(SyncState, tracker)
        return None if row is None else _state_of(row)


def login_accepted(incidents: IncidentService, tracker: str) -> None:
    """The tracker accepted a secret just now: "login needed" no longer tells the truth."""
    with incidents.store.write() as session:
        state = session.get(SyncState, tracker)
        if state is not None and (state.login_needed or state.last_error):
            state.login_needed, state.last_error = False, None
            session.add(state)


def queue_status(incidents: IncidentService) -> dict[str, Any]:
    """How many changes wait, since when, how many were refused for good, and what the next one waits for."""
    with incidents.store.read() as session:
        pending = session.exec(select(OutboxOp).where(OutboxOp.state == OutboxState.PENDING)
                               .order_by(col(OutboxOp.created_at))).all()
        dead = session.exec(select(OutboxOp).where(OutboxOp.state == OutboxState.DEAD)).all()
        total = len(session.exec(select(Incident.id)).all())
    oldest = pending[0].created_at if pending else None
    waiting = [(op.next_attempt_at, op.seq or 0, op) for op in pending if op.next_attempt_at is not None]
    first = min(waiting, key=lambda item: (item[0], item[1]))[2] if waiting else None
    return {"queued": len(pending), "oldest_queued_at": oldest, "dead_letters": len(dead), "incidents": total,
            "next_attempt_at": first.next_attempt_at if first else None,
            "waiting_reason": (first.last_error or "") if first else "",
            "waiting_kind": str(first.payload.get("_wait", "backoff")) if first else ""}


class SyncLedger:
    """The relay's bookkeeping for one tracker."""

    def __init__(self, incidents: IncidentService, tracker: str) -> None:
        self.incidents = incidents
        self.tracker = tracker

    # --- the queue ---------------------------------------------------------------------------
    def pending(self, limit: int) -> list[QueuedChange]:
        with self.incidents.store.read() as session:
            rows = session.exec(select(OutboxOp).where(OutboxOp.state == OutboxState.PENDING)
                                .order_by(col(OutboxOp.seq)).limit(limit)).all()
            return [QueuedChange(r.id, r.incident_id, r.entity_id, r.op, dict(r.payload), r.attempts,
                                 r.next_attempt_at) for r in rows]

    def finish(self, change: QueuedChange, state: str, error: str | None = None,
               payload: dict[str, Any] | None = None, next_at: datetime | None = None, attempts_inc: int = 0) -> None:
        """Record how an attempt went: the row's state, error, next attempt and attempts."""
        with self.incidents.store.write() as session:
            row = session.exec(select(OutboxOp).where(OutboxOp.id == change.id)).one()
            row.state, row.last_error, row.next_attempt_at = state, error, next_at
            row.attempts += attempts_inc
            if payload is not None:
                row.payload = payload
            session.add(row)

    def save(self, change: QueuedChange, **changes: Any) -> None:
        """Persist payload bookkeeping (``_token``, ``_sent_at``...) before it is relied on."""
        payload = {**change.payload, **changes}
        with self.incidents.store.write() as session:
            row = session.exec(select(OutboxOp).where(OutboxOp.id == change.id)).one()
            row.payload = payload
            session.add(row)
        change.payload = payload

    # --- the tracker's state -------------------------------------------------------------------
    def note(self, **changes: Any) -> None:
        unknown = set(changes) - SYNC_STATE_FIELDS
        if unknown:
            raise ValueError(f"not a sync state field: {', '.join(sorted(unknown))}")
        with self.incidents.store.write() as session:
            row = session.get(SyncState, self.tracker)
            if row is None:
                row = SyncState(tracker=self.tracker, remote_state={})
            for key, value in changes.items():
                setattr(row, key, value)
            session.add(row)

    def pull_cursor(self) -> datetime | None:
        state = tracker_state(self.incidents, self.tracker)
        return state.pull_cursor if state else None

    # --- links ---------------------------------------------------------------------------------
    def link(self, kind: str, local_id: str) -> str | None:
        with self.incidents.store.read() as session:
            row = session.get(RemoteLink, (self.tracker, local_id))
            return row.remote_id if row is not None and row.kind == kind else None

    def set_link(self, kind: str, local_id: str, remote_id: str) -> None:
        with self.incidents.store.write() as session:
            session.merge(RemoteLink(tracker=self.tracker, local_id=local_id, kind=kind, remote_id=remote_id))

    def known_entries(self, remote_ids: set[str]) -> set[str]:
        """Which of these remote entry ids are already linked to an entry of this cockpit."""
        found: set[str] = set()
        items = sorted(remote_ids)
        with self.incidents.store.read() as session:
            for start in range(0, len(items), 500):
                found.update(session.exec(select(RemoteLink.remote_id).where(
                    RemoteLink.tracker == self.tracker, RemoteLink.kind == "entry",
                    col(RemoteLink.remote_id).in_(items[start:start + 500]))).all())
        return found

    # --- what a field change sends ---------------------------------------------------------------
    def fields_now(self, incident_id: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """The incident's synced fields now, and the values the tracker was last known to hold (None: the
        incident is gone)."""
        with self.incidents.store.read() as session:
            incident = session.get(Incident, incident_id)
            if incident is None:
                return None
            state = session.get(SyncState, self.tracker)
            agreed = dict(state.remote_state.get(incident_id, {})) if state else {}
            roles_now = roles_text(holders_by_role(session, incident_id))
            return ({"severity": Severity(incident.severity).label, "phase": incident.phase, "roles": roles_now},
                    agreed)
