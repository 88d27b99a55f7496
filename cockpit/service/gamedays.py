"""Game Days: a chaos experiment walked as an exercise incident with its own timeline.

Each stage of the seed's Game Day runbook is one timeline entry whose ``data.gameday`` names the stage, so the
walk is read back from the timeline (after a restart, on another screen, from the CLI). An exercise is never
counted in the monthly figures, MTTR or SLO budgets, and nothing of it is queued for the tracker unless the
Game Day was started with ``to_tracker``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from cockpit.domain import chaos
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput, RuleViolation
from cockpit.service.incidents import IncidentService
from cockpit.store.models import Incident, TimelineEntry

MAX_OBSERVATION = 4000


@dataclass(frozen=True)
class GameDay:
    incident_id: str
    ref: str
    title: str
    experiment: str  # the experiment's name
    source: str  # the experiment file
    service: str
    environment: str
    state: chaos.GameDayState
    declared_at: datetime
    watched: bool


class GameDays:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents

    # --- starting ---------------------------------------------------------------------------------
    def start(self, experiment: chaos.Experiment, checklist: list[str], to_tracker: bool = False) -> GameDay:
        """Open the exercise incident and record the pre-game checklist (every item must be ticked)."""
        missing = [item for item in chaos.PRE_GAME if item not in checklist]
        if missing:
            raise RuleViolation(f"The pre-game checklist is not complete: {missing[0]}; tick every item first.")
        svc = self.incidents
        snapshot = svc.open_incident(f"Game Day: {experiment.name}", Impact.COSMETIC, Scope.ONE_USER,
                                     services=[experiment.target], kind="exercise", to_tracker=to_tracker)
        self.record(snapshot.id, "pregame", "Pre-game checklist done: " + "; ".join(chaos.PRE_GAME) + ".",
                    {"experiment": experiment.name, "source": experiment.source, "environment": experiment.environment,
                     "hypothesis": experiment.hypothesis, "rollback_plan": experiment.rollback_plan,
                     "watched": any(not a.by_hand for a in experiment.abort_conditions)})
        return self.get(snapshot.id)

    # --- recording --------------------------------------------------------------------------------
    def record(self, query: str, stage: str, text: str, data: dict[str, Any] | None = None) -> GameDay:
        """One stage done, as a timeline entry of the exercise (refused out of order)."""
        if stage not in chaos.STAGE_KEYS and stage != "abort":
            raise InvalidInput(f"'{stage}' is not a Game Day stage.")
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            incident = svc.find_in(session, query)
            if incident.kind != "exercise":
                raise RuleViolation("This is a real incident, not a Game Day.")
            state = _state(session, incident.id)
            expected = state.stage
            if stage == "abort":
                if not state.fault_on:
                    raise RuleViolation("The fault is not on: there is nothing to abort.")
            elif stage == "pregame" and state.done:
                raise RuleViolation("The pre-game checklist is already recorded.")
            elif stage == "remove" and state.fault_on:
                pass
            elif stage != "pregame" and (expected is None or expected.key != stage):
                nxt = expected.title if expected else "nothing: the Game Day is over"
                raise RuleViolation(f"Not now: the next Game Day step is {nxt}.")
            svc.append_in(session, incident, "system", text, now, {"gameday": stage, **(data or {})})
            if stage == "inject" and Phase(incident.phase) is Phase.DETECT:
                incident.phase = Phase.RESPOND.value  # the exercise is under way (no acknowledgement counted)
            session.add(incident)
        return self.get(query)

    def observe(self, query: str, text: str) -> GameDay:
        """An observation typed while the fault is on."""
        text = text.strip()
        if not text:
            raise InvalidInput("The observation is empty: write what you saw.")
        if len(text) > MAX_OBSERVATION:
            raise InvalidInput(f"An observation is at most {MAX_OBSERVATION} characters.")
        day = self.get(query)
        if not day.state.fault_on:
            raise RuleViolation("Observations are recorded while the fault is on; add a note to the timeline instead.")
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            incident = svc.find_in(session, query)
            svc.append_in(session, incident, "note", f"Observation: {text}", now)
        return self.get(query)

    def abort(self, query: str, condition: str, rollback_plan: str, value: str = "") -> GameDay:
        seen = f" ({value})" if value else ""
        return self.record(query, "abort", f"ABORTED: {condition}{seen}. Fault removed; rollback: {rollback_plan}",
                           {"condition": condition, "value": value, "rollback_plan": rollback_plan})

    def save_results(self, query: str, results: chaos.Results, experiment_file: Path | None = None) -> GameDay:
        """The post-game results: into ``experiment_file`` (the experiment as the caller loaded it from the configured
        folders; never a path read back from the timeline) when it still reads cleanly, and the timeline; the
        exercise is then resolved."""
        if results.outcome not in chaos.OUTCOMES:
            raise InvalidInput(f"'{results.outcome}' is not an outcome: {', '.join(chaos.OUTCOMES)}.")
        day = self.get(query)
        if day.state.stage is None or day.state.stage.key != "results":
            nxt = day.state.stage.title if day.state.stage else "nothing: the Game Day is over"
            raise RuleViolation(f"Not yet: the next Game Day step is {nxt}.")
        if experiment_file is not None:
            from cockpit.service.improve_files import write_results

            write_results(experiment_file, results)
        lines = [f"Results: {results.outcome}" + (" (aborted)" if day.state.aborted else "") + "."]
        lines += [f"Observation: {o}" for o in results.observations]
        lines += [f"Action item: {a}" for a in results.action_items]
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            incident = svc.find_in(session, query)
            svc.append_in(session, incident, "system", "\n".join(lines), now,
                        {"gameday": "results", "outcome": results.outcome, "observations": list(results.observations),
                         "action_items": list(results.action_items), "aborted": day.state.aborted})
            incident.phase = Phase.RESOLVE.value
            incident.resolved_at = now
            session.add(incident)
        return self.get(query)

    # --- reading ----------------------------------------------------------------------------------
    def get(self, query: str) -> GameDay:
        svc = self.incidents
        with svc.store.read() as session:
            incident = svc.find_in(session, query)
            if incident.kind != "exercise":
                raise RuleViolation("This is a real incident, not a Game Day.")
            entries = _entries(session, incident.id)
        first = next((data for _, data in entries if data.get("gameday") == "pregame"), {})
        from cockpit.domain.ids import display_ref

        return GameDay(incident.id, display_ref(incident.ref_key), incident.title, str(first.get("experiment", "")),
                       str(first.get("source", "")), incident.services[0] if incident.services else "",
                       str(first.get("environment", "staging")), chaos.game_day_state(entries), incident.declared_at,
                       bool(first.get("watched", False)))

    def all(self) -> list[GameDay]:
        svc = self.incidents
        with svc.store.read() as session:
            ids = session.exec(select(Incident.id).where(Incident.kind == "exercise")
                               .order_by(col(Incident.declared_at).desc())).all()
        return [self.get(i) for i in ids]

    def runs(self, service: str) -> list[chaos.Run]:
        return [chaos.Run(d.declared_at, d.environment, automated=False, watched=d.watched,
                          completed="results" in d.state.done) for d in self.all() if d.service == service]

    def maturity(self, services: list[str], today: date) -> dict[str, tuple[int, str]]:
        days = self.all()
        out = {}
        for service in services:
            runs = [chaos.Run(d.declared_at, d.environment, watched=d.watched, completed="results" in d.state.done)
                    for d in days if d.service == service]
            out[service] = chaos.maturity(runs, today)
        return out


def _entries(session: Any, incident_id: str) -> list[tuple[datetime, dict[str, Any]]]:
    rows = session.exec(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                        .order_by(col(TimelineEntry.hlc))).all()
    return [(r.at, dict(r.data or {})) for r in rows]


def _state(session: Any, incident_id: str) -> chaos.GameDayState:
    return chaos.game_day_state(_entries(session, incident_id))
