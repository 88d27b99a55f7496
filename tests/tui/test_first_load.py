"""The incident screen reads its timeline once: the live poll waits for the first load, and two polls are never
out at once (issue #19: at 100k entries, polls that overlapped the first load read the whole timeline four or five
times). Counted calls, not timing: the first load is held until the test lets it go."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from cockpit.tui.screens.incident import IncidentScreen
from tests.tui.conftest import settle, wait_until


def _counting(service: Any, calls: dict[str, list[Any]], hold: threading.Event) -> None:
    real_get, real_since, real_token = service.get, service.timeline_since, service.change_token

    def get(query: str, with_timeline: bool = True) -> Any:
        calls["get"].append(with_timeline)
        if with_timeline:
            assert hold.wait(20), "the test never let the first load go"
        return real_get(query, with_timeline=with_timeline)

    def timeline_since(incident_id: str, after_hlc: int) -> Any:
        calls["since"].append(after_hlc)
        return real_since(incident_id, after_hlc)

    def change_token(incident_id: str) -> Any:
        calls["token"].append(incident_id)
        return real_token(incident_id)

    service.get, service.timeline_since, service.change_token = get, timeline_since, change_token


async def test_no_poll_before_the_first_load_lands_and_none_reads_the_whole_timeline(
        make_app: Any, sample_db: Path) -> None:
    app = make_app(sample_db, poll_interval=0.05)
    calls: dict[str, list[Any]] = {"get": [], "since": [], "token": []}
    hold = threading.Event()
    _counting(app.service, calls, hold)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and calls["get"] == [True])
        screen = app.screen
        for _ in range(5):  # the poll timer, and anything else that asks, while the first load is held
            screen.poll()
            await pilot.pause(0.1)  # (not settle: it waits for every worker, the held one too)
        assert calls["token"] == [] and calls["since"] == [] and screen.detail is None
        hold.set()
        await wait_until(pilot, lambda: screen.detail is not None and len(calls["token"]) >= 3, timeout=10)
        assert calls["get"].count(True) == 1  # the whole timeline, read once
        assert 0 not in calls["since"]  # every poll asks only for what is newer than the screen shows


async def test_a_poll_still_out_is_not_sent_again_and_what_was_asked_meanwhile_follows_once(
        make_app: Any, sample_db: Path) -> None:
    app = make_app(sample_db, poll_interval=60)  # the timer stays out of the way: the test polls by hand
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
        await settle(pilot)
        screen = app.screen
        calls: dict[str, list[Any]] = {"get": [], "since": [], "token": []}
        held = threading.Event()
        real_token = app.service.change_token

        def slow_token(incident_id: str) -> Any:
            calls["token"].append(incident_id)
            assert held.wait(20)
            return real_token(incident_id)

        app.service.change_token = slow_token
        screen.poll()
        await wait_until(pilot, lambda: len(calls["token"]) == 1)
        for _ in range(5):
            screen.poll()
            await pilot.pause(0.1)
        assert len(calls["token"]) == 1  # still one out
        held.set()
        # the five asked for while it was out (a write wants its entry on screen) become one, sent on the answer
        await wait_until(pilot, lambda: len(calls["token"]) == 2)
        await wait_until(pilot, lambda: screen._poll_sent is None)
        for _ in range(3):
            await pilot.pause(0.1)
        assert len(calls["token"]) == 2
