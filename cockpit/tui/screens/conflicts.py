"""Sync problems: the conflict log (both sides changed a field; r puts back the value that lost) and dead
letters (changes the tracker refused for good; r queues one again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from cockpit.service.merge import ConflictView, Merger, restore_conflict
from cockpit.service.outbox import DeadLetter, dead_letters, retry_dead
from cockpit.textsafe import one_line

if TYPE_CHECKING:
    from cockpit.tui.app import CockpitApp


class ConflictsScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "restore", "Restore / retry", id="conflicts.restore"),
        Binding("escape", "back", "Back", id="conflicts.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[ConflictView] = []
        self.dead: list[DeadLetter] = []

    @property
    def cockpit(self) -> CockpitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Text("Sync conflicts and failed changes · r restores the value that lost, or retries a failed "
                          "change · Esc back", style="bold"), id="c-head")
        yield OptionList(id="conflict-list")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    def _load(self) -> None:
        def load(svc: Any) -> tuple[list[ConflictView], list[DeadLetter]]:
            from cockpit.sync.settings import load_trackers

            trackers = load_trackers()
            return (Merger(svc, trackers[0].name).conflicts() if trackers else []), dead_letters(svc)

        self.cockpit.call_service(load, self._show)

    def _show(self, found: tuple[list[ConflictView], list[DeadLetter]]) -> None:
        conflicts, dead = found
        self.conflicts = list(reversed(conflicts))
        self.dead = dead
        options = self.query_one(OptionList)
        options.clear_options()
        for d in self.dead:
            options.add_option(Option(Text(f"FAILED {one_line(d.sentence)}", style="bold"), id=f"d:{d.id}"))
        if not self.conflicts:
            options.add_option(Option(Text("No conflicts."), disabled=True))
        for c in self.conflicts:
            mark = " (restored)" if c.restored else ""
            options.add_option(Option(Text(one_line(c.sentence) + mark), id=f"c:{c.id}"))
        if self.conflicts or self.dead:
            options.highlighted = 0
        options.focus()

    def action_restore(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None:
            return
        chosen = options.get_option_at_index(index).id or ""
        kind, _, item_id = chosen.partition(":")
        if kind == "d":
            self.cockpit.call_service(lambda svc: retry_dead(svc, item_id), self._retried)
        elif kind == "c":
            self.cockpit.call_service(lambda svc: restore_conflict(svc, item_id), self._restored)

    def _retried(self, count: int) -> None:
        self.notify(f"Queued again ({count}); the next sync sends it.")
        self._load()

    def _restored(self, message: str) -> None:
        self.notify(message)
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()
