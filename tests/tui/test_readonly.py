"""A read-only session (what ``cockpit serve`` gives a browser) refuses every change and says so; the comms
screen publishes to the status page (issue #15). The browser itself is in ``tests/web/test_browser.py``."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import sqlite3
from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.widgets import Input

import cockpit.tui
from cockpit.tui.readonly import READ_ONLY_SAFE, SENTENCE
from cockpit.tui.screens.comms import CommsScreen
from cockpit.tui.screens.dialogs import Confirm
from cockpit.tui.screens.incident import IncidentScreen
from cockpit.tui.screens.runbook import RunbookScreen
from tests.tui.conftest import settle, wait_until

SIZE = (120, 40)


def digest(db: Path) -> str:
    raw = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(raw.iterdump()).encode()).hexdigest()
    finally:
        raw.close()


def recording(app: Any) -> list[str]:
    said: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        said.append(message)
        original(message, **kwargs)

    app.notify = notify
    return said


async def test_every_writing_key_is_refused_and_says_so(make_app, sample_db: Path) -> None:
    before = digest(sample_db)
    app = make_app(sample_db, read_only=True)
    said = recording(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert "read-only (browser)" in str(app.screen.query_one("#status").render())
        for key in ["e", "s", "right_square_bracket", "left_square_bracket", "n", "o"]:
            await pilot.press(key)
            await settle(pilot, rounds=1)
            assert isinstance(app.screen, IncidentScreen), key  # no prompt, form or editor opened
        assert not app.screen.query_one("#entry", Input).has_focus
        for pane, keys in [("2", ["a", "r", "h"]), ("3", ["D", "enter", "equals_sign", "v"])]:
            await pilot.press(pane, *keys)
            await settle(pilot, rounds=1)
            assert isinstance(app.screen, IncidentScreen)
        await pilot.press("c")  # reading the templates is fine
        await settle(pilot)
        assert isinstance(app.screen, CommsScreen)
        await pilot.press("2", "enter", "P", "escape")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, RunbookScreen)
        await pilot.press("a", "r", "x", "E", "escape")
        await settle(pilot)
        await pilot.press("ctrl+p")  # the command palette reaches the same rule
        await settle(pilot, rounds=1)
        await pilot.press(*"Declare", "enter")
        await settle(pilot)
    refused = [s for s in said if s.endswith(SENTENCE)]
    for name in ["Entry", "Status", "Phase+", "Phase back", "Declare", "Handoff", "Assign", "Release",
                 "Hand over IC", "Data loss", "Apply severity", "Set by hand", "Review proposal", "Record as sent",
                 "Publish", "Attach", "Run", "Skip", "Escalate"]:
        assert f"“{name}” is off: {SENTENCE}" in refused, name
    assert digest(sample_db) == before


async def test_the_entry_line_submits_nothing(make_app, sample_db: Path) -> None:
    before = digest(sample_db)
    app = make_app(sample_db, read_only=True)
    said = recording(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entry = app.screen.query_one("#entry", Input)
        await pilot.click(entry)  # a mouse reaches the line even though `e` is off
        await pilot.press(*"from the browser", "enter")
        await wait_until(pilot, lambda: SENTENCE in said)
    assert digest(sample_db) == before


def test_every_safe_id_names_a_real_binding() -> None:
    ids: set[str] = set()
    for info in pkgutil.walk_packages(cockpit.tui.__path__, "cockpit.tui."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            ids |= {b.id for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding) and b.id}
    assert ids >= READ_ONLY_SAFE, READ_ONLY_SAFE - ids
    assert {"main.add_entry", "comms.record", "comms.publish", "runbook.run"} <= ids - READ_ONLY_SAFE


async def test_the_comms_screen_publishes_and_rebuilds_the_page(make_app, sample_db: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    app = make_app(sample_db)
    app.config.raw = {"status_page": {"dir": str(site), "title": "Northwind status"}}
    said = recording(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("1", "P")  # the internal notification: refused before anything is asked
        await wait_until(pilot, lambda: any("never published" in s for s in said))
        assert not isinstance(app.screen, Confirm)
        await pilot.press("2", "P")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Customers will read it" in app.screen.question  # it says what goes public, and asks
        await pilot.press("y")
        await wait_until(pilot, lambda: any(s.startswith("Published “") for s in said))
    raw = sqlite3.connect(sample_db)
    assert raw.execute("SELECT template FROM published_update").fetchall() == [("customer",)]
    html = (site / "index.html").read_text()
    assert "Northwind status" in html and "Monitoring a fix" in html
    assert "🔴 INCIDENT" not in html
