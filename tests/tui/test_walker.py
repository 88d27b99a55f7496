"""The runbook walker driven with Pilot: attach, outcomes, a mitigation, resume, escalation, running a command."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.screens.dialogs import Confirm, Pick, TextPrompt
from cockpit.tui.screens.runbook import RunbookScreen
from tests.tui.conftest import confirm, settle, wait_until

ROOT = Path(__file__).resolve().parents[2]
SIZE = (100, 30)


@pytest.fixture
def walk_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tui_clock) -> Path:
    library = tmp_path / "runbooks"
    library.mkdir()
    (library / "walk-test.yaml").write_text((ROOT / "tests" / "data" / "walk_runbook.yaml").read_text())
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(library))
    db = tmp_path / "walk.db"
    svc = IncidentService(Store.open(db), "ic", clock=tui_clock)
    ref = svc.open_incident("Checkout pool exhausted", Impact.CORE_DOWN, Scope.ALL, services=["checkout-api"],
                            commander="ic").ref
    svc.add_entry(ref, "PagerDuty PoolExhausted fired on checkout-api")
    return db


def texts(db: Path) -> list[str]:
    svc = IncidentService(Store.open(db), "reader")
    return [e.text for e in svc.get(svc.list_incidents()[0].ref).timeline if e.kind == "runbook"]


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static"))


async def open_walker(pilot) -> None:
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "IncidentScreen")
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RunbookScreen)


async def test_walk_a_runbook_end_to_end(make_app, walk_db: Path, tui_clock) -> None:
    app = make_app(walk_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_walker(pilot)
        await wait_until(pilot, lambda: "walk-test" in screen_text(app))  # suggested: alert name in the timeline
        await pilot.press("a")
        assert isinstance(app.screen, Pick)
        assert app.screen.choices[0][0] == "walk-test"  # suggestions first
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "Print the pool state" in screen_text(app))
        assert "echo pool 160/160" in screen_text(app) and "diagnosis 1/4" in screen_text(app)
        await pilot.press("enter")  # as expected: asks, saying what it records
        assert isinstance(app.screen, Confirm) and app.screen.writes.endswith("Print the pool state: expected")
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: "Show that no shell" in screen_text(app))
        await confirm(pilot, "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "A shell step" in screen_text(app))
        await pilot.press("u")
        assert isinstance(app.screen, TextPrompt) and "If not: Check tr" in app.screen.help_text
        await pilot.press(*"no red at all", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "A slow step" in screen_text(app))
        await pilot.press("x")
        await pilot.press(*"takes too long at 3 AM", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "Choose a mitigation" in screen_text(app))
        await confirm(pilot, "1")
        await settle(pilot)
        await wait_until(pilot, lambda: "Roll back" in screen_text(app) and "mitigation 'Rollback' 1/2"
                         in screen_text(app))
        # the escalation timer: 15 minutes from the start, with an injected clock
        assert "ESCALATE NOW" not in screen_text(app)
        tui_clock.advance(minutes=16)
        await wait_until(pilot, lambda: "ESCALATE NOW" in screen_text(app), timeout=3)
        assert "#payments-oncall" in screen_text(app)
        await pilot.press("E")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Checkout pool exhausted" in app.screen.writes  # the context, word for word
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: "Escalated to #payments-oncall at" in screen_text(app))
    # quit and resume: a new app opens the walker at the same step
    app = make_app(walk_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_walker(pilot)
        await wait_until(pilot, lambda: "mitigation 'Rollback' 1/2" in screen_text(app))
        assert "Roll back" in screen_text(app)
    recorded = texts(walk_db)
    assert recorded[0] == "Runbook started: Walk test: pool exhausted (walk-test)"
    assert recorded[1].endswith("Print the pool state: expected")
    assert recorded[2].endswith("Show that no shell is involved: expected")
    assert recorded[3].endswith("A shell step with a pipe: unexpected — no red at all")
    assert recorded[4].endswith("A slow step: skipped — takes too long at 3 AM")
    assert "mitigation chosen: Rollback" in recorded[5]
    assert recorded[6].startswith("Escalated to #payments-oncall")
    assert "Checkout pool exhausted" in recorded[6]


async def test_running_a_command_needs_confirmation_and_output_is_escaped(make_app, walk_db: Path) -> None:
    app = make_app(walk_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_walker(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "Print the pool state" in screen_text(app))
        await confirm(pilot, "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "Show that no shell" in screen_text(app))
        await confirm(pilot, "enter")  # to the shell step
        await settle(pilot)
        await wait_until(pilot, lambda: "A shell step" in screen_text(app))
        await pilot.press("r")
        assert isinstance(app.screen, Confirm)
        assert "through /bin/sh" in str(app.screen.question) and "| tr a b" in str(app.screen.question)
        await pilot.press("n")  # declined: nothing runs
        await settle(pilot)
        assert "→ exit" not in screen_text(app)
        await confirm(pilot, "r")
        await settle(pilot, rounds=3)
        await wait_until(pilot, lambda: "→ exit 0" in screen_text(app))
        shown = screen_text(app)
        assert "b\\x1b[31mred" in shown and "\x1b" not in shown  # captured, shown literally
        await confirm(pilot, "enter")  # the outcome carries the output and exit code into the timeline
        await settle(pilot)
        await wait_until(pilot, lambda: "A slow step" in screen_text(app))
        await confirm(pilot, "r")
        await settle(pilot, rounds=3)
        await wait_until(pilot, lambda: "timed out after 1 s" in screen_text(app), timeout=8)
        await pilot.press("y")  # copy the command
        assert app.clipboard == "sleep 30"
    recorded = texts(walk_db)
    with_output = next(t for t in recorded if "A shell step" in t)
    assert "$ /bin/sh -c printf" in with_output and "(exit 0 in" in with_output and "b\x1b[31mred" in with_output
