"""Sync problems: the conflict log (both sides changed a field, or the incident rules refused the tracker's
value; r puts back the value that lost), dead letters (changes the tracker refused for good; r queues one again)
and parked records (what the tracker sent that the cockpit could not take, with the reason; r frees one, and the
next sync reads it again). Each r asks first, saying what a yes does."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.service.merge import ConflictView, Merger, ParkedView, parked_records, release_parked, restore_conflict
from cockpit.service.outbox import DeadLetter, dead_letters, retry_dead
from cockpit.textsafe import one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.screens.dialogs import Confirm

if TYPE_CHECKING:
    from cockpit.service.incidents import IncidentService


class ConflictsScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "restore", "Restore / retry", id="conflicts.restore"),
        Binding("escape", "back", "Back", id="conflicts.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[ConflictView] = []
        self.dead: list[DeadLetter] = []
        self.parked: list[ParkedView] = []

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(Text("Sync conflicts, failed changes and parked records · r restores the value that lost, "
                          "retries a failed change or frees a parked record · Esc back", style="bold"), id="c-head")
        yield OptionList(id="conflict-list")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self._load()

    def _load(self) -> None:
        def load(svc: IncidentService) -> tuple[list[ConflictView], list[DeadLetter], list[ParkedView]]:
            from cockpit.sync.settings import load_trackers

            trackers = load_trackers()
            return ((Merger(svc, trackers[0].name).conflicts() if trackers else []), dead_letters(svc),
                    parked_records(svc))

        self.cockpit.call_service(load, self._show)

    def _show(self, found: tuple[list[ConflictView], list[DeadLetter], list[ParkedView]]) -> None:
        conflicts, dead, parked = found
        self.conflicts = list(reversed(conflicts))
        self.dead = dead
        self.parked = parked
        options = self.query_one(OptionList)
        options.clear_options()
        for d in self.dead:
            options.add_option(Option(Text(f"FAILED {one_line(d.sentence)}", style="bold"), id=f"d:{d.id}"))
        for p in self.parked:
            options.add_option(Option(Text(f"PARKED {one_line(p.sentence)}", style="bold"), id=f"p:{p.id}"))
        if not self.conflicts:
            options.add_option(Option(Text("No conflicts."), disabled=True))
        for c in self.conflicts:
            mark = " (restored)" if c.restored else ""
            options.add_option(Option(Text(one_line(c.sentence) + mark), id=f"c:{c.id}"))
        if self.conflicts or self.dead or self.parked:
            options.highlighted = 0
        options.focus()

    def action_restore(self) -> None:
        """Restore, retry or free the highlighted row, once the person said yes to what that does."""
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None:
            return
        chosen = options.get_option_at_index(index).id or ""
        kind, _, item_id = chosen.partition(":")
        if kind == "d":
            dead = next((d for d in self.dead if d.id == item_id), None)
            self._ask(f"Send this failed change again? {one_line(dead.sentence) if dead else ''} It goes back in "
                      "the queue; the next sync sends it.",
                      lambda: self.cockpit.call_service(lambda svc: retry_dead(svc, item_id), self._retried))
        elif kind == "p":
            self._ask("Free this parked record? The next sync reads it from the tracker again (if it is still bad, "
                      "it is parked again).",
                      lambda: self.cockpit.call_service(lambda svc: release_parked(svc, item_id)[0], self._freed))
        elif kind == "c":
            conflict = next((c for c in self.conflicts if c.id == item_id), None)
            if conflict is None or conflict.restored:
                self.notify("That value was already restored.")
                return
            losing = conflict.local_value if conflict.kept == "remote" else conflict.remote_value
            self._ask(f"Put {conflict.field} back to {one_line(losing)} on {conflict.incident_ref}, the value the "
                      f"sync conflict discarded? It is written to the timeline as a {conflict.field} change and "
                      "syncs like any other.",
                      lambda: self.cockpit.call_service(lambda svc: restore_conflict(svc, item_id), self._restored))

    def _ask(self, question: str, then: Callable[[], None]) -> None:
        self.app.push_screen(Confirm(question), lambda yes: then() if yes else None)

    def _retried(self, count: int) -> None:
        self.notify(f"Queued again ({count}); the next sync sends it.")
        self._load()

    def _freed(self, count: int) -> None:
        self.notify(f"Freed ({count}); the next sync reads it from the tracker again.")
        self._load()

    def _restored(self, message: str) -> None:
        self.notify(message)
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()
