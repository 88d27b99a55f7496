"""The timeline: every entry, one line each, rendering only the visible lines (100,000 entries scroll smoothly)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cockpit.domain.incident import Entry
from cockpit.textsafe import one_line

KIND_FILTERS: tuple[str | None, ...] = (None, "status", "decision", "action", "note", "change", "deploy", "runbook",
                                        "system")
SYSTEM_KINDS = frozenset({"phase", "severity", "role", "handover", "comms", "declared", "system"})
WIDE = 100  # from this width the UTC time gets its own column with seconds


def entry_matches(entry: Entry, kind: str | None, query: str) -> bool:
    if kind == "system":
        if entry.kind not in SYSTEM_KINDS:
            return False
    elif kind is not None and entry.kind != kind:
        return False
    if query:
        needle = query.casefold()
        return needle in entry.text.casefold() or needle in entry.author.casefold()
    return True


class TimelineView(ScrollView, can_focus=True):
    """A virtual list: ``render_line`` draws one entry; nothing off screen is built."""

    COMPONENT_CLASSES = {
        "timeline--time", "timeline--utc", "timeline--author", "timeline--cursor", "timeline--text",
        "timeline--kind-status", "timeline--kind-decision", "timeline--kind-action", "timeline--kind-note",
        "timeline--kind-system", "timeline--kind-change", "timeline--kind-runbook", "timeline--kind-conflict",
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="timeline.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="timeline.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="timeline.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="timeline.page_down"),
        Binding("home,g", "jump(0)", "Oldest", show=False, id="timeline.oldest"),
        Binding("end,G", "jump(-1)", "Newest", show=False, id="timeline.newest"),
        Binding("enter", "open_entry", "Read", show=False, id="timeline.open"),
    ]

    cursor = reactive(-1, always_update=True)

    class OpenEntry(Message):
        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[Entry] = []
        self.shown: list[int] = []
        self.kind_filter: str | None = None
        self.query_text = ""
        self._follow = True

    # --- data -------------------------------------------------------------------------
    def set_entries(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        self._refilter(keep_end=True)

    def append_entries(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        at_end = self._follow or self.cursor >= len(self.shown) - 1
        start = len(self.entries)
        self.entries.extend(entries)
        self.shown.extend(i for i in range(start, len(self.entries))
                            if entry_matches(self.entries[i], self.kind_filter, self.query_text))
        self.virtual_size = Size(self.size.width, len(self.shown))
        if at_end:
            self.cursor = len(self.shown) - 1
            self.scroll_end(animate=False, immediate=True)
        self.refresh()

    def set_filter(self, kind: str | None, query: str) -> None:
        self.kind_filter, self.query_text = kind, query
        self._refilter(keep_end=True)

    def _refilter(self, keep_end: bool) -> None:
        if self.kind_filter is None and not self.query_text:
            self.shown = list(range(len(self.entries)))
        else:
            self.shown = [i for i, e in enumerate(self.entries)
                            if entry_matches(e, self.kind_filter, self.query_text)]
        self.virtual_size = Size(self.size.width, len(self.shown))
        if keep_end:
            self.cursor = len(self.shown) - 1
            self._follow = True
            self.call_after_refresh(self.scroll_end, animate=False)
        self.refresh()

    @property
    def selected(self) -> Entry | None:
        if 0 <= self.cursor < len(self.shown):
            return self.entries[self.shown[self.cursor]]
        return None

    # --- keys -------------------------------------------------------------------------
    def _move_to(self, index: int) -> None:
        if not self.shown:
            return
        self.cursor = max(0, min(len(self.shown) - 1, index))
        self._follow = self.cursor == len(self.shown) - 1
        self.scroll_to_region_line(self.cursor)
        self.refresh()

    def scroll_to_region_line(self, line: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.scrollable_content_region.height)
        if line < top:
            self.scroll_to(y=line, animate=False, immediate=True)
        elif line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, where: int) -> None:
        self._move_to(0 if where == 0 else len(self.shown) - 1)

    def action_open_entry(self) -> None:
        if self.selected is not None:
            self.post_message(self.OpenEntry(self.selected))

    # --- drawing ----------------------------------------------------------------------
    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.shown))
        if self._follow:
            self.scroll_end(animate=False, immediate=True)

    def _kind_style(self, kind: str) -> Style:
        name = "system" if kind in SYSTEM_KINDS else ("change" if kind == "deploy" else kind)
        component = f"timeline--kind-{name}"
        if component not in self.COMPONENT_CLASSES:  # a kind from a newer cockpit or a tracker: plain
            component = "timeline--kind-note"
        return self.get_component_rich_style(component, partial=True)

    def render_line(self, y: int) -> Strip:
        scroll_y = self.scroll_offset.y
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row >= len(self.shown):
            return Strip.blank(width, base)
        entry = self.entries[self.shown[row]]
        local = entry.at.astimezone()
        utc = entry.at.astimezone(UTC)
        wide = width >= WIDE
        time_style = self.get_component_rich_style("timeline--time", partial=True)
        utc_style = self.get_component_rich_style("timeline--utc", partial=True)
        author_style = self.get_component_rich_style("timeline--author", partial=True)
        segments = [
            Segment(f"{local:%H:%M:%S}" if wide else f"{local:%H:%M}", time_style),
            Segment(f" {utc:%H:%M:%S}Z " if wide else f" {utc:%H:%M}Z ", utc_style),
            Segment(f"{entry.kind[:8]:<8} ", self._kind_style(entry.kind)),
            Segment(f"{one_line(entry.author)[:10 if wide else 8]:<{10 if wide else 8}} ", author_style),
            *([Segment(f"(late {entry.arrived_late_at.astimezone():%H:%M}) ", utc_style)]
              if entry.arrived_late_at else []),  # its author wrote it earlier; it reached this cockpit only then
            Segment(one_line(entry.text[:2000])),
        ]
        if row == self.cursor:  # the cursor's background goes over every segment of the line
            cursor = self.get_component_rich_style("timeline--cursor", partial=True)
            segments = list(Segment.apply_style(segments, post_style=cursor))
            base = base + cursor
        return Strip(segments).apply_style(base).crop_extend(0, width, base)
