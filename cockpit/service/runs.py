"""Walking runbooks on an incident: start, record each step's outcome, choose a mitigation, escalate.

The run's position lives in the store, so quitting and reopening resumes at the same step; several
runs may be active on one incident. Every outcome is a timeline entry (kind ``runbook``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from cockpit.domain.runbook import (
    OUTCOMES,
    Position,
    Runbook,
    Walk,
    as_data,
    choice_text,
    escalation_context,
    from_data,
)
from cockpit.errors import InvalidInput, NotFound, RuleViolation
from cockpit.service.commands import CommandResult
from cockpit.service.incidents import IncidentService
from cockpit.store.models import RunbookRun, TimelineEntry


@dataclass(frozen=True)
class RunState:
    id: str
    incident_id: str
    runbook_id: str
    runbook_title: str
    started_at: datetime
    started_by: str
    position: Position
    escalated_at: datetime | None
    runbook: Runbook | None = None  # the runbook as it was when the run started (None: older runs)

    def escalation_due(self, runbook: Runbook) -> datetime:
        return self.started_at + timedelta(minutes=runbook.escalation.after_minutes)


def _state(row: RunbookRun) -> RunState:
    kept = from_data(row.runbook, source="(kept with the run)") if row.runbook else None
    return RunState(row.id, row.incident_id, row.runbook_id, row.runbook_title, row.started_at, row.started_by,
                    Position(row.section, row.option, row.step_index), row.escalated_at, kept)


class RunbookRuns:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents

    def start(self, query: str, runbook: Runbook) -> RunState:
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            incident = svc.find_in(session, query)
            active = session.exec(select(RunbookRun).where(
                RunbookRun.incident_id == incident.id, RunbookRun.runbook_id == runbook.id,
                RunbookRun.section != "done")).first()
            if active is not None:
                raise RuleViolation(f"Runbook '{runbook.id}' is already running on this incident; resume it.")
            row = RunbookRun(id=svc.new_id(now), incident_id=incident.id, runbook_id=runbook.id,
                             runbook_title=runbook.title, started_by=svc.author, started_at=now, updated_at=now,
                             runbook=as_data(runbook))
            session.add(row)
            svc.append_in(session, incident, "runbook", f"Runbook started: {runbook.title} ({runbook.id})", now,
                        {"run_id": row.id, "runbook": runbook.id, "event": "started"})
            return _state(row)

    def runs(self, query: str) -> list[RunState]:
        svc = self.incidents
        with svc.store.read() as session:
            incident = svc.find_in(session, query)
            rows = session.exec(select(RunbookRun).where(RunbookRun.incident_id == incident.id)
                                .order_by(col(RunbookRun.started_at))).all()
            return [_state(r) for r in rows]

    def _row(self, session: Session, run_id: str) -> RunbookRun:
        row: RunbookRun | None = session.get(RunbookRun, run_id)
        if row is None:
            raise NotFound(f"No runbook run {run_id}.")
        return row

    def record(self, run_id: str, runbook: Runbook, outcome: str, note: str = "",
               command: CommandResult | None = None, seen: Position | None = None) -> RunState:
        """Mark the current step as expected, unexpected (note required) or skipped (reason required)."""
        if outcome not in OUTCOMES:
            raise InvalidInput(f"'{outcome}' is not an outcome: use {', '.join(OUTCOMES)}.")
        note = note.strip()
        if len(note) > 100_000:
            raise InvalidInput("The note is longer than 100,000 characters; attach a link instead.")
        if outcome == "unexpected" and not note:
            raise InvalidInput("An unexpected result needs a note saying what you saw.")
        if outcome == "skipped" and not note:
            raise InvalidInput("Skipping a step needs a reason.")
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            row = self._row(session, run_id)
            walk = Walk(runbook, Position(row.section, row.option, row.step_index))
            if seen is not None and walk.normalized(seen) != walk.position:
                raise RuleViolation("Someone else moved this runbook on meanwhile; look at the current step again.")
            step = walk.current()
            if step is None:
                raise RuleViolation("There is no current step: choose a mitigation option first."
                                    if walk.awaiting_option else "This runbook run is finished.")
            label = walk.label()
            text = f"Runbook {runbook.id} · {label} · {step.step}: {outcome}"
            if note:
                text += f" — {note}"
            data: dict[str, Any] = {"run_id": row.id, "runbook": runbook.id, "section": row.section,
                                    "option": row.option, "index": row.step_index, "outcome": outcome, "note": note}
            if command is not None:
                text += f"\n$ {' '.join(command.argv)} ({command.summary})\n{command.output}"
                if command.truncated:
                    text += "\n[output truncated]"
                data.update(command=list(command.argv), exit_code=command.exit_code, timed_out=command.timed_out)
            walk.position = walk.advance()
            row.section, row.option, row.step_index = walk.position.section, walk.position.option, walk.position.index
            row.updated_at = now
            session.add(row)
            incident = svc.find_in(session, row.incident_id)
            svc.append_in(session, incident, "runbook", text, now, data)
            return _state(row)

    def choose(self, run_id: str, runbook: Runbook, option: int) -> RunState:
        """Start mitigation option ``option``: once diagnosis is done, or at any time (a diagnosis step that says
        "go to mitigation X"); leaving diagnosis early or switching options is said in the entry."""
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            row = self._row(session, run_id)
            walk = Walk(runbook, Position(row.section, row.option, row.step_index))
            if walk.done:
                raise RuleViolation("This runbook run is finished; attach the runbook again to start over.")
            try:
                text = choice_text(walk, option)
                walk.position = walk.choose(option)
            except IndexError:
                raise InvalidInput(f"Option {option + 1} does not exist; the runbook has "
                                   f"{len(runbook.mitigation)}.") from None
            row.section, row.option, row.step_index = walk.position.section, walk.position.option, walk.position.index
            row.updated_at = now
            session.add(row)
            incident = svc.find_in(session, row.incident_id)
            svc.append_in(session, incident, "runbook", text, now,
                        {"run_id": row.id, "runbook": runbook.id, "event": "mitigation", "option": option})
            return _state(row)

    def escalation_text(self, run_id: str, runbook: Runbook) -> str:
        """What ``escalate`` would write now (for the confirmation that shows it word for word)."""
        svc = self.incidents
        with svc.store.read() as session:
            row = self._row(session, run_id)
            return self._escalation_text(session, row, runbook, svc.clock())

    def _escalation_text(self, session: Session, row: RunbookRun, runbook: Runbook, now: datetime) -> str:
        from cockpit.domain.ids import display_ref
        from cockpit.domain.severity import Severity

        incident = self.incidents.find_in(session, row.incident_id)
        last_status = session.exec(
            select(TimelineEntry.text).where(TimelineEntry.incident_id == incident.id,
                                             TimelineEntry.kind == "status")
            .order_by(col(TimelineEntry.hlc).desc())).first() or ""
        minutes = int((now - row.started_at).total_seconds() // 60)
        context = escalation_context(runbook, incident.title, Severity(incident.severity).label,
                                     incident.phase, display_ref(incident.ref_key), minutes, last_status)
        return f"Escalated to {runbook.escalation.contact or 'the escalation contact'}\n{context}"

    def escalate(self, run_id: str, runbook: Runbook) -> str:
        """Record the escalation with the runbook's context filled in from the incident; returns the text."""
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            row = self._row(session, run_id)
            if row.escalated_at is not None:
                raise RuleViolation(f"This run was already escalated at {row.escalated_at:%H:%M} UTC.")
            incident = svc.find_in(session, row.incident_id)
            text = self._escalation_text(session, row, runbook, now)
            row.escalated_at = now
            session.add(row)
            svc.append_in(session, incident, "runbook", text, now,
                        {"run_id": row.id, "runbook": runbook.id, "event": "escalated",
                         "contact": runbook.escalation.contact})
            return text
