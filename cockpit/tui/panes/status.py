"""The status line: reference, title, severity, phase, elapsed time, next check-in, sync state."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual.widget import Widget

from cockpit.domain.cadence import format_clock, next_check_in
from cockpit.domain.incident import IncidentSnapshot
from cockpit.textsafe import one_line


class StatusLine(Widget):
    COMPONENT_CLASSES = {"status--ref", "status--sev1", "status--sev2", "status--sev3", "status--sev4",
                         "status--phase", "status--overdue", "status--due", "status--sync", "status--you",
                         "status--exercise"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: IncidentSnapshot | None = None
        self.now: datetime | None = None
        self.sync_state = "local only"
        self.responder = ""

    def show(self, snapshot: IncidentSnapshot, now: datetime, sync_state: str, responder: str = "") -> None:
        self.snapshot, self.now, self.sync_state, self.responder = snapshot, now, sync_state, responder
        self.refresh()

    def tick(self, now: datetime) -> None:
        self.now = now
        self.refresh()

    def check_in_text(self, compact: bool = False) -> tuple[str, bool]:
        snap, now = self.snapshot, self.now
        if snap is None or now is None:
            return "", False
        check = next_check_in(snap.severity, snap.phase, snap.check_in_base, now)
        if check is None:
            return "no check-ins", False
        if check.overdue:
            return f"{'OVERDUE' if compact else 'UPDATE OVERDUE by'} {format_clock(check.overdue_by)}", True
        return f"{'update in' if compact else 'next update in'} {format_clock(check.remaining)}", False

    def render(self) -> Text:
        snap, now = self.snapshot, self.now
        if snap is None or now is None:
            return Text("Loading…")
        compact = self.size.width < 100
        began = snap.started_at or snap.declared_at
        if snap.resolved_at is not None:  # a closed incident's clock stops: it shows how long it lasted
            elapsed = f"lasted {format_clock(max(snap.resolved_at - began, timedelta(0)))}"
        else:
            elapsed = format_clock(max(now - began, timedelta(0))) + ("" if compact else " elapsed")
        due, overdue = self.check_in_text(compact)
        sev = snap.severity
        style = self.get_component_rich_style
        head = [(f" {sev.label} ", f"status--sev{sev.value}"), (" ", ""), (snap.ref, "status--ref"), (" ", "")]
        if snap.exercise:  # a drill, a Game Day or a replay: never mistaken for the real thing
            head.insert(0, (" EXERCISE ", "status--exercise"))
        tail = [
            (f" {snap.phase.value} ", "status--phase"),
            (f"{elapsed} ", ""),
            (f" {due} ", "status--overdue" if overdue else "status--due"),
            (f" {compact_sync(self.sync_state)}" if compact else f" sync: {self.sync_state} ", "status--sync"),
        ]
        pages = int(getattr(getattr(self.app, "alerts", None), "new_pages", 0) or 0)
        if pages:  # page-level alerts that arrived while the person was elsewhere: a count, never a dialog
            word = "page" if pages == 1 else "pages"
            tail.insert(0, (f" {pages} {word} (A) " if compact else f" {pages} new {word}: A ", "status--overdue"))
        if not compact and self.responder:  # who is writing (at 80 columns the phase bar says it)
            tail.append((f" you: {one_line(self.responder)[:24]} ", "status--you"))
        fixed = sum(len(chunk) for chunk, _ in head + tail) + 2
        if (pages or snap.exercise) and not compact and self.responder and self.size.width - fixed < 24:
            fixed -= len(tail.pop()[0])  # the page count and the title come before who is writing
        if fixed > self.size.width and compact:  # still too wide without a title: the elapsed time goes next
            at = 2 if pages else 1  # the elapsed time (after the page count, when there is one)
            fixed -= len(tail[at][0])
            tail.pop(at)
        took = (f"{elapsed} ", "")
        if snap.exercise and compact and self.size.width - fixed < 16 and took in tail:
            fixed -= len(took[0])  # the EXERCISE mark took the title's room: the elapsed time gives way, so the
            tail.remove(took)  # exercise still says which one it is
        room = self.size.width - fixed
        title = one_line(snap.title)
        if len(title) > room:  # the title gives way first: the state on the right must stay whole
            title = title[: room - 1] + "…" if room >= 8 else ""
        text = Text(no_wrap=True, overflow="ellipsis")
        for chunk, cls in head:
            text.append(chunk, style(cls, partial=True) if cls else "")
        text.append(title, "bold")
        text.append(" │")
        for chunk, cls in tail:
            text.append(chunk, style(cls, partial=True) if cls else "")
        return text


def compact_sync(state: str) -> str:
    """The sync state in fewer columns, for 80-column terminals: the queued count must stay visible."""
    return state.replace("tracker unreachable", "offline").replace(", oldest ", ", ")
