"""The monthly reliability report, with its weekly chart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown, Static

from cockpit.domain.report import month_window
from cockpit.domain.report import to_markdown as report_md
from cockpit.errors import CockpitError
from cockpit.service.aftercare import Aftercare
from cockpit.textsafe import literal
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.markdown import safe_markdown
from cockpit.tui.screens.dialogs import TextPrompt

SEV_BLOCKS = {"SEV1": "█", "SEV2": "▓", "SEV3": "▒", "SEV4": "░"}
_SEV_COLOURS = {"SEV1": "red", "SEV2": "dark_orange", "SEV3": "yellow", "SEV4": "blue"}


def chart(weeks: list[dict[str, Any]], colours: dict[str, str] | None = None) -> Text:
    """Incidents per week, one bar per week, each severity its own pattern and colour (the legend too), with
    counts written out, so the chart reads without colour."""
    colours = colours or _SEV_COLOURS
    text = Text()
    for week in weeks:
        text.append(f"{week['week_of']} ")
        for sev in ("SEV1", "SEV2", "SEV3", "SEV4"):
            text.append(SEV_BLOCKS[sev] * 2 * int(week[sev]), style=f"bold {colours[sev]}")
        counts = " ".join(f"{sev} {week[sev]}" for sev in ("SEV1", "SEV2", "SEV3", "SEV4") if week[sev])
        text.append(f"  {counts or 'none'}\n")
    text.append("legend: ")
    for sev, glyph in SEV_BLOCKS.items():
        text.append(glyph * 2, style=f"bold {colours[sev]}")
        text.append(f" {sev}  ")
    text.rstrip()
    return text


class ReportScreen(Screen[None]):
    """The monthly reliability report, rendered, with a chart of incidents per week; ←/→ or g pick the month."""

    BINDINGS = [
        Binding("left", "month(-1)", "Previous month", id="report.previous"),
        Binding("right", "month(1)", "Next month", id="report.next"),
        Binding("g", "go_to_month", "Go to month", id="report.go"),
        Binding("t", "this_month", "This month", id="report.this_month"),
        Binding("escape", "back", "Back", id="report.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.year, self.month = 0, 0

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="report-month")
        with VerticalScroll(id="report-body"):
            yield Static(id="report-chart")
            yield Markdown(id="report-text", parser_factory=safe_markdown, open_links=False)
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.action_this_month()

    def _load(self) -> None:
        period = f"{self.year:04d}-{self.month:02d}"
        today = self.cockpit.clock().date()
        name = datetime(self.year, self.month, 1).strftime("%B %Y")
        picker = Text(" ◀ ← ", style="bold")
        picker.append(f" {name} ", style="bold reverse")
        picker.append(" → ▶", style="bold")
        picker.append("   g goes to a month (YYYY-MM) · t this month")
        self.query_one("#report-month", Static).update(picker)
        self.cockpit.call_service(lambda svc: Aftercare(svc).monthly_report(period, today), self._show)

    def _show(self, data: dict[str, Any]) -> None:
        body = data["monthly_report"]
        title = Text(f"Incidents per week, {body['period']}\n", style="bold")
        variables = self.app.theme_variables
        title.append_text(chart(body["weekly_incidents"],
                                {f"SEV{n}": variables.get(f"sev{n}", _SEV_COLOURS[f"SEV{n}"]) for n in range(1, 5)}))
        self.query_one("#report-chart", Static).update(title)
        self.query_one("#report-text", Markdown).update(literal(report_md(data)))

    def action_month(self, step: int) -> None:
        index = self.year * 12 + (self.month - 1) + step
        self.year, self.month = divmod(index, 12)
        self.month += 1
        self._load()

    def action_this_month(self) -> None:
        today = self.cockpit.clock().date()
        self.year, self.month = today.year, today.month
        self._load()

    def action_go_to_month(self) -> None:
        def chosen(text: str | None) -> None:
            if not text:
                return
            try:
                start, _ = month_window(text)
            except CockpitError as exc:
                self.notify(str(exc), severity="error")
                return
            self.year, self.month = start.year, start.month
            self._load()

        self.app.push_screen(TextPrompt("Go to month", "YYYY-MM, for example 2026-10",
                                        f"{self.year:04d}-{self.month:02d}"), chosen)

    def action_back(self) -> None:
        self.app.pop_screen()
