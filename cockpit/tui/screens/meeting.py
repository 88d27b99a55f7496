"""The postmortem review meeting (M in the postmortem view): the seed's 60-minute agenda, a timer per part.

Nothing is written: the timer lives in the screen. Space starts and pauses, n and b move between parts."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.domain.discipline import FACILITATION, MEETING, MeetingClock
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.screens.header import IncidentHeaderScreen


class MeetingScreen(IncidentHeaderScreen):
    DEFAULT_CSS = """
    MeetingScreen #meeting-head { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    MeetingScreen #meeting-body { height: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        Binding("space", "start_pause", "Start/pause", id="meeting.toggle"),
        Binding("n", "part(1)", "Next part", id="meeting.next"),
        Binding("b", "part(-1)", "Previous part", id="meeting.previous"),
        Binding("escape", "back", "Back", id="meeting.back"),
    ]

    def __init__(self, incident_id: str, title: str = "") -> None:
        super().__init__()
        self.incident_id = incident_id
        self.title_text = title
        self.part = 0
        self.spent = [0.0] * len(MEETING)  # seconds per part, while paused
        self.running_since: datetime | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="meeting-head")
        with VerticalScroll(id="meeting-body"):
            yield Static(id="meeting-agenda")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.start_header()
        self.set_interval(1.0, self.show)
        self.show()

    def _spent(self, index: int) -> float:
        extra = 0.0
        if index == self.part and self.running_since is not None:
            extra = max(0.0, (self.cockpit.clock() - self.running_since).total_seconds())
        return self.spent[index] + extra

    def _bank(self) -> None:
        """Move the running time into the current part's total."""
        if self.running_since is not None:
            now = self.cockpit.clock()
            self.spent[self.part] += max(0.0, (now - self.running_since).total_seconds())
            self.running_since = now

    def show(self) -> None:
        clock = MeetingClock(self.part, self._spent(self.part))
        name, minutes, _ = MEETING[self.part]
        state = "running" if self.running_since is not None else "paused (space starts)"
        total = sum(self._spent(i) for i in range(len(MEETING)))
        # the part and its clock first: a narrow terminal cuts the end of the line
        head = Text(f"{self.part + 1}. {name} ({minutes} min): {clock.text()} · {state} · {int(total // 60)} of 60 "
                    "min in · postmortem review meeting", no_wrap=True, overflow="ellipsis")
        if clock.over:
            head.stylize("reverse")
        self.query_one("#meeting-head", Static).update(head)
        table = Table(box=None, expand=True, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("", width=2, no_wrap=True)
        table.add_column("Part", no_wrap=True)
        table.add_column("Min", justify="right", no_wrap=True)
        table.add_column("Time", no_wrap=True)
        table.add_column("What happens", ratio=1)
        for index, (part, budget, what) in enumerate(MEETING):
            spent = self._spent(index)
            mark = "▶" if index == self.part else ("✓" if index < self.part else "")
            clock_i = MeetingClock(index, spent)
            when = clock_i.text() if index == self.part else (f"{int(spent // 60)}:{int(spent % 60):02d} used"
                                                               if spent else "")
            style = "bold" if index == self.part else ("dim" if index < self.part else "")
            table.add_row(mark, f"{index + 1}. {part}", str(budget), when, what, style=style)
        body = Text()
        if self.title_text:
            body.append(f"{self.title_text}\n\n", style="bold")
        agenda = self.query_one("#meeting-agenda", Static)
        tips = Text("\nFacilitation: " + " · ".join(FACILITATION), style="italic")
        from rich.console import Group

        agenda.update(Group(body, table, tips))

    def action_start_pause(self) -> None:
        if self.running_since is None:
            self.running_since = self.cockpit.clock()
        else:
            self._bank()
            self.running_since = None
        self.show()

    def action_part(self, step: int) -> None:
        target = self.part + step
        if not 0 <= target < len(MEETING):
            return
        running = self.running_since is not None
        self._bank()
        self.part = target
        self.running_since = self.cockpit.clock() if running else None
        self.show()

    def action_back(self) -> None:
        self.app.pop_screen()
