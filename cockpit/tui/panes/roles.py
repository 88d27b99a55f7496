"""The ICS role board: five roles, holders and how long they have held them, empty roles highlighted, IC-rule
warnings, the Incident Commander's handover advice (fatigue) and each role's check-in countdown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from cockpit.domain.cadence import format_clock
from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.role_watch import Fatigue, FatigueAdvice, RoleCheckIn, format_held, held_for
from cockpit.domain.roles import ROLES, Role, RoleWarning
from cockpit.textsafe import literal, one_line

SHORT_TITLES = {Role.IC: "IC", Role.COMMS: "Comms", Role.OPS: "Ops", Role.SME: "SME", Role.SCRIBE: "Scribe"}


class RolesPane(Widget, can_focus=True):
    COMPONENT_CLASSES = {"roles--empty", "roles--holder", "roles--since", "roles--cursor", "roles--warning",
                         "roles--tired", "roles--checkin", "roles--overdue"}
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="roles.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="roles.down"),
        Binding("a", "assign", "Assign", id="roles.assign"),
        Binding("r", "release", "Release", id="roles.release"),
        Binding("t", "checkin", "Check-in", id="roles.checkin"),
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
        self.advice: Sequence[FatigueAdvice] = ()
        self.checkins: Sequence[RoleCheckIn] = ()
        self.now: datetime | None = None

    def show(self, snapshot: IncidentSnapshot, warnings: Sequence[RoleWarning]) -> None:
        self.snapshot, self.warnings = snapshot, warnings
        self.refresh(layout=True)

    def show_watch(self, advice: Sequence[FatigueAdvice], checkins: Sequence[RoleCheckIn]) -> None:
        """Handover advice and running check-ins (from the timeline, by ``service.role_watch``)."""
        changed = (len(advice), len(checkins)) != (len(self.advice), len(self.checkins))
        self.advice, self.checkins = advice, checkins
        self.refresh(layout=changed)

    def tick(self, now: datetime) -> None:
        """The countdowns and times held move on."""
        self.now = now
        self.refresh()

    @property
    def role(self) -> Role:
        return ROLES[self.cursor]

    def action_move(self, step: int) -> None:
        self.cursor = (self.cursor + step) % len(ROLES)

    def action_assign(self) -> None:
        self.post_message(self.Requested("assign", self.role))

    def action_release(self) -> None:
        self.post_message(self.Requested("release", self.role))

    def action_checkin(self) -> None:
        self.post_message(self.Requested("checkin", self.role))

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
                if self.size.width >= 28 and self.now is not None:  # narrow: one line per role comes first
                    held = held_for(holders[0], self.now)
                    tired = any(a.role is role for a in self.advice)
                    style = "roles--tired" if tired else "roles--since"
                    held_text = f" {format_held(held)}"
                    since = f" since {holders[0].since.astimezone():%H:%M}"
                    if line.cell_len + len(since) + len(held_text) > self.size.width:
                        since = ""  # how long comes before since when
                    line.append(f"{since}{held_text}", self.get_component_rich_style(style, partial=True))
            if cursor:
                line.stylize(self.get_component_rich_style("roles--cursor", partial=True))
            line.truncate(max(1, self.size.width), overflow="ellipsis")  # one line per role, whatever the width
            text.append_text(line)
            text.append("\n")
        for checkin in self.checkins:
            if self.now is None:
                break
            overdue = checkin.overdue(self.now)
            left = format_clock(checkin.remaining(self.now))
            when = f"OVERDUE {left}" if overdue else f"back in {left}"
            self._line(text, f"◷ {SHORT_TITLES[checkin.role]} {when}: {literal(one_line(checkin.note))}",
                       "roles--overdue" if overdue else "roles--checkin")
        for advice in self.advice:
            mark = "‼" if advice.level is Fatigue.LIMIT else "⚠"
            self._line(text, f"{mark} {literal(one_line(advice.short_text))}", "roles--tired")
        for warning in self.warnings:
            self._line(text, f"⚠ {literal(warning.message)}", "roles--warning")
        text.rstrip()
        return text

    def _line(self, text: Text, content: str, component: str) -> None:
        line = Text(content, self.get_component_rich_style(component, partial=True), no_wrap=True, overflow="ellipsis")
        line.truncate(max(1, self.size.width), overflow="ellipsis")
        text.append_text(line)
        text.append("\n")
