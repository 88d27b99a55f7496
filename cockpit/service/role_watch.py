"""Role check-ins and the Incident Commander's fatigue, over the timeline (rules in ``domain/role_watch.py``).

Who writes what, once: every "already recorded" is read from the timeline inside the write transaction that would
record it (``BEGIN IMMEDIATE``), so cockpits sharing one database, or one restarting, never write it twice. Across
cockpits that only share the tracker, only the cockpit of the person concerned writes: the fatigue entry by the
Incident Commander's own cockpit, a check-in's overdue entry by the cockpit of whoever set the check-in. The
others show the same advice and countdown (derived from the same entries) without writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cockpit.domain import role_watch as rules
from cockpit.domain.incident import Entry, EntryKind
from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.errors import InvalidInput, RuleViolation
from cockpit.service.incidents import IncidentService, snapshot_of
from cockpit.store.models import Incident, TimelineEntry
from cockpit.textsafe import control_characters

WATCHED_KINDS = (EntryKind.CHECKIN.value, EntryKind.FATIGUE.value)


@dataclass(frozen=True)
class RoleWatchState:
    """What the role board shows beside the holders: handover advice and running check-ins."""

    advice: tuple[rules.FatigueAdvice, ...] = ()
    checkins: tuple[rules.RoleCheckIn, ...] = ()


def _watched_entries(session: Session, incident_id: str) -> list[Entry]:
    rows = session.exec(select(TimelineEntry).where(
        TimelineEntry.incident_id == incident_id, col(TimelineEntry.kind).in_(WATCHED_KINDS))
        .order_by(col(TimelineEntry.hlc), col(TimelineEntry.id))).all()
    return [_as_entry(r) for r in rows]


def _as_entry(row: TimelineEntry) -> Entry:
    return Entry(id=row.id, at=row.at, kind=row.kind, author=row.author, text=row.text, hlc=row.hlc)


class RoleWatch:
    def __init__(self, incidents: IncidentService, suggest_after: timedelta = rules.SUGGEST_AFTER) -> None:
        self.incidents = incidents
        self.suggest_after = suggest_after

    def set_checkin(self, query: str, role: Role, minutes: int, note: str) -> Entry:
        """"Ops Lead, back to you in 5 minutes": a countdown on the role (0 minutes: checked in, cleared)."""
        note = " ".join(note.split())
        if found := control_characters(note):
            raise InvalidInput(f"The check-in note contains a control character ({found}); type it as plain text.")
        if problem := rules.check_checkin(minutes, note):
            raise InvalidInput(problem)
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            incident = svc.find_in(session, query)
            if not Phase(incident.phase).is_open:
                raise RuleViolation("The incident is closed: check-ins are for an open incident.")
            text = rules.checkin_done_text(role, note) if minutes == 0 else rules.checkin_set_text(role, minutes, note)
            row = svc.append_in(session, incident, EntryKind.CHECKIN.value, text, now,
                                {"role": role.value, "minutes": minutes, "note": note})
            return _as_entry(row)

    def state(self, query: str) -> RoleWatchState:
        svc = self.incidents
        with svc.store.read() as session:
            return self._state(session, svc.find_in(session, query), svc.clock())

    def _state(self, session: Session, incident: Incident, now: datetime) -> RoleWatchState:
        snapshot = snapshot_of(session, incident)
        entries = _watched_entries(session, incident.id)
        advice = rules.fatigue_advice(snapshot.roles, entries, now, self.suggest_after, snapshot.phase.is_open)
        running = rules.role_checkins(entries) if snapshot.phase.is_open else {}
        return RoleWatchState(tuple(advice), tuple(running[r] for r in Role if r in running))

    def _due(self, state: RoleWatchState, now: datetime) -> bool:
        me = self.incidents.author.casefold()
        return any(not a.recorded and a.holder.casefold() == me for a in state.advice) or bool(
            rules.overdue_to_record({c.role: c for c in state.checkins}, now, self.incidents.author))

    def record_due(self, query: str) -> tuple[RoleWatchState, list[Entry]]:
        """Write what has fallen due and is this cockpit's to write (see the module's note); the state after."""
        svc = self.incidents
        now = svc.clock()
        with svc.store.read() as session:
            incident = svc.find_in(session, query)
            state = self._state(session, incident, now)
        if not self._due(state, now):
            return state, []
        written: list[Entry] = []
        with svc.store.write() as session:
            incident = svc.find_in(session, query)
            state = self._state(session, incident, now)  # again, under the write lock: another may have written
            me = svc.author.casefold()
            for advice in state.advice:
                if not advice.recorded and advice.holder.casefold() == me:
                    row = svc.append_in(session, incident, EntryKind.FATIGUE.value, advice.text, now,
                                        {"role": advice.role.value, "holder": advice.holder,
                                         "level": advice.level.value,
                                         "held_minutes": int(advice.held // timedelta(minutes=1))})
                    written.append(_as_entry(row))
            for checkin in rules.overdue_to_record({c.role: c for c in state.checkins}, now, svc.author):
                text = rules.checkin_overdue_text(checkin.role, checkin.due_at, checkin.set_at)
                row = svc.append_in(session, incident, EntryKind.CHECKIN.value, text, now,
                                    {"role": checkin.role.value, "overdue": True})
                written.append(_as_entry(row))
            if written:
                session.flush()
                state = self._state(session, incident, now)
        return state, written
