"""The sync conflict log: both sides changed a field; r puts back the value that lost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from cockpit.service.merge import ConflictView, Merger, restore_conflict
from cockpit.textsafe import one_line

if TYPE_CHECKING:
    from cockpit.tui.app import CockpitApp


class ConflictsScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "restore", "Restore losing value", id="conflicts.restore"),
        Binding("escape", "back", "Back", id="conflicts.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[ConflictView] = []

    @property
    def cockpit(self) -> CockpitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text("Sync conflicts · r restores the value that lost · Esc back", style="bold"), id="c-head")
        yield OptionList(id="conflict-list")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    def _load(self) -> None:
        def load(svc: Any) -> list[ConflictView]:
            from cockpit.sync.settings import load_trackers

            trackers = load_trackers()
            return Merger(svc, trackers[0].name).conflicts() if trackers else []

        self.cockpit.call_service(load, self._show)

    def _show(self, conflicts: list[ConflictView]) -> None:
        self.conflicts = list(reversed(conflicts))
        options = self.query_one(OptionList)
        options.clear_options()
        if not self.conflicts:
            options.add_option(Option(Text("No conflicts."), disabled=True))
        for c in self.conflicts:
            mark = " (restored)" if c.restored else ""
            options.add_option(Option(Text(one_line(c.sentence) + mark), id=c.id))
        if self.conflicts:
            options.highlighted = 0
        options.focus()

    def action_restore(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not self.conflicts:
            return
        chosen = self.conflicts[index]
        self.cockpit.call_service(lambda svc: restore_conflict(svc, chosen.id), self._restored)

    def _restored(self, message: str) -> None:
        self.notify(message)
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()
