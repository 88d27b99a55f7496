"""The phase bar: DETECT … REVIEW with the current phase; ] advances, [ steps back."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget

from cockpit.domain.lifecycle import PHASES, Phase


class PhaseBar(Widget, can_focus=True):
    COMPONENT_CLASSES = {"phase--current", "phase--done", "phase--todo"}
    BINDINGS = [
        Binding("right,l", "screen.phase_next", "Next phase", show=False, id="phase.next"),
        Binding("left,h", "screen.phase_back", "Step back", show=False, id="phase.back"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.phase: Phase | None = None

    def show(self, phase: Phase) -> None:
        self.phase = phase
        self.refresh()

    def render(self) -> Text:
        text = Text("[4] ", no_wrap=True, overflow="ellipsis")
        current = self.phase.index if self.phase else -1
        narrow = self.size.width < 70
        for i, phase in enumerate(PHASES):
            if i:
                text.append(" › ", self.get_component_rich_style("phase--todo", partial=True))
            label = phase.value if not narrow or i == current else phase.value[:3]
            if i == current:
                text.append(f"▶ {label} ", self.get_component_rich_style("phase--current", partial=True))
            elif i < current:
                text.append(f"✓{label}", self.get_component_rich_style("phase--done", partial=True))
            else:
                text.append(label, self.get_component_rich_style("phase--todo", partial=True))
        return text
