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


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data loaded once per test session (per xdist worker); each test gets a copy of it."""
    path = tmp_path_factory.mktemp("sample") / "template.db"
    store = Store.open(path)
    load_sample_data(store, now=NOW)
    store.close()
    return path


@pytest.fixture
def sample_db(sample_template: Path, tmp_path: Path) -> Path:
    """A real SQLite file with the sample data: a copy of the session's template (SQLite's own backup, so the
    copy is whole whatever the template's journal holds)."""
    import sqlite3

    path = tmp_path / "cockpit.db"
    source, target = sqlite3.connect(sample_template), sqlite3.connect(path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    finally:
        target.close()
        source.close()
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


async def confirm(pilot: Any, *keys: str) -> None:
    """Press the keys that open a confirmation, wait for it, then answer y. Keys pressed together can overtake the
    one that opens it on a loaded machine (the y then reaches the screen below, where it may be another key)."""
    from cockpit.tui.screens.dialogs import Confirm

    await pilot.press(*keys)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm))
    await pilot.press("y")


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for ``condition``; a widget it asks for that is not mounted yet (a screen pushed before it is composed,
    on a loaded machine) counts as not yet."""
    from textual.css.query import NoMatches

    def met() -> bool:
        try:
            return condition()
        except NoMatches:
            return False

    deadline = time.monotonic() + timeout
    while not met():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def _svg_rows(svg: str) -> list[str]:
    """The screen's text rows from a Textual SVG screenshot (row = the ``terminal-line-N`` clip; column from x)."""
    import html
    import re

    rows: dict[int, dict[int, str]] = {}
    for x, width, line, text in re.findall(r'<text class="terminal-[^"]*" x="([\d.]+)" y="[\d.]+" '
                                           r'textLength="([\d.]+)" clip-path="url\(#terminal-(?:\d+-)?line-(\d+)\)">'
                                           r'([^<]*)</text>', svg):
        chars = html.unescape(text).replace("\xa0", " ")
        cell = float(width) / max(len(chars), 1)
        start = round(float(x) / cell) if cell else 0
        for offset, char in enumerate(chars):
            rows.setdefault(int(line), {})[start + offset] = char
    return ["".join(row.get(i, " ") for i in range(max(row) + 1)).rstrip() if row else ""
            for row in (rows[n] for n in sorted(rows))]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A snapshot that does not match says which rows differ, in the test's output (a CI log has no report)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or "snap_compare" not in getattr(item, "fixturenames", ()):
        return
    try:
        import difflib
        import pickle

        from pytest_textual_snapshot import node_to_report_path

        data = pickle.loads(node_to_report_path(item).read_bytes())
        expected, actual = _svg_rows(str(data[1])), _svg_rows(str(data[2]))
        diff = "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=1))
    except Exception as exc:  # the report is best effort: the assertion already failed
        diff = f"(no text diff: {exc})"
    report.sections.append(("snapshot rows that differ", diff or "(same text: colours or styles differ)"))


async def steady(pilot: Any, timeout: float = 5.0) -> None:
    """Wait until two frames in a row are the same: data lands first and the layout pass a moment later, so a
    snapshot taken in between shows panes at their old heights (seen under load)."""
    last = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        frame = pilot.app.export_screenshot()
        if frame == last:
            return
        last = frame
    raise AssertionError("the screen kept changing")
