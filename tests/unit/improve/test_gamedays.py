"""A Game Day as an exercise incident: walked stage by stage on a real SQLite file, read back from its timeline,
refused out of order; afterwards the monthly report, MTTR and the SLO budget bookkeeping are unchanged and nothing
was queued for the tracker (unless asked)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from cockpit.domain import chaos
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import RuleViolation
from cockpit.service.aftercare import Aftercare
from cockpit.service.gamedays import GameDays
from cockpit.service.improve_files import experiments
from cockpit.service.incidents import IncidentService
from cockpit.service.signals import Signals
from cockpit.store.models import OutboxOp
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def experiment(tmp_path: Path) -> chaos.Experiment:
    path = tmp_path / "checkout-db-latency.yaml"
    shutil.copy(ROOT / "sample_data" / "chaos" / path.name, path)
    return experiments([path]).items[0][1]


def _real_incident(svc: IncidentService, clock: FakeClock) -> None:
    """A real incident declared at 14:00 and resolved at 14:40: MTTR 40 minutes."""
    ref = svc.open_incident("Checkout 500s", Impact.DEGRADED, Scope.GT25, services=["checkout-api"]).ref
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE):
        clock.advance(minutes=10)
        svc.set_phase(ref, phase)
    clock.advance(minutes=10)
    svc.set_phase(ref, Phase.RESOLVE)


def walk(days: GameDays, experiment: chaos.Experiment, clock: FakeClock, abort: bool = True) -> str:
    day = days.start(experiment, list(chaos.PRE_GAME))
    ref = day.ref
    clock.advance(minutes=15)
    days.record(ref, "baseline", "Steady state holds: 5xx ratio: 15 readings within < 0.01")
    days.record(ref, "announce", "Announced in #engineering: Chaos Game Day starting")
    clock.advance(minutes=1)
    days.record(ref, "inject", "Fault injected: network on checkout-api")
    clock.advance(minutes=5)
    days.observe(ref, "p99 rose to 1.2 s")
    if abort:
        days.abort(ref, "5xx ratio above 5 %", experiment.rollback_plan, "0.07")
    else:
        days.record(ref, "remove", "Fault removed")
    clock.advance(minutes=10)
    days.record(ref, "recovery", "Steady state holds again")
    days.save_results(ref, chaos.Results("disproved", ("pool had no timeout",), ("Add a 2 s pool timeout",)),
                      Path(experiment.source))
    return ref


def test_a_game_day_end_to_end_leaves_the_figures_and_the_outbox_alone(svc: IncidentService, clock: FakeClock,
                                                                       experiment: chaos.Experiment) -> None:
    _real_incident(svc, clock)
    today = date(2026, 11, 30)
    before = Aftercare(svc).monthly_report("2026-11", today)
    queued = svc.pending_outbox()
    assert before["monthly_report"]["incidents"]["mttr_minutes"] == 40.0  # type: ignore[index]
    days = GameDays(svc)
    ref = walk(days, experiment, clock)
    day = days.get(ref)
    assert day.state.stage is None and day.state.aborted and day.state.abort_reason == "5xx ratio above 5 %"
    assert svc.get(ref).snapshot.phase is Phase.RESOLVE and svc.get(ref).snapshot.exercise
    assert Aftercare(svc).monthly_report("2026-11", today) == before  # count, MTTR, MTTD, by severity, weeks
    assert svc.pending_outbox() == queued  # nothing of the exercise was queued for the tracker
    with svc.store.read() as session:
        assert not session.exec(select(OutboxOp).where(OutboxOp.incident_id == day.incident_id)).all()
    # SLO budget bookkeeping: only the real incident needs figures
    needs = Signals(svc).budget_needs({"checkout-api": ["checkout-api/availability"]}, since=clock.now.replace(day=1))
    assert [n.incident_id for n in needs] != [] and day.incident_id not in {n.incident_id for n in needs}
    assert ref not in Signals(svc).incidents_in_window("checkout-api", clock.now.replace(day=1))
    # the timeline holds every stage, the abort with its rollback plan, and the results
    texts = [e.text for e in svc.get(ref).timeline]
    assert any(t.startswith("Pre-game checklist done: Experiment designed and reviewed;") for t in texts)
    aborted = "ABORTED: 5xx ratio above 5 % (0.07). Fault removed; rollback: toxiproxy-cli"
    assert any(t.startswith(aborted) for t in texts)
    assert "Observation: p99 rose to 1.2 s" in texts
    assert any(t.startswith("Results: disproved (aborted).") and "Action item: Add a 2 s pool timeout" in t
               for t in texts)
    # and the experiment file holds the results
    saved = yaml.safe_load(Path(experiment.source).read_text(encoding="utf-8"))["experiment"]["results"]
    assert saved == {"outcome": "disproved", "observations": ["pool had no timeout"],
                     "action_items": ["Add a 2 s pool timeout"]}


def test_a_game_day_asked_to_go_to_the_tracker_is_queued(svc: IncidentService, experiment: chaos.Experiment) -> None:
    day = GameDays(svc).start(experiment, list(chaos.PRE_GAME), to_tracker=True)
    with svc.store.read() as session:
        assert session.exec(select(OutboxOp).where(OutboxOp.incident_id == day.incident_id)).all()


def test_stages_out_of_order_are_refused(svc: IncidentService, clock: FakeClock,
                                         experiment: chaos.Experiment) -> None:
    days = GameDays(svc)
    with pytest.raises(RuleViolation, match="pre-game checklist is not complete: All participants briefed"):
        days.start(experiment, [i for i in chaos.PRE_GAME if i != "All participants briefed"])
    ref = days.start(experiment, list(chaos.PRE_GAME)).ref
    with pytest.raises(RuleViolation, match="next Game Day step is Verify steady state"):
        days.record(ref, "inject", "too early")
    with pytest.raises(RuleViolation, match="nothing to abort"):
        days.abort(ref, "x", "y")
    with pytest.raises(RuleViolation, match="while the fault is on"):
        days.observe(ref, "nothing yet")
    with pytest.raises(RuleViolation, match="Not yet"):
        days.save_results(ref, chaos.Results("confirmed"))
    real = svc.open_incident("Real", Impact.DEGRADED, Scope.GT25).ref
    with pytest.raises(RuleViolation, match="real incident"):
        days.record(real, "baseline", "x")


def test_maturity_follows_the_game_days(svc: IncidentService, clock: FakeClock, experiment: chaos.Experiment) -> None:
    days = GameDays(svc)
    today = clock.now.date()
    assert days.maturity(["checkout-api"], today)["checkout-api"][0] == 0
    walk(days, experiment, clock, abort=False)
    assert days.maturity(["checkout-api"], today)["checkout-api"] == (1, "1 completed run(s), not one in each of "
                                                                         "the last three 30-day periods")
