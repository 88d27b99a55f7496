"""The error-budget pane: for each SLO of the incident's services, the target, the SLI now, the remaining budget
with its state (a word and a colour, never colour alone), burn rates over the alert windows, a small chart of the
budget across the window, the projected exhaustion, and the policy's actions for the state.

The screen hands the figures in (from the store, with their age); the pane never waits on a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from cockpit.domain.slo import format_duration, human_duration, sparkline
from cockpit.service.signals import Reading
from cockpit.textsafe import one_line

HOW_TO = ("No SLO figures for this incident's services. To see them: SLO files in the folders under slo_dirs in "
          "the config (the shape: `cockpit slo validate`, sample_data/slos/), and a Prometheus: "
          "`cockpit slo source set URL`.")


class ErrorBudgetPane(VerticalScroll, can_focus=True):
    SCOPED_CSS = False
    DEFAULT_CSS = """
    ErrorBudgetPane {
        padding: 0 0 0 1; height: 1fr; scrollbar-size-vertical: 1;
        border: round $panel-lighten-2; border-title-color: $text-muted;
    }
    ErrorBudgetPane:focus { border: heavy $accent; border-title-color: $accent; border-title-style: bold; }
    .-wide ErrorBudgetPane#budget { width: 1fr; }
    .-narrow ErrorBudgetPane#budget, .-tiny ErrorBudgetPane#budget { display: none; }
    BudgetScreen ErrorBudgetPane { height: 1fr; }
    ErrorBudgetPane > .budget-body { width: 1fr; height: auto; }
    ErrorBudgetPane > .budget--title { text-style: bold; }
    ErrorBudgetPane > .budget--muted { color: $text-muted; }
    ErrorBudgetPane > .budget--level0 { color: $success; text-style: bold; }
    ErrorBudgetPane > .budget--level1 { color: $warning; text-style: bold; }
    ErrorBudgetPane > .budget--level2 { background: $sev2; color: $sev2-text; text-style: bold; }
    ErrorBudgetPane > .budget--level3 { background: $sev1; color: $sev1-text; text-style: bold; }
    ErrorBudgetPane > .budget--firing { color: $error; text-style: bold; }
    ErrorBudgetPane > .budget--stale { color: $warning; }
    ErrorBudgetPane > .budget--chart { color: $accent; }
    """
    COMPONENT_CLASSES = {"budget--title", "budget--muted", "budget--level0", "budget--level1", "budget--level2",
                         "budget--level3", "budget--firing", "budget--stale", "budget--chart"}
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.readings: list[Reading] = []
        self.services: tuple[str, ...] = ()
        self.now: datetime | None = None
        self.note = ""
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading…"), classes="budget-body")

    def show(self, readings: Sequence[Reading], services: Sequence[str], now: datetime, note: str = "") -> None:
        self.readings, self.services, self.now, self.note = list(readings), tuple(services), now, note
        self.loaded = True
        self._update()

    def on_resize(self, _event: Resize) -> None:
        self._update()

    def _update(self) -> None:
        self.query_one(".budget-body", Static).update(self.build())

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (for tests and screen readers)."""
        return self.build().plain

    def build(self) -> Text:
        style = self.get_component_rich_style
        text = Text()
        if not self.loaded:
            return Text("Loading…")
        now = self.now
        if not self.readings:
            text.append(self.note + "\n" if self.note else "", style("budget--stale", partial=True))
            text.append(HOW_TO, style("budget--muted", partial=True))
            return text
        width = max(20, self.size.width - 3)
        ages = {r.age_text(now) for r in self.readings} if now else set()
        if len(ages) == 1:
            age = next(iter(ages))
            text.append(one_line(age) + "\n", style("budget--stale" if "—" in age else "budget--muted", partial=True))
        for reading in self.readings:
            self._one(text, reading, width, now, show_age=len(ages) > 1)
        return text

    def _one(self, text: Text, reading: Reading, width: int, now: datetime | None, show_age: bool) -> None:
        style = self.get_component_rich_style
        ev = reading.evaluation
        if ev is None:
            text.append(f"{one_line(reading.key)}\n", style("budget--title", partial=True))
            text.append(f" {one_line(reading.age_text(now) if now else reading.error or '')}\n",
                        style("budget--stale", partial=True))
            return
        text.append(f"{one_line(ev.service)} {one_line(ev.name)}", style("budget--title", partial=True))
        text.append(f"  {ev.target:g}% over {format_duration(ev.window)}\n", style("budget--muted", partial=True))
        sli = "—" if ev.sli is None else f"{ev.sli * 100:.3f}%"
        left = "—" if ev.remaining is None else f"{ev.remaining * 100:.0f}%"
        text.append(f" SLI {sli}  budget {left} ")
        level = max(0, min(3, ev.state_level))
        text.append(f" {ev.state_word} ", style(f"budget--level{level}", partial=True))
        text.append(f" {ev.trend}\n")
        if ev.burndown:
            label = format_duration(ev.window)
            chart = sparkline(ev.burndown, max(4, width - len(label) - 7))
            text.append(f" {label}▕", style("budget--muted", partial=True))
            text.append(chart, style("budget--chart", partial=True))
            text.append("▏now\n", style("budget--muted", partial=True))
        burns = " ".join(f"{format_duration(b.window)}:{'—' if b.burn is None else _burn(b.burn)}"
                         for b in ev.burns)
        text.append(f" burn {burns}\n", style("budget--muted", partial=True))
        if ev.firing:
            text.append(f" FIRING {', '.join(ev.firing)}{' (page)' if ev.paging else ''}\n",
                        style("budget--firing", partial=True))
        if ev.remaining is not None and ev.remaining <= 0:
            text.append(" budget spent\n")
        elif ev.exhaustion_at is not None and now is not None:
            text.append(f" runs out {ev.exhaustion_at:%Y-%m-%d %H:%M}Z (in {human_duration(ev.exhaustion_at - now)})\n")
        else:
            text.append(" not running out at this burn\n", style("budget--muted", partial=True))
        if ev.actions:
            actions = "; ".join(ev.actions)
            if len(actions) > width - 3:
                actions = actions[: width - 4] + "…"
            text.append(f" → {actions}\n")
        if show_age and now is not None:
            text.append(f" {one_line(reading.age_text(now))}\n", style("budget--stale" if reading.error else
                                                                       "budget--muted", partial=True))


def _burn(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
