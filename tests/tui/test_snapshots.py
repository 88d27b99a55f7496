"""How the cockpit looks: every screen at 60×20, 80×24 and 120×40 in the default theme, and the screens used
most at 3 AM (the incident, the list, the declare form, the walker) in the light, high-contrast and NO_COLOR
themes too. After an intended change: ``--snapshot-update``, then look at them (SVG → PNG with rsvg-convert)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from tests.tui.conftest import confirm, settle, steady, wait_until

SIZES = [(60, 20), (80, 24), (120, 40)]
THEMES = ["cockpit-dark", "cockpit-light", "cockpit-high-contrast", "no-color"]
EVERY_THEME = ("main", "list", "declare")


async def _ready(pilot: Any) -> None:
    from cockpit.tui.panes.budget import ErrorBudgetPane
    from cockpit.tui.screens.incident import IncidentScreen

    await wait_until(pilot, lambda: isinstance(pilot.app.screen, IncidentScreen))
    # the budget pane is filled by a second read after the incident's: under load it lands a moment later
    await wait_until(pilot, lambda: all(pane.loaded for pane in pilot.app.screen.query(ErrorBudgetPane)))
    await settle(pilot)


async def _no_blink(pilot: Any) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):  # the handoff editor's cursor blinks too
        area.cursor_blink = False
        # TextArea caches each line under a key that leaves the cursor out when it does not blink: a line drawn
        # in the blink's off phase would be reused without the cursor (seen under load); draw them afresh
        area._line_cache.clear()
        area.refresh()
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
    await confirm(pilot, "enter")  # first step as expected (asks first)
    await settle(pilot, rounds=3)


async def phase_confirm(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("right_square_bracket")  # asks, showing what it writes
    await settle(pilot)


async def postmortem(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("p")
    await settle(pilot, rounds=3)


async def report(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("m")
    await settle(pilot, rounds=3)


async def handoff(pilot: Any) -> None:
    await _ready(pilot)
    await pilot.press("o")
    await settle(pilot)
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "handoff", None) is not None)
    # the editor takes focus once the draft is shown: under load, a moment after the handoff is loaded
    await wait_until(pilot, lambda: isinstance(pilot.app.focused, TextArea))
    await settle(pilot, rounds=3)
    pilot.app.clear_notifications()  # toasts expire on the wall clock: not part of the look
    await _no_blink(pilot)


SCREENS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "main": main_screen, "roles": roles_focused, "severity": severity_focused, "list": incident_list,
    "declare": declare, "comms": comms, "help": help_screen, "walker": walker, "phase-confirm": phase_confirm,
    "postmortem": postmortem, "report": report, "handoff": handoff,
}
CASES = [(screen, size, theme) for screen in SCREENS for size in SIZES for theme in THEMES
         if theme == "cockpit-dark" or screen in EVERY_THEME]


@pytest.mark.parametrize(("screen", "size", "theme"), CASES,
                         ids=[f"{c[0]}-{c[1][0]}x{c[1][1]}-{c[2]}" for c in CASES])
def test_looks(snap_compare: Any, make_app: Any, sample_db: Path, screen: str, size: tuple[int, int],
               theme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(Path(__file__).resolve().parents[2] / "sample_data" / "runbooks"))
    if theme == "no-color":
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(sample_db, theme="cockpit-dark" if theme == "no-color" else theme, poll_interval=60)

    async def then_steady(pilot: Any) -> None:
        await SCREENS[screen](pilot)
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=then_steady)
