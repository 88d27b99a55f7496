"""Issue #19 on screen: the cockpit opens straight onto the incident (the list screen is not built on the way),
and an entry shows from its write's own answer, with no poll round trip. Counted calls and held polls, not
timing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.panes.timeline import TimelineView
from cockpit.tui.screens.incident import IncidentScreen
from cockpit.tui.screens.incidents import IncidentListScreen
from tests.tui.conftest import settle, wait_until


@pytest.fixture
def composed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every screen of the cockpit composed, by class name, in order."""
    built: list[str] = []
    for screen in (IncidentListScreen, IncidentScreen):
        real = screen.compose

        def counting(self: Any, real: Any = real) -> Any:
            built.append(type(self).__name__)
            return real(self)

        monkeypatch.setattr(screen, "compose", counting)
    return built


async def test_the_cockpit_opens_straight_onto_the_incident_and_builds_the_list_when_asked(
        make_app: Any, sample_db: Path, composed: list[str]) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
        await settle(pilot)
        assert composed == ["IncidentScreen"]  # no list screen composed and styled on the way
        assert "Checkout API returning 500s" in app.screen.detail.snapshot.title
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentListScreen))
        assert composed == ["IncidentScreen", "IncidentListScreen"]
        await pilot.press("escape")  # back to the incident the list was opened from
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen))
        await pilot.press("l")  # the list is kept below now: shown again, not built again
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentListScreen))
        assert composed == ["IncidentScreen", "IncidentListScreen", "IncidentScreen"]


async def test_with_no_open_incident_the_list_is_the_first_screen(make_app: Any, tmp_path: Path,
                                                                   composed: list[str]) -> None:
    from cockpit.domain.severity import Impact, Scope

    db = tmp_path / "closed.db"
    svc = IncidentService(Store.open(db), "alice")
    ref = svc.open_incident("Over and done", Impact.DEGRADED, Scope.LT25).ref
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE):
        svc.set_phase(ref, phase)
    svc.store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentListScreen))
        await settle(pilot)
        assert composed == ["IncidentListScreen"]


async def test_an_entry_shows_from_its_write_while_every_poll_is_held(make_app: Any, sample_db: Path) -> None:
    app = make_app(sample_db, poll_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(TimelineView)
        held = threading.Event()
        asked: list[str] = []
        real_token = app.service.change_token

        def held_token(incident_id: str | None = None) -> Any:
            asked.append(str(incident_id))
            assert held.wait(20)
            return real_token(incident_id)

        app.service.change_token = held_token
        try:
            await pilot.press("e", *"rolled back v2.14.2", "enter")
            await wait_until(pilot, lambda: view.entries[-1].text == "rolled back v2.14.2", timeout=10)
            assert not held.is_set()  # no poll has answered: the entry came from the write itself
            assert view.entries[-1].author == "ic-tester"
        finally:
            held.set()
        await settle(pilot)
        assert [e.text for e in view.entries].count("rolled back v2.14.2") == 1  # the poll does not add it again
