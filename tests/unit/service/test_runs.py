"""Runbook runs in the store, and running a step's command safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.domain.runbook import Position
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput, RuleViolation
from cockpit.service.commands import command_line, run_step_command
from cockpit.service.incidents import IncidentService
from cockpit.service.runbooks import load_runbook
from cockpit.service.runs import RunbookRuns
from cockpit.store.db import Store
from tests.conftest import ROOT, FakeClock

BOOK_PATH = ROOT / "tests" / "data" / "walk_runbook.yaml"


@pytest.fixture
def book():
    runbook, problems = load_runbook(BOOK_PATH)
    assert runbook is not None, problems
    return runbook


def test_outcomes_are_recorded_and_the_place_is_kept(svc: IncidentService, clock: FakeClock, book,
                                                     db_path: Path) -> None:
    ref = svc.open_incident("Pool exhausted", Impact.CORE_DOWN, Scope.ALL).ref
    runs = RunbookRuns(svc)
    state = runs.start(ref, book)
    with pytest.raises(RuleViolation, match="already running"):
        runs.start(ref, book)
    runs.record(state.id, book, "expected")
    with pytest.raises(InvalidInput, match="needs a note"):
        runs.record(state.id, book, "unexpected", " ")
    runs.record(state.id, book, "unexpected", "printed /root instead")
    with pytest.raises(InvalidInput, match="needs a reason"):
        runs.record(state.id, book, "skipped")
    runs.record(state.id, book, "skipped", "no tr on this box")
    runs.record(state.id, book, "expected")
    with pytest.raises(RuleViolation, match="choose a mitigation"):
        runs.record(state.id, book, "expected")
    runs.choose(state.id, book, 0)
    # a fresh process (new store, new service) resumes at the same step
    again = RunbookRuns(IncidentService(Store.open(db_path), "bob", clock=clock))
    [resumed] = again.runs(ref)
    assert resumed.position == Position("mitigation", 0, 0)
    again.record(resumed.id, book, "expected")
    again.record(resumed.id, book, "expected")
    assert again.runs(ref)[0].position == Position("done")
    texts = [e.text for e in svc.get(ref).timeline if e.kind == "runbook"]
    assert texts[0] == "Runbook started: Walk test: pool exhausted (walk-test)"
    assert texts[1].endswith("Print the pool state: expected")
    assert "diagnosis 2/4 · Show that no shell is involved: unexpected — printed /root instead" in texts[2]
    assert texts[3].endswith("skipped — no tr on this box")
    assert "mitigation chosen: Rollback" in texts[5]
    assert "mitigation 'Rollback' 1/2 · Roll back: expected" in texts[6]
    assert [e.author for e in svc.get(ref).timeline if e.kind == "runbook"][-1] == "bob"


def test_two_runbooks_run_in_parallel(svc: IncidentService, book, tmp_path: Path) -> None:
    other_path = tmp_path / "other.yaml"
    other_path.write_text(BOOK_PATH.read_text().replace("id: walk-test", "id: other-book"))
    other, _ = load_runbook(other_path)
    assert other is not None
    ref = svc.open_incident("Pool exhausted", Impact.CORE_DOWN, Scope.ALL).ref
    runs = RunbookRuns(svc)
    first, second = runs.start(ref, book), runs.start(ref, other)
    runs.record(first.id, book, "expected")
    positions = {r.runbook_id: r.position.index for r in runs.runs(ref)}
    assert positions == {"walk-test": 1, "other-book": 0}
    assert second.id != first.id


def test_escalation_is_recorded_with_context(svc: IncidentService, clock: FakeClock, book) -> None:
    ref = svc.open_incident("Pool exhausted", Impact.CORE_DOWN, Scope.ALL).ref
    svc.add_entry(ref, "Pool at 160/160, rollback under way", "status")
    runs = RunbookRuns(svc)
    state = runs.start(ref, book)
    assert state.escalation_due(book) == clock.now.replace() + __import__("datetime").timedelta(minutes=15)
    clock.advance(minutes=16)
    text = runs.escalate(state.id, book)
    assert text.startswith("Escalated to #payments-oncall")
    assert f"Escalating {ref} (SEV1, DETECT): Pool exhausted" in text
    assert "started 16 min ago" in text and "Last status: Pool at 160/160" in text
    assert "Context asked for: pool state, what was rolled back" in text
    assert runs.runs(ref)[0].escalated_at == clock.now


def test_commands_run_without_a_shell_unless_marked(book) -> None:
    plain = run_step_command(book.diagnosis[1])
    assert plain.argv == ("echo", "$HOME") and plain.output == "$HOME\n" and plain.exit_code == 0
    piped = run_step_command(book.diagnosis[2])
    assert piped.argv[:2] == ("/bin/sh", "-c") and piped.output == "b\x1b[31mred\n"


def test_a_command_is_stopped_at_its_timeout(book) -> None:
    result = run_step_command(book.diagnosis[3])
    assert result.timed_out and result.exit_code is None and result.seconds < 5
    assert result.summary == "timed out after 1 s"


def test_output_is_capped_and_a_missing_program_is_reported(tmp_path: Path) -> None:
    from cockpit.domain.runbook import RunbookStep

    big = run_step_command(RunbookStep(step="big", command="head -c 200000 /dev/zero", timeout_seconds=10))
    assert big.truncated and len(big.output) == 64 * 1024
    missing = run_step_command(RunbookStep(step="x", command="no-such-program-xyz --flag"))
    assert missing.exit_code == 127 and "could not start no-such-program-xyz" in missing.output
    with pytest.raises(InvalidInput, match="no command"):
        command_line(RunbookStep(step="x"))
    with pytest.raises(InvalidInput, match="cannot be split"):
        command_line(RunbookStep(step="x", command="echo 'unterminated"))
