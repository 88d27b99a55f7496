"""A Game Day walked end to end in the real app (Pilot), against a real Prometheus over backfilled data: the
pre-game checklist, the baseline, the announcement, the injection, an abort condition tripping (the banner with
the rollback plan), the abort recorded only after its confirmation, recovery, results saved to the experiment file
and the timeline. Afterwards the monthly reports and MTTR are unchanged and nothing was queued for the tracker."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from cockpit.service.aftercare import Aftercare
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.store.models import Incident
from cockpit.tui.screens.dialogs import Confirm, TextPrompt
from cockpit.tui.screens.gameday import GameDayScreen
from cockpit.tui.screens.improve import ImproveScreen
from tests.prometheus_data import T0, TEST_METRIC
from tests.tui.conftest import ROOT, settle, wait_until

RATIO = (f'sum(rate({TEST_METRIC}{{service="t-fast",code="500"}}[5m])) / '
         f'sum(rate({TEST_METRIC}{{service="t-fast"}}[5m]))')
EXPERIMENT = {"experiment": {
    "name": "Add 200ms latency to DB calls on t-fast",
    "hypothesis": "When 200 ms of latency is added to DB calls, the system will keep its 5xx ratio under 1 %",
    "steady_state": {"metrics": [{"name": "5xx ratio", "baseline": "0.01 %", "acceptable_range": "< 0.001",
                                  "query": RATIO}]},
    "method": {"fault_type": "network", "target": "t-fast", "blast_radius": "single pod", "duration": "30m"},
    "safety": {"abort_conditions": [{"name": "5xx ratio above 1 %", "query": f"{RATIO} > 0.01"},
                                    "Customer-visible errors detected"],
               "rollback_plan": "toxiproxy-cli toxic remove db -n latency",
               "required_approvals": ["priya"]},
    "results": {"outcome": "", "observations": [], "action_items": []},
}}


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    chaos = tmp_path / "chaos"
    chaos.mkdir()
    (chaos / "t-fast-latency.yaml").write_text(yaml.safe_dump(EXPERIMENT, sort_keys=False), encoding="utf-8")
    for kind in ("toil", "capacity"):
        shutil.copytree(ROOT / "sample_data" / kind, tmp_path / kind)
        monkeypatch.setenv(f"COCKPIT_{kind.upper()}_DIRS", str(tmp_path / kind))
    monkeypatch.setenv("COCKPIT_CHAOS_DIRS", str(chaos))
    return chaos / "t-fast-latency.yaml"


def _figures(db: Path) -> tuple[Any, ...]:
    svc = IncidentService(Store.open(db), "checker")
    try:
        after = Aftercare(svc)
        return (after.monthly_report("2026-10", date(2026, 11, 30)),
                after.monthly_report("2026-11", date(2026, 11, 30)), svc.pending_outbox())
    finally:
        svc.store.close()


async def _confirm(pilot: Any, contains: str, yes: bool = True) -> Confirm:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm), timeout=10)
    dialog = pilot.app.screen
    assert isinstance(dialog, Confirm)
    assert contains in f"{dialog.question}\n{dialog.writes}", (dialog.question, dialog.writes)
    await pilot.press("y" if yes else "n")
    return dialog


async def _stage(pilot: Any, screen: GameDayScreen, key: str) -> None:
    await wait_until(pilot, lambda: screen.stage == key, timeout=15)
    await settle(pilot)


async def test_a_game_day_walked_with_an_abort_from_prometheus(prometheus_server: Any, monkeypatch: pytest.MonkeyPatch,
                                                               make_app: Any, sample_db: Path, tui_clock: Any,
                                                               folders: Path) -> None:
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", prometheus_server.url)
    before = _figures(sample_db)
    tui_clock.now = T0 - timedelta(hours=1)  # t-fast is calm until 50 minutes before T0
    app = make_app(sample_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ImproveScreen) and app.screen.loaded, timeout=15)
        improve = app.screen
        assert [e.name for e in improve.data.experiments] == ["Add 200ms latency to DB calls on t-fast"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameDayScreen))
        walker = app.screen
        assert isinstance(walker, GameDayScreen)
        # pre-game: s before every item is ticked writes nothing
        await pilot.press("space", "space", "s")
        await settle(pilot)
        assert not isinstance(app.screen, Confirm) and walker.incident_id == ""
        await pilot.press("space", "space", "space", "space", "s")
        await _confirm(pilot, "Pre-game checklist done: Experiment designed and reviewed; Steady-state metrics")
        await _stage(pilot, walker, "baseline")
        # the baseline is read from Prometheus: 16 readings (15 minutes, both ends) of 0.0001
        await wait_until(pilot, lambda: walker.check_result is not None, timeout=15)
        assert walker.check_result is not None and walker.check_result.ok
        assert "5xx ratio: 16 readings within < 0.001 (last 0.0001)" in walker.check_result.text()
        await pilot.press("enter")
        await _confirm(pilot, "Steady state (15 min baseline): Steady state holds")
        await _stage(pilot, walker, "announce")
        await pilot.press("enter")
        await _confirm(pilot, "Announced in #engineering: Chaos Game Day starting")
        await _stage(pilot, walker, "inject")
        await pilot.press("enter")
        await _confirm(pilot, "Fault injected: network on t-fast")
        await _stage(pilot, walker, "observe")
        # calm: the watcher looks and finds nothing
        await wait_until(pilot, lambda: walker.watch_rounds >= 1, timeout=15)
        assert walker.trips == [] and walker.watch_errors == []
        assert "Fault ON" in str(walker.query_one("#gd-banner").render())
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"p99 rose to 1.2 s", "enter")
        # the errors jump: the abort condition trips, the banner shows the rollback plan
        tui_clock.now = T0
        await wait_until(pilot, lambda: bool(walker.trips), timeout=20)
        await settle(pilot)
        banner = walker.query_one("#gd-banner")
        assert banner.has_class("-abort")
        assert "ABORT CONDITION HIT: 5xx ratio above 1 % (0.02). Roll back now: toxiproxy-cli toxic remove db -n " \
               "latency" in str(banner.render())
        # X asks first: declining records nothing
        await pilot.press("X")
        await _confirm(pilot, "Roll back now: toxiproxy-cli toxic remove db -n latency", yes=False)
        await settle(pilot)
        assert walker.stage == "observe"
        await pilot.press("X")
        await _confirm(pilot, "ABORTED: 5xx ratio above 1 % (0.02). Fault removed; rollback: toxiproxy-cli")
        await _stage(pilot, walker, "recovery")
        assert not walker.query_one("#gd-banner").has_class("-abort")
        await wait_until(pilot, lambda: walker.check_result is not None, timeout=15)
        assert walker.check_result is not None and not walker.check_result.ok  # still 2 % at T0
        await pilot.press("enter")
        await _confirm(pilot, "Recovery to steady state: Steady state does NOT hold")
        await _stage(pilot, walker, "results")
        assert walker.observations == ["p99 rose to 1.2 s"]  # carried over from the observation
        await pilot.press("2", "a")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"Add a 2 s DB timeout", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await _confirm(pilot, "Results: disproved (aborted).\nObservation: p99 rose to 1.2 s\nAction item: Add a 2 s")
        await _stage(pilot, walker, "done")
        ref = walker.day.ref if walker.day else ""
    saved = yaml.safe_load(folders.read_text(encoding="utf-8"))["experiment"]["results"]
    assert saved == {"outcome": "disproved", "observations": ["p99 rose to 1.2 s"],
                     "action_items": ["Add a 2 s DB timeout"]}
    assert _figures(sample_db) == before  # October and November reports (count, MTTR…) and the outbox unchanged
    svc = IncidentService(Store.open(sample_db), "checker")
    try:
        detail = svc.get(ref)
        assert detail.snapshot.exercise and detail.snapshot.resolved_at == T0
        texts = [e.text for e in detail.timeline]
        assert "Observation: p99 rose to 1.2 s" in texts
        assert sum(t.startswith("ABORTED:") for t in texts) == 1  # the declined X wrote nothing
        with svc.store.read() as session:
            assert session.exec(select(Incident).where(Incident.kind == "exercise")).one().to_tracker is False
    finally:
        svc.store.close()


def _game_day_under_way(db: Path, folder: Path, clock: Any) -> str:
    """A Game Day of the t-fast experiment with the fault on since T0 − 20 min (stable ids for snapshots)."""
    from cockpit.domain import chaos
    from cockpit.service.gamedays import GameDays
    from cockpit.service.improve_files import experiments
    from tests.conftest import FakeClock, seeded_rand

    at = FakeClock(T0 - timedelta(minutes=40))
    svc = IncidentService(Store.open(db), "ic-tester", clock=at, rand=seeded_rand("gameday"))
    try:
        experiment = experiments([folder]).items[0][1]
        days = GameDays(svc)
        ref = days.start(experiment, list(chaos.PRE_GAME)).ref
        at.advance(minutes=15)
        days.record(ref, "baseline", "Steady state (15 min baseline): Steady state holds")
        days.record(ref, "announce", "Announced in #engineering")
        at.advance(minutes=5)
        days.record(ref, "inject", "Fault injected: network on t-fast")
        days.observe(ref, "p99 rose to 1.2 s")
        return ref
    finally:
        svc.store.close()


async def _to_banner(pilot: Any) -> None:
    app = pilot.app
    await settle(pilot)
    await pilot.press("G")
    await wait_until(pilot, lambda: isinstance(app.screen, ImproveScreen) and app.screen.loaded, timeout=15)
    await pilot.press("enter")  # the Game Day under way is listed first
    await wait_until(pilot, lambda: isinstance(app.screen, GameDayScreen) and bool(app.screen.trips), timeout=20)
    await settle(pilot)


async def _toil_view(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("G")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ImproveScreen) and pilot.app.screen.loaded,
                     timeout=15)
    await pilot.press("2")
    await settle(pilot)


async def _capacity_view(pilot: Any) -> None:
    await _toil_view(pilot)
    await pilot.press("3")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_abort_banner_looks_right(snap_compare: Any, prometheus_server: Any, monkeypatch: pytest.MonkeyPatch,
                                      make_app: Any, sample_db: Path, tui_clock: Any, folders: Path,
                                      size: tuple[int, int]) -> None:
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", prometheus_server.url)
    _game_day_under_way(sample_db, folders.parent, tui_clock)
    tui_clock.now = T0
    app = make_app(sample_db, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=_to_banner)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("view", ["toil", "capacity"])
def test_the_toil_and_capacity_views_look_right(snap_compare: Any, make_app: Any, sample_db: Path, folders: Path,
                                                 monkeypatch: pytest.MonkeyPatch, view: str,
                                                 size: tuple[int, int]) -> None:
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "none")
    app = make_app(sample_db, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=_toil_view if view == "toil" else _capacity_view)


async def test_a_game_day_goes_to_the_tracker_only_when_asked_and_g_is_in_the_palette(
        make_app: Any, db_path: Path, folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "none")
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Game Days, toil & capacity" in titles
        await pilot.press("G")
        await wait_until(pilot, lambda: isinstance(app.screen, ImproveScreen) and app.screen.loaded, timeout=15)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameDayScreen))
        walker = app.screen
        assert isinstance(walker, GameDayScreen)
        await pilot.press(*["space"] * 6, "t", "s")
        await _confirm(pilot, "sent to the tracker as an exercise")
        await _stage(pilot, walker, "baseline")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ImproveScreen) and app.screen.loaded
                         and bool(app.screen.data.game_days), timeout=15)
    svc = IncidentService(Store.open(db_path), "checker")
    try:
        assert svc.pending_outbox() > 0  # asked: the exercise is queued like any incident
        with svc.store.read() as session:
            row = session.exec(select(Incident)).one()
        assert row.kind == "exercise" and row.to_tracker is True
    finally:
        svc.store.close()


async def _experiments_view(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("G")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ImproveScreen) and pilot.app.screen.loaded,
                     timeout=15)
    await settle(pilot)


async def _checklist(pilot: Any) -> None:
    await _experiments_view(pilot)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, GameDayScreen))
    await pilot.press("space", "space")
    await settle(pilot)


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
@pytest.mark.parametrize("view", ["experiments", "checklist"])
def test_the_experiments_and_the_checklist_look_right(snap_compare: Any, make_app: Any, sample_db: Path,
                                                      folders: Path, monkeypatch: pytest.MonkeyPatch, view: str,
                                                      size: tuple[int, int]) -> None:
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "none")
    shutil.copy(ROOT / "sample_data" / "chaos" / "catalog-cache-down.yaml", folders.parent)
    app = make_app(sample_db, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=_experiments_view if view == "experiments" else _checklist)


async def test_text_from_files_is_shown_literally_and_a_broken_file_is_named(
        make_app: Any, db_path: Path, folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.tui.screens.help import HelpScreen, all_bindings

    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "none")
    data = yaml.safe_load(folders.read_text(encoding="utf-8"))
    data["experiment"]["name"] = "Latency \x1b[2J\x1b]0;pwned\x07 [bold red]x[/]"
    folders.write_text(yaml.safe_dump(data), encoding="utf-8")
    shutil.copy(ROOT / "tests" / "data" / "improve_bad" / "chaos_bad_fault_type.yaml", folders.parent)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await wait_until(pilot, lambda: isinstance(app.screen, ImproveScreen) and app.screen.loaded, timeout=15)
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("chaos_bad_fault_type.yaml:10:17: experiment.method.fault_type: 'earthquake'" in m
                   for m in messages), messages
        shown = str(app.screen.query_one("#improve-detail").render())
        assert "\x1b" not in shown and "Latency \\x1b[2J\\x1b]0;pwned\\x07 [bold red]x[/]" in shown
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameDayScreen))
        walker = app.screen
        await settle(pilot)
        assert "\x1b" not in str(walker.query_one("#gd-head").render())
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        ids = {b.id for _, group in all_bindings(walker, app) for b in group}
        assert {"gameday.abort", "gameday.save", "gameday.tick", "app.improve"} <= ids


async def test_a_stray_escape_on_the_results_asks_before_dropping_what_was_typed(
        make_app: Any, sample_db: Path, tui_clock: Any, folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.service.gamedays import GameDays

    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "none")
    ref = _game_day_under_way(sample_db, folders.parent, tui_clock)
    svc = IncidentService(Store.open(sample_db), "ic-tester")
    try:
        GameDays(svc).record(ref, "remove", "Fault removed after the planned run")
        GameDays(svc).record(ref, "recovery", "Recovery to steady state: Steady state holds")
    finally:
        svc.store.close()
    app = make_app(sample_db, poll_interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await wait_until(pilot, lambda: isinstance(app.screen, ImproveScreen) and app.screen.loaded, timeout=15)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameDayScreen) and app.screen.stage == "results",
                         timeout=15)
        walker = app.screen
        assert isinstance(walker, GameDayScreen)
        await pilot.press("2", "a")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"Add a 2 s DB timeout", "enter")
        await settle(pilot)
        await pilot.press("escape")  # by mistake: it asks, and declining keeps everything
        await _confirm(pilot, "Leave the Game Day results? The outcome and 1 action item(s) typed here are not "
                              "saved (ctrl+s saves them).", yes=False)
        await settle(pilot)
        assert app.screen is walker and walker.outcome == "disproved" and walker.actions == ["Add a 2 s DB timeout"]
        await pilot.press("escape")
        await _confirm(pilot, "Leave the Game Day results?")
        await wait_until(pilot, lambda: isinstance(app.screen, ImproveScreen))
