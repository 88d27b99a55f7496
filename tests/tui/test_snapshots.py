"""How the cockpit looks: every screen at 80×24 and 120×40, in the default and the high-contrast theme."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.conftest import settle, wait_until

SIZES = [(80, 24), (120, 40)]
THEMES = ["cockpit-dark", "cockpit-high-contrast"]


async def _ready(pilot: Any) -> None:
    from cockpit.tui.screens.incident import IncidentScreen

    await wait_until(pilot, lambda: isinstance(pilot.app.screen, IncidentScreen))
    await settle(pilot)


async def _no_blink(pilot: Any) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


async def main_screen(pilot: Any) -> None:
    await _ready(pilot)
    await _no_blink(pilot)


async def roles_focused(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("2", "down", "down")
    await _no_blink(pilot)


async def severity_focused(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("3", "left", "S")
    await _no_blink(pilot)


async def incident_list(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("l")
    await settle(pilot)


async def declare(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press(*"Login errors for EU users")
    await _no_blink(pilot)


async def comms(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("c")
    await settle(pilot)


async def help_screen(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def walker(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("b")
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    await pilot.press("enter")  # attach the top suggestion
    await settle(pilot, rounds=3)
    await pilot.press("enter")  # first step as expected
    await settle(pilot, rounds=3)


SCREENS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "main": main_screen, "roles": roles_focused, "severity": severity_focused, "list": incident_list,
    "declare": declare, "comms": comms, "help": help_screen, "walker": walker,
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_looks(snap_compare: Any, make_app: Any, sample_db: Path, screen: str, size: tuple[int, int],
               theme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(Path(__file__).resolve().parents[2] / "sample_data" / "runbooks"))
    app = make_app(sample_db, theme=theme, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=SCREENS[screen])
