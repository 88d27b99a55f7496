"""The phase bar: DETECT … REVIEW with the current phase. ] advances and [ steps back, from any pane, each after
a confirmation; the arrows keep their one meaning (move), so they never touch the phase."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from cockpit.domain.lifecycle import PHASES, Phase
from cockpit.textsafe import one_line


class PhaseBar(Widget, can_focus=True):
    COMPONENT_CLASSES = {"phase--current", "phase--done", "phase--todo", "phase--you"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.phase: Phase | None = None
        self.responder = ""

    def show(self, phase: Phase, responder: str = "") -> None:
        self.phase, self.responder = phase, responder
        self.refresh()

    def render(self) -> Text:
        # who is writing; from 100 columns the status line says it
        you = Text(f"you: {one_line(self.responder)}", self.get_component_rich_style("phase--you", partial=True)
                   ) if self.responder and self.size.width < 100 else Text("")
        for narrow in (False, True):
            text = self._phases(narrow)
            room = self.size.width - text.cell_len - 1
            if room >= you.cell_len or narrow:  # the name whole, with phase names shortened if need be
                break
        if you.cell_len:
            if room < you.cell_len:  # a long name gives way, never the phases
                you.truncate(max(0, room), overflow="ellipsis")
            if room > 0:
                text.append(" " * (room - you.cell_len + 1))
                text.append_text(you)
        return text

    def _phases(self, narrow: bool) -> Text:
        text = Text("[4] ", no_wrap=True, overflow="ellipsis")
        current = self.phase.index if self.phase else -1
        narrow = narrow or self.size.width < 70
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
