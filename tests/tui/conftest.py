"""Fixtures for the cockpit screen: a real SQLite file with the sample data, a fixed clock, UTC."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cockpit.config import Config
from cockpit.service.incidents import IncidentService
from cockpit.service.sample import load_sample_data
from cockpit.store.db import Store
from cockpit.tui.app import CockpitApp
from tests.conftest import FakeClock

os.environ["TZ"] = "UTC"
time.tzset()

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tui_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    path = tmp_path / "cockpit.db"
    store = Store.open(path)
    load_sample_data(store, now=NOW)
    store.close()
    return path


@pytest.fixture
def make_app(tui_clock: FakeClock, tmp_path: Path) -> Callable[..., CockpitApp]:
    def build(db: Path, *, theme: str = "cockpit-dark", keymap: dict[str, str] | None = None,
              responder: str = "ic-tester", poll_interval: float = 0.2, **kwargs: Any) -> CockpitApp:
        service = IncidentService(Store.open(db), responder, clock=tui_clock)
        config = Config(path=tmp_path / "config.yaml", responder=responder, theme=theme, keymap=keymap or {})
        return CockpitApp(service, config, clock=tui_clock, poll_interval=poll_interval,
                          theme_dirs=kwargs.pop("theme_dirs", [ROOT / "themes"]), **kwargs)

    return build


async def settle(pilot: Any, rounds: int = 2) -> None:
    """Let workers finish and the screen catch up (a condition, not a fixed sleep)."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)
