"""The error-budget pane on its own screen, for terminals too narrow to show it beside the others (``5``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from cockpit.textsafe import one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.panes.budget import ErrorBudgetPane


def load_readings(app: CockpitHost, services: tuple[str, ...], done: Callable[[Any], None]) -> None:
    """The stored SLO figures of ``services``, read off the screen's thread."""
    from cockpit.service.signals import Signals

    app.call_service(lambda svc: Signals(svc).readings(services), done, group="budget", quiet=True)


class BudgetScreen(Screen[None]):
    """The error-budget pane on its own, for terminals too narrow to show it beside the others."""

    BINDINGS = [Binding("escape,q,5", "close", "Back", id="budget.close")]

    def __init__(self, services: tuple[str, ...]) -> None:
        super().__init__()
        self.services = services

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        pane = ErrorBudgetPane(id="budget-full")
        pane.border_title = "[5] Error budget · " + ", ".join(one_line(s) for s in self.services)
        yield pane
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.query_one(ErrorBudgetPane).focus()
        self.load()
        self.set_interval(2.0, self.load)

    def load(self) -> None:
        load_readings(self.cockpit, self.services, self._show)

    def _show(self, readings: list[Any]) -> None:
        note = self.cockpit.signals.note if self.cockpit.signals else ""
        self.query_one(ErrorBudgetPane).show(readings, self.services, self.cockpit.clock(), note)

    def action_close(self) -> None:
        self.dismiss(None)
