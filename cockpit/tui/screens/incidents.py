"""The incident list: open incidents first (most severe, then most active), with when each one's next status
update is due, then closed ones (PM MISSING: resolved, a postmortem is required and not written); open, switch,
declare."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey

from cockpit.domain.when import age_words
from cockpit.service.incidents import IncidentSummary
from cockpit.textsafe import one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of

if TYPE_CHECKING:
    from cockpit.service.incidents import IncidentService


def minutes(delta: timedelta) -> str:
    """A short duration for a narrow column: 12m, 3h05."""
    total = max(0, int(delta.total_seconds() // 60))
    return f"{total}m" if total < 100 else f"{total // 60}h{total % 60:02d}"


#: (label, width); a column is one character wider than its text, the gap before the next one. AGE only shows
#: from 100 columns, so at 80 the title keeps the room.
FIXED_COLUMNS: tuple[tuple[str, int], ...] = (("REF", 13), ("SEV", 5), ("PHASE", 9), ("UPDATE", 10), ("IC", 9),
                                              ("AGE", 6))
WIDE_LIST = 100


class IncidentListScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Open", id="list.open"),
        Binding("n", "app.declare", "Declare", id="list.declare"),
        Binding("escape", "back", "Back", id="list.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[IncidentSummary] = []
        self.token: tuple[str, int] | None = None
        self.missing: set[str] = set()  # resolved incidents whose required postmortem is not written

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(Text("Incidents · open ones first, most severe first · Enter opens · n declares"),
                     id="list-title")
        table: DataTable[Text] = DataTable(id="incidents", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield table
        yield Static(id="list-empty")
        yield CockpitFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._add_columns(table)
        self.refresh_list()
        self.set_interval(self.cockpit.poll_interval, self.poll)
        table.focus()

    def poll(self) -> None:
        def check(svc: IncidentService) -> tuple[tuple[str, int], list[IncidentSummary] | None]:
            from cockpit.service.catalog import postmortem_dues

            token = svc.change_token()
            if token == self.token:
                return token, None
            self.missing = {d.ref for d in postmortem_dues(svc, only_missing=True)}
            return token, svc.list_incidents(include_closed=True, limit=500)

        self.cockpit.call_service(check, self._changed, group="poll", quiet=True)

    def refresh_list(self) -> None:
        self.token = None
        self.poll()

    def _changed(self, result: tuple[tuple[str, int], list[IncidentSummary] | None]) -> None:
        token, items = result
        self.token = token
        if items is None:
            return
        table = self.query_one(DataTable)
        before = self.items
        selected = table.cursor_row
        chosen = before[selected].id if 0 <= selected < len(before) else None  # the incident under the cursor
        self.items = items
        now = self.cockpit.clock()
        shown = {label for label, _ in self._columns()}
        rows = [(item.id, self._cells(item, now, shown)) for item in items]
        if [key.value for key in table.rows] == [key for key, _ in rows]:
            # the same incidents in the same order: only the cells that changed (no flicker, the cursor stays)
            columns = list(table.columns)
            for key, cells in rows:
                for column, cell in zip(columns, cells, strict=True):
                    if table.get_cell(key, column) != cell:
                        table.update_cell(key, column, cell)
        else:
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            if items:  # the cursor stays on its incident wherever it moved (one declared above it, one closed)
                at = next((i for i, item in enumerate(items) if item.id == chosen), min(selected, len(items) - 1))
                table.move_cursor(row=max(at, 0))
        empty = self.query_one("#list-empty", Static)
        empty.update(Text("No incidents yet. Press n to declare one."))
        empty.set_class(not items, "-shown")

    def _cells(self, item: IncidentSummary, now: datetime, shown: set[str]) -> list[Text]:
        sev = Text(item.severity.label, style=f"bold {self._sev_colour(item.severity.value)}")
        check = item.check_in(now)
        if check is None:
            due = Text("—")
        elif check.overdue:  # in words too, never colour alone
            due = Text(f"LATE {minutes(check.overdue_by)}", style="bold reverse")
        else:
            due = Text(f"in {minutes(check.remaining)}")
        cells = [Text(item.ref), sev, Text(item.phase.value), due, Text(one_line(item.commander or "—")[:8]),
                 Text(age_words(item.declared_at, now))]
        cells = [cell for (label, _), cell in zip(FIXED_COLUMNS, cells, strict=True) if label in shown]
        title = Text(one_line(item.title))
        if item.ref in self.missing:  # in words, not colour alone
            title = Text.assemble(("PM MISSING", "bold reverse"), " ", title)
        return [*cells, title]

    def _wide(self) -> bool:
        return self.size.width >= WIDE_LIST

    def _columns(self) -> tuple[tuple[str, int], ...]:
        if self._wide():
            return FIXED_COLUMNS
        if self.size.width < 70:  # 60 columns: the IC gives way to the title
            return tuple(c for c in FIXED_COLUMNS if c[0] not in ("IC", "AGE"))
        return FIXED_COLUMNS[:-1]

    def _title_width(self) -> int:
        used = sum(width for _, width in self._columns()) + 2  # the scrollbar's room
        return max(20, self.size.width - used)

    def on_resize(self) -> None:
        table = self.query_one(DataTable)
        column = table.columns.get(ColumnKey("TITLE"))
        if column is not None and (column.width != self._title_width()
                                   or len(table.columns) != len(self._columns()) + 1):
            table.clear(columns=True)
            self._add_columns(table)
            self.refresh_list()

    def _add_columns(self, table: DataTable[Text]) -> None:
        for label, width in self._columns():
            table.add_column(label, key=label, width=width)
        table.add_column("TITLE", key="TITLE", width=self._title_width())

    def _sev_colour(self, level: int) -> str:
        variables = self.app.theme_variables
        return f"{variables.get(f'sev{level}-text', 'black')} on {variables.get(f'sev{level}', 'red')}"

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not self.items:
            return
        row = table.cursor_row
        if 0 <= row < len(self.items):
            self.cockpit.open_incident(self.items[row].id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.cockpit.open_incident(event.row_key.value)

    def action_back(self) -> None:
        """Back to the incident the list was opened from."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        elif self.cockpit.last_incident_id is not None:
            self.cockpit.open_incident(self.cockpit.last_incident_id)
