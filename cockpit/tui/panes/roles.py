"""The ICS role board: five roles, holders and since when, empty roles highlighted, IC-rule warnings."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.roles import ROLES, Role, RoleWarning
from cockpit.textsafe import literal, one_line

SHORT_TITLES = {Role.IC: "IC", Role.COMMS: "Comms", Role.OPS: "Ops", Role.SME: "SME", Role.SCRIBE: "Scribe"}


class RolesPane(Widget, can_focus=True):
    COMPONENT_CLASSES = {"roles--empty", "roles--holder", "roles--since", "roles--cursor", "roles--warning"}
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="roles.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="roles.down"),
        Binding("a", "assign", "Assign", id="roles.assign"),
        Binding("r", "release", "Release", id="roles.release"),
    ]

    cursor = reactive(0)

    class Requested(Message):
        """The person asked to assign, release or hand over the role under the cursor."""

        def __init__(self, action: str, role: Role) -> None:
            super().__init__()
            self.action = action
            self.role = role

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: IncidentSnapshot | None = None
        self.warnings: Sequence[RoleWarning] = ()

    def show(self, snapshot: IncidentSnapshot, warnings: Sequence[RoleWarning]) -> None:
        self.snapshot, self.warnings = snapshot, warnings
        self.refresh(layout=True)

    @property
    def role(self) -> Role:
        return ROLES[self.cursor]

    def action_move(self, step: int) -> None:
        self.cursor = (self.cursor + step) % len(ROLES)

    def action_assign(self) -> None:
        self.post_message(self.Requested("assign", self.role))

    def action_release(self) -> None:
        self.post_message(self.Requested("release", self.role))

    def on_resize(self) -> None:
        # what is drawn depends on the width (shorter labels when narrow), and so does the height it needs: the
        # height measured before the width settled would stay, with blank rows or cut ones, until something else
        # asked for a layout
        self.refresh(layout=True)

    def render(self) -> Text:
        text = Text()
        snap = self.snapshot
        if snap is None:
            return Text("Loading…")
        for index, role in enumerate(ROLES):
            holders = [h for h in snap.roles if h.role is role]
            cursor = self.has_focus and index == self.cursor
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{'›' if cursor else ' '}{SHORT_TITLES[role]:<7}")
            if not holders:
                line.append("— empty —", self.get_component_rich_style("roles--empty", partial=True))
            else:
                names = ", ".join(one_line(h.holder) for h in holders)
                line.append(names, self.get_component_rich_style("roles--holder", partial=True))
                if self.size.width >= 28:  # narrow: one line per role matters more than since when
                    since = holders[0].since.astimezone()
                    line.append(f" since {since:%H:%M}", self.get_component_rich_style("roles--since", partial=True))
            if cursor:
                line.stylize(self.get_component_rich_style("roles--cursor", partial=True))
            line.truncate(max(1, self.size.width), overflow="ellipsis")  # one line per role, whatever the width
            text.append_text(line)
            text.append("\n")
        for warning in self.warnings:
            warning_style = self.get_component_rich_style("roles--warning", partial=True)
            line = Text(f"⚠ {literal(warning.message)}", warning_style, no_wrap=True, overflow="ellipsis")
            line.truncate(max(1, self.size.width), overflow="ellipsis")
            text.append_text(line)
            text.append("\n")
        text.rstrip()
        return text
