"""Replay a finished incident into a scratch database, and start a drill from a past incident's opening.

A replay never touches the real database: the incident is copied, as it was when declared, into a scratch SQLite file
in a fresh temporary folder, as an exercise that never goes to a tracker; then its entries are written one by one
(same ids, times, stamps and text) and each one's effect on the incident (phase, severity, roles, root cause, last
update) is applied, so the screen shows the incident as it stood at that moment. Nothing is ever queued in the
scratch database's outbox (rows are written directly, never through ``append_in``), and the scratch database has no
tracker settings: the replay's cockpit does not sync.

A drill is a new exercise incident in the real database (``kind="exercise"``: never counted in the figures, sent to
the tracker only when asked), seeded with the past incident's opening entries, its clock running from now.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlmodel import Session, col, select

from cockpit.domain import ids
from cockpit.domain import replay as rules
from cockpit.domain.incident import Entry
from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope, Severity, Triggers
from cockpit.errors import InvalidInput, RuleViolation
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.store.models import Incident, RoleAssignment, TimelineEntry


class ReplayClock:
    """The replay's "now" (see ``domain.replay.replay_now``), started when made."""

    def __init__(self, times: list[datetime], speed: float, max_wait: float | None = None) -> None:
        self.times, self.speed = times, speed
        self.offsets = rules.replay_offsets(times, speed, max_wait)
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self) -> datetime:
        return rules.replay_now(self.times, self.offsets, self.elapsed(), self.speed)


