"""Safe at 3 AM (issue #13) and no typed word lost / a clean clipboard (issue #17, items 6 and 7), driven with
Pilot against a real SQLite file. Each test names the numbered item it covers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.screens.dialogs import Confirm, TextPrompt
from cockpit.tui.screens.incident import IncidentScreen
from tests.tui.conftest import settle, wait_until

SIZE = (120, 40)
ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "\x1b[201~rm -rf ~\x1b[200~ \x1b]52;c;ZXZpbA==\x07 \x9b31m \u202eevil\u202c"


def reader(db: Path) -> IncidentService:
    return IncidentService(Store.open(db), "reader")


def one_incident(db: Path, clock: Any, title: str = "Payments down", **kwargs: Any) -> str:
    svc = IncidentService(Store.open(db), "alice", clock=clock)
    return svc.open_incident(title, kwargs.pop("impact", Impact.CORE_DOWN), kwargs.pop("scope", Scope.ALL),
                             commander=kwargs.pop("commander", "alice"), **kwargs).ref


def timeline(db: Path, ref: str) -> list[tuple[str, str]]:
    return [(e.kind, e.text) for e in reader(db).get(ref).timeline]


async def on_incident(pilot: Any) -> IncidentScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, IncidentScreen)
                     and pilot.app.screen.detail is not None, timeout=10)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentScreen)
    return screen


def no_control(text: str) -> bool:
    return not any((ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e
                   or 0x2066 <= ord(c) <= 0x2069 for c in text)


# --- #13.1 no lasting record from one stray key --------------------------------------------------------------
async def test_13_1_phase_moves_forward_only_after_a_confirmation_that_says_what_is_written(
        make_app, tmp_path: Path, tui_clock) -> None:
    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await on_incident(pilot)
        await pilot.press("right_square_bracket")
        assert isinstance(app.screen, Confirm), "] must ask before moving the phase"
        assert app.screen.writes == "Phase DETECT → TRIAGE"
        await pilot.press("right_square_bracket", "right_square_bracket", "n")  # stray keys on the dialog
        await settle(pilot)
        assert reader(db).get(ref).snapshot.phase is Phase.DETECT
        await pilot.press("right_square_bracket", "y")
        await settle(pilot)
        await wait_until(pilot, lambda: reader(db).get(ref).snapshot.phase is Phase.TRIAGE)
        # `l` on the phase bar means "incidents", as everywhere else: it never moves the phase
        await pilot.press("4", "l")
        await settle(pilot)
        assert type(app.screen).__name__ == "IncidentListScreen"
    assert [t for k, t in timeline(db, ref) if k == "phase"] == ["Phase DETECT → TRIAGE"]


async def test_13_1_a_status_update_needs_words_the_placeholder_is_never_posted(
        make_app, tmp_path: Path, tui_clock) -> None:
    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await on_incident(pilot)
        before = len(timeline(db, ref))
        await pilot.press("s", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)  # still asking: nothing was typed
        assert not any("posted" in n.message for n in app._notifications)
        await pilot.press("escape")
        await settle(pilot)
        assert len(timeline(db, ref)) == before


async def test_13_1_copying_comms_is_not_sending_them(make_app, tmp_path: Path, tui_clock) -> None:
    from cockpit.tui.screens.comms import CommsScreen

    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await on_incident(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CommsScreen) and bool(app.screen.rendered))
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard.startswith("🔴 INCIDENT: Payments down")
        assert not [k for k, _ in timeline(db, ref) if k == "comms"], "copying must not log the message as sent"
        while not isinstance(app.screen, CommsScreen):  # close what the copy opened
            await pilot.press("escape")
        await pilot.press("enter")  # record as sent: asks, and says what goes into the timeline
        assert isinstance(app.screen, Confirm)
        assert app.screen.writes is not None and app.screen.writes.startswith("Comms sent: Initial notification")
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: len([k for k, _ in timeline(db, ref) if k == "comms"]) == 1)


async def test_13_1_releasing_a_role_and_applying_a_severity_ask_first(make_app, tmp_path: Path, tui_clock) -> None:
    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock, impact=Impact.DEGRADED, scope=Scope.LT25)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await on_incident(pilot)
        await pilot.press("2", "r")  # the IC row
        assert isinstance(app.screen, Confirm) and app.screen.writes == "alice released as Incident Commander"
        await pilot.press("n")
        await pilot.press("3", "enter")  # nothing changed in the matrix: nothing to apply, nothing written
        await settle(pilot)
        assert not isinstance(app.screen, Confirm)
        await pilot.press("right", "enter")
        assert isinstance(app.screen, Confirm)
        assert app.screen.writes is not None and app.screen.writes.startswith("Severity SEV3 → SEV2")
        await pilot.press("escape")
        await settle(pilot)
    assert [k for k, _ in timeline(db, ref)] == ["declared", "role"]


# --- #17.7 the clipboard carries no control characters -------------------------------------------------------
async def test_17_7_every_copy_is_free_of_control_characters(make_app, tmp_path: Path, tui_clock,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.tui.screens.aftercare import PostmortemScreen
    from cockpit.tui.screens.comms import CommsScreen
    from cockpit.tui.screens.runbook import RunbookScreen

    library = tmp_path / "runbooks"
    library.mkdir()
    book = (ROOT / "tests" / "data" / "walk_runbook.yaml").read_text().replace(
        'command: "echo pool 160/160"', 'command: "echo pool\\e[201~; touch /tmp/pwned \\u202e"')
    (library / "walk-test.yaml").write_text(book)
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(library))
    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock, title=f"Checkout {HOSTILE}")
    svc = IncidentService(Store.open(db), "tracker-user", clock=tui_clock)
    svc.add_entry(ref, f"comment from the tracker: {HOSTILE}\r\nsecond line")
    svc.add_entry(ref, "PoolExhausted fired")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await on_incident(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CommsScreen) and bool(app.screen.rendered))
        await pilot.press("y")
        await settle(pilot)
        assert "Checkout \\x1b[201~rm -rf ~" in app.clipboard and no_control(app.clipboard)
        while not isinstance(app.screen, IncidentScreen):
            await pilot.press("escape")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PostmortemScreen) and bool(app.screen.markdown))
        await pilot.press("y")
        await settle(pilot)
        assert "\\u202eevil" in app.clipboard and "\\x1b]52;c;" in app.clipboard and no_control(app.clipboard)
        assert "\r" not in app.clipboard
        while not isinstance(app.screen, IncidentScreen):
            await pilot.press("escape")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, RunbookScreen) and app.screen.loaded)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunbookScreen) and bool(app.screen.runs))
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == "echo pool\\x1b[201~; touch /tmp/pwned \\u202e"


# --- #13.2 the walker ---------------------------------------------------------------------------------------
@pytest.fixture
def walk_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    library = tmp_path / "runbooks"
    library.mkdir()
    text = (ROOT / "tests" / "data" / "walk_runbook.yaml").read_text()
    (library / "walk-test.yaml").write_text(text)
    (library / "slow-burn.yaml").write_text(text.replace("id: walk-test", "id: slow-burn").replace(
        "after_minutes: 15", "after_minutes: 30").replace('title: "Walk test: pool exhausted"',
                                                          'title: "Slow burn"').replace(
        'contact: "#payments-oncall"', 'contact: "#dba-oncall"'))
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(library))
    return library


def walker_text(app: Any) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static"))


async def open_walker(pilot: Any) -> Any:
    from cockpit.tui.screens.runbook import RunbookScreen

    await on_incident(pilot)
    await pilot.press("b")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RunbookScreen)
                     and "Loading" not in walker_text(pilot.app))
    await settle(pilot)
    return pilot.app.screen


async def test_13_2_escalation_acts_on_the_run_whose_timer_ran_out_and_names_it(
        make_app, tmp_path: Path, tui_clock, walk_library: Path) -> None:
    from cockpit.service.runbooks import load_library
    from cockpit.service.runs import RunbookRuns

    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock)
    svc = IncidentService(Store.open(db), "alice", clock=tui_clock)
    library = load_library([walk_library])
    RunbookRuns(svc).start(ref, library.get("slow-burn"))  # run 1: 30 minutes
    RunbookRuns(svc).start(ref, library.get("walk-test"))  # run 2: 15 minutes
    tui_clock.advance(minutes=17)  # only run 2 is due
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_walker(pilot)
        assert "Slow burn" in str(app.screen.query_one("#walker-head").render())  # run 1 on screen
        await pilot.press("E")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm) or any(
            t.startswith("Escalated") for _, t in timeline(db, ref)))
        assert isinstance(app.screen, Confirm), "E escalated at once"
        assert "run 2/2 'Walk test: pool exhausted' to #payments-oncall" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: any(t.startswith("Escalated to") for _, t in timeline(db, ref)))
        # the status line stays above the walker; the main screen shows a due escalation too
        assert "SEV1" in str(app.screen.query_one("#status").render())
        tui_clock.advance(minutes=15)  # now run 1 (30 minutes) is due as well
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and "ESCALATE NOW" in "".join(
            str(w.render()) for w in app.screen.query("Static")), timeout=5)
        assert "Slow burn" in "".join(str(w.render()) for w in app.screen.query("Static"))
    escalated = [t for k, t in timeline(db, ref) if t.startswith("Escalated")]
    assert len(escalated) == 1 and escalated[0].startswith("Escalated to #payments-oncall")


async def test_13_2_attach_waits_for_the_library_and_lists_all_of_it_suggestions_first(
        make_app, tmp_path: Path, tui_clock, walk_library: Path) -> None:
    text = (walk_library / "walk-test.yaml").read_text()
    for n in range(400):  # a big library takes a moment to read
        (walk_library / f"extra-{n:03d}.yaml").write_text(
            text.replace("id: walk-test", f"id: extra-{n:03d}").replace("alert_name: PoolExhausted",
                                                                         f"alert_name: Other{n}"))
    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock)
    IncidentService(Store.open(db), "alice", clock=tui_clock).add_entry(ref, "PoolExhausted fired")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await on_incident(pilot)
        await pilot.press("b", "a")  # at once, while the library is still being read
        await wait_until(pilot, lambda: app.screen.is_modal, timeout=20)
        assert type(app.screen).__name__ == "Pick", walker_text(app)
        ids = [key for key, _ in app.screen.choices]
        assert set(ids[:2]) == {"walk-test", "slow-burn"} and len(ids) == 402  # suggestions (same alert) first


async def test_13_2_a_run_keeps_its_runbook_when_the_library_is_gone(
        make_app, tmp_path: Path, tui_clock, walk_library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.service.runbooks import load_library
    from cockpit.service.runs import RunbookRuns

    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock)
    svc = IncidentService(Store.open(db), "alice", clock=tui_clock)
    RunbookRuns(svc).start(ref, load_library([walk_library]).get("walk-test"))
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(empty))  # started without the library path
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_walker(pilot)
        assert "Print the pool state" in walker_text(app) and "diagnosis 1/4" in walker_text(app)


async def test_13_2_a_mitigation_can_be_picked_during_diagnosis_after_a_confirmation(
        make_app, tmp_path: Path, tui_clock, walk_library: Path) -> None:
    from cockpit.service.runbooks import load_library
    from cockpit.service.runs import RunbookRuns

    db = tmp_path / "c.db"
    ref = one_incident(db, tui_clock)
    RunbookRuns(IncidentService(Store.open(db), "alice", clock=tui_clock)).start(
        ref, load_library([walk_library]).get("walk-test"))
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_walker(pilot)
        shown = walker_text(app)
        assert "Scale up — when Traffic spike (0 steps)" in shown and "(1 steps)" not in shown
        await pilot.press("u")  # the unexpected prompt shows what was expected and what to do if not
        assert isinstance(app.screen, TextPrompt) and "If not: Escalate" in app.screen.help_text
        await pilot.press("escape", "1")
        assert isinstance(app.screen, Confirm)
        assert app.screen.writes == ("Runbook walk-test · mitigation chosen: Rollback (when A deploy is suspected)"
                                     " — diagnosis left at step 1/4")
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: "mitigation 'Rollback' 1/2" in walker_text(app))