@dataclass
class Scratch:
    """The scratch database a replay plays into: a fresh temporary folder, removed by ``discard``."""

    folder: Path
    store: Store

    @property
    def path(self) -> Path:
        return self.store.path

    @classmethod
    def create(cls) -> Scratch:
        folder = Path(tempfile.mkdtemp(prefix="cockpit-replay-"))
        return cls(folder, Store.open(folder / "replay.db"))

    def discard(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Replay:
    """A finished incident's timeline played into ``scratch`` (call ``prepare``, then ``play`` each entry)."""

    def __init__(self, source: IncidentService, query: str, scratch: Store) -> None:
        detail = source.get(query)
        if detail.snapshot.phase.is_open:
            snap = detail.snapshot
            raise RuleViolation(f"{snap.ref} is still open ({snap.phase.value}): a replay plays a finished incident; "
                                "`cockpit drill` starts an exercise from an open one's opening.")
        if not detail.timeline:
            raise RuleViolation(f"{detail.snapshot.ref} has no timeline entries to replay.")
        self.source = source
        self.snapshot = detail.snapshot
        self.entries: list[Entry] = list(detail.timeline)
        self.scratch = scratch
        with source.store.read() as session:
            row = source.find_in(session, query)
            self._row: dict[str, Any] = row.model_dump()
            self._data = {e.id: e.data for e in session.exec(select(TimelineEntry).where(
                TimelineEntry.incident_id == row.id)).all()}
        self.played = 0

    def clock(self, speed: float, max_wait: float | None = None) -> ReplayClock:
        return ReplayClock([e.at for e in self.entries], speed, max_wait)

    def prepare(self) -> str:
        """The incident in the scratch database as it was declared (an exercise, never for a tracker); its id."""
        first = SimpleNamespace(**self._row)
        declared = next((self._data.get(e.id, {}) for e in self.entries if e.kind == "declared"), {})
        severity = Severity.parse(declared["severity"]) if isinstance(declared.get("severity"), str) else \
            Severity(first.severity)
        opening = next((e.text for e in self.entries if e.kind == "declared"), "")
        reason = opening.split(f"{first.title}. ", 1)[1] if f"{first.title}. " in opening else ""
        with self.scratch.write() as session:
            session.add(Incident(
                id=first.id, ref_key=first.ref_key, title=first.title, services=first.services,
                impact=first.impact, scope=first.scope, triggers=first.triggers, severity=int(severity),
                severity_reason=reason or first.severity_reason, phase=Phase.DETECT.value,
                declared_by=first.declared_by, declared_at=first.declared_at, started_at=first.started_at,
                updated_at=first.declared_at, kind="exercise", to_tracker=False,
            ))
        return str(first.id)

    def play(self, entry: Entry) -> None:
        """Write one entry (same id, time, stamp, text) and apply what it changed to the incident."""
        data = self._data.get(entry.id, {})
        with self.scratch.write() as session:
            incident = session.get(Incident, self._row["id"])
            assert incident is not None
            session.add(TimelineEntry(id=entry.id, incident_id=incident.id, hlc=entry.hlc, at=entry.at,
                                      kind=entry.kind, author=entry.author, text=entry.text, data=data,
                                      origin="replay"))
            _apply(session, incident, entry, data)
            incident.updated_at = entry.at
            session.add(incident)
        self.played += 1

    def run(self, clock: ReplayClock, on_entry: Callable[[Entry, float], None] | None = None,
            stop: threading.Event | None = None) -> int:
        """Play every entry at its time on the replay's ``clock``; returns how many were played."""
        for entry, offset in zip(self.entries, clock.offsets, strict=True):
            wait = offset - clock.elapsed()
            if wait > 0 and stop is not None and stop.wait(wait):
                break
            if wait > 0 and stop is None:
                time.sleep(wait)
            if stop is not None and stop.is_set():
                break
            self.play(entry)
            if on_entry is not None:
                on_entry(entry, clock.elapsed())
        return self.played


def _apply(session: Session, incident: Incident, entry: Entry, data: dict[str, Any]) -> None:
    """What an entry changed on the incident, read from what its use case stored with it."""
    kind = entry.kind
    if kind == "phase" and isinstance(data.get("to"), str):
        target = Phase(str(data["to"]))
        incident.phase = target.value
        if target is Phase.TRIAGE and incident.acknowledged_at is None:
            incident.acknowledged_at = entry.at
        if target is Phase.MITIGATE:
            incident.mitigated_at = entry.at
        if target is Phase.RESOLVE:
            incident.resolved_at = entry.at
    elif kind == "severity" and isinstance(data.get("to"), str):
        incident.severity = int(Severity.parse(str(data["to"])))
        incident.severity_reason = entry.text
    elif kind in ("status", "comms"):
        incident.last_update_at = entry.at
    elif kind == "decision" and isinstance(data.get("root_cause"), str):
        incident.root_cause = str(data["root_cause"])
    elif kind in ("role", "handover") and isinstance(data.get("role"), str):
        role = Role(str(data["role"]))
        released = data.get("released") or data.get("previous")
        if isinstance(released, str):
            for row in session.exec(select(RoleAssignment).where(
                    RoleAssignment.incident_id == incident.id, RoleAssignment.role == role.value,
                    RoleAssignment.holder == released, col(RoleAssignment.until).is_(None))).all():
                row.until = entry.at
                session.add(row)
        if isinstance(data.get("holder"), str):
            session.add(RoleAssignment(id=str(ids.uuid7(int(entry.at.timestamp() * 1000), entry.id.encode()[:10])),
                                       incident_id=incident.id, role=role.value, holder=str(data["holder"]),
                                       assigned_by=entry.author, since=entry.at))


# --- drills -----------------------------------------------------------------------------------------
def start_drill(svc: IncidentService, query: str, count: int = rules.DEFAULT_OPENING,
                to_tracker: bool = False) -> tuple[str, int]:
    """A tabletop exercise from a past incident: a new exercise incident with its opening entries; (ref, count)."""
    if count < 0 or count > 100:
        raise InvalidInput(f"A drill opens with 0 to 100 of the past incident's entries, not {count}.")
    detail = svc.get(query)
    past = detail.snapshot
    opening = rules.opening_entries(detail.timeline, count)
    with svc.store.read() as session:  # as it was declared (impact, scope, triggers), not as it ended
        declared = session.exec(select(TimelineEntry.data).where(
            TimelineEntry.incident_id == past.id, TimelineEntry.kind == "declared")).first() or {}
    try:
        impact, scope = Impact(declared.get("impact")), Scope(declared.get("scope"))
        triggers = Triggers.from_dict(declared.get("triggers") or {})
    except (ValueError, TypeError, AttributeError):
        impact, scope, triggers = past.impact, past.scope, past.triggers
    drill = svc.open_incident(f"Drill: {past.title}"[:200], impact, scope, triggers, services=past.services,
                              kind="exercise", to_tracker=to_tracker)
    now = svc.clock()
    with svc.store.write() as session:
        incident = svc.find_in(session, drill.id)
        for entry in opening:
            svc.append_in(session, incident, rules.drill_kind(entry), rules.drill_text(entry, past.ref), now,
                          {"drill_of": past.id, "source_entry": entry.id})
    return drill.ref, len(opening)
