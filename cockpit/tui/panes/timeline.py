"""The timeline: every entry, one line each, rendering only the visible lines (100,000 entries scroll smoothly).

A date row opens each day, so a timeline across midnight reads in order; a search highlights what matched and
slides the line so the match is in view; a filter that matches nothing says so. An evidence entry (text piped in)
is shown folded: its first lines under it, then "… N more lines"; Enter reads it whole. A local-only entry (never
sent to a tracker) carries a ⌂ before its text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cockpit.domain.evidence import fold
from cockpit.domain.incident import LOCAL_MARK, RULE_KINDS, Entry
from cockpit.textsafe import one_line

#: What the kind filter offers (``system`` covers everything the cockpit writes itself).
KIND_CHOICES: tuple[tuple[str, str], ...] = (
    ("status", "status updates"), ("decision", "decisions"), ("action", "actions"), ("note", "notes"),
    ("change", "changes"), ("deploy", "deploys"), ("runbook", "runbook steps"), ("comms", "comms sent"),
    ("alert", "alerts"), ("evidence", "evidence piped in"), ("command", "shell commands"),
    ("checkin", "role check-ins"),
    ("system", "phase, severity, roles and other cockpit entries"),
)
SYSTEM_KINDS = RULE_KINDS
WIDE = 100  # from this width the UTC time gets its own column with seconds
LEAD = 12  # characters of context kept before a search match that would sit past the right edge


def entry_matches(entry: Entry, kinds: frozenset[str], query: str) -> bool:
    if kinds:
        kind = "system" if entry.kind in SYSTEM_KINDS else entry.kind
        if kind not in kinds:
            return False
    if query:
        needle = query.casefold()
        return needle in entry.text.casefold() or needle in entry.author.casefold()
    return True


class TimelineView(ScrollView, can_focus=True):
    """A virtual list: ``render_line`` draws one row (an entry or a date); nothing off screen is built."""

    COMPONENT_CLASSES = {
        "timeline--time", "timeline--utc", "timeline--author", "timeline--cursor", "timeline--text",
        "timeline--kind-status", "timeline--kind-decision", "timeline--kind-action", "timeline--kind-note",
        "timeline--kind-system", "timeline--kind-change", "timeline--kind-runbook", "timeline--kind-conflict",
        "timeline--date", "timeline--match", "timeline--empty", "timeline--folded", "timeline--local",
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="timeline.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="timeline.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="timeline.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="timeline.page_down"),
        Binding("home,g", "jump(0)", "Oldest", show=False, id="timeline.oldest"),
        Binding("end", "jump(-1)", "Newest", show=False, id="timeline.newest"),  # G opens the Game Days (#12)
        Binding("enter", "open_entry", "Read", show=False, id="timeline.open"),
    ]

    cursor = reactive(-1, always_update=True)  # a row index (always an entry row, never a date row)

    class OpenEntry(Message):
        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    class Selected(Message):
        """The entry under the cursor changed (the wide layout shows it in full)."""

        def __init__(self, entry: Entry | None) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[Entry] = []
        self.shown: list[int] = []  # entries that pass the filter, as indices into ``entries``
        self.rows: list[int] = []  # what is drawn: an entry index (>= 0) or a date row before entry i (-1 - i)
        self.parts: list[int] = []  # per row: 0, or n for the n-th folded line under an evidence entry
        self._folds: dict[str, list[str]] = {}  # evidence entry id -> the lines drawn under it
        self.kinds: frozenset[str] = frozenset()
        self.query_text = ""
        self._follow = True
        self._want_top = False  # g/Home was the last move: older entries put in front take the cursor to the top
        self._last_day: date | None = None
        self._day_span: tuple[datetime, datetime] | None = None  # the local bounds of the last entry's day

    # --- data -------------------------------------------------------------------------
    def set_entries(self, entries: Sequence[Entry]) -> None:
        """Show these entries; a reader who moved away from the newest entry stays on the entry they read."""
        reading = None if self._follow else self.selected
        self.entries = list(entries)
        self._refilter(keep_end=reading is None)
        if reading is not None:
            where = {entry.id: row for row, code in enumerate(self.rows) if self._stop(row)
                     for entry in (self.entries[code],)}
            self._move_to(where.get(reading.id, self._last_stop()))

    def _day(self, index: int) -> date:
        return self.entries[index].at.astimezone().date()

    def _add_rows(self, indices: Sequence[int]) -> None:
        """A day line before the first entry of each local day. The local day's bounds are kept, so an entry is
        compared with them instead of converted (100,000 conversions cost more than the rest of the load)."""
        rows, parts, entries, span = self.rows, self.parts, self.entries, self._day_span
        for i in indices:
            at = entries[i].at
            if span is None or not span[0] <= at < span[1]:
                day = self._day(i)
                # naive local midnights made aware by the system's rules: right on a day with a clock change too
                span = (datetime.combine(day, time()).astimezone(),
                        datetime.combine(day + timedelta(days=1), time()).astimezone())
                if day != self._last_day:
                    rows.append(-1 - i)
                    parts.append(0)
                    self._last_day = day
            rows.append(i)
            parts.append(0)
            if entries[i].kind == "evidence":
                for part in range(len(self._folded(entries[i]))):
                    rows.append(i)
                    parts.append(part + 1)
        self._day_span = span

    def _folded(self, entry: Entry) -> list[str]:
        """The lines drawn under an evidence entry: its second and third lines, then "… N more lines"."""
        if entry.kind != "evidence":
            return []
        if entry.id not in self._folds:
            lines, more = fold(entry.text)
            self._folds[entry.id] = [*lines[1:], *([f"… {more:,} more lines (Enter reads it whole)"] if more else [])]
        return self._folds[entry.id]

    def _stop(self, row: int) -> bool:
        """Whether the cursor may rest on ``row``: an entry's first line (not a date, not a folded line)."""
        return 0 <= row < len(self.rows) and self.rows[row] >= 0 and self.parts[row] == 0

    def _last_stop(self) -> int:
        row = len(self.rows) - 1
        while row > 0 and not self._stop(row):
            row -= 1
        return row

    def append_entries(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        at_end = self._follow or self.cursor >= self._last_stop()
        start = len(self.entries)
        self.entries.extend(entries)
        new = [i for i in range(start, len(self.entries))
               if entry_matches(self.entries[i], self.kinds, self.query_text)]
        self.shown.extend(new)
        self._add_rows(new)
        self._grow()
        if at_end and self.rows:
            self.cursor = self._last_stop()
            self._follow = True
            self._scroll_to_end()  # now, and again after the next refresh if the scroll range was not there yet
        self.refresh()

    def _grow(self) -> None:
        """The scrollable height follows the rows. In Textual a new virtual size lays out the whole screen, which at
        120×40 is most of the time between Enter and the entry on screen: set it without that, and update the
        scrollbar in place (a scrollbar that appears or goes still lays the screen out).
        """
        size = Size(self.size.width, max(1, len(self.rows)))
        if size != self.virtual_size:
            self.set_reactive(TimelineView.virtual_size, size)
            self._scroll_update(size)

    def prepend_entries(self, entries: Sequence[Entry]) -> None:
        """Put older entries in front (the rest of a timeline read from its end). The cursor stays on the entry it
        was on and the lines in view stay in view, unless the reader follows the newest entry (then they still do)
        or last pressed g/Home (then the cursor goes to the new top)."""
        if not entries:
            return
        count, before = len(entries), len(self.rows)
        tail_state = (self._last_day, self._day_span)
        rows, parts, shown = self.rows, self.parts, self.shown
        self.entries[:0] = entries
        self.rows, self.parts, self._last_day, self._day_span = [], [], None, None
        older = [i for i in range(count) if entry_matches(self.entries[i], self.kinds, self.query_text)]
        self._add_rows(older)
        if rows:
            # the old first row is the date line of its first entry's day: not needed when the older part ends in it
            if rows[0] < 0 and self._last_day == self._day(-1 - rows[0] + count):
                rows, parts = rows[1:], parts[1:]
            self.rows += [code + count if code >= 0 else code - count for code in rows]
            self.parts += parts
            self._last_day, self._day_span = tail_state
        self.shown = older + [i + count for i in shown]
        moved = len(self.rows) - before  # lines added above what was there
        self.virtual_size = Size(self.size.width, max(1, len(self.rows)))
        if self._want_top:
            self._move_to(0)
        elif self._follow or not before:
            self.cursor = self._last_stop()
            self.call_after_refresh(self._scroll_to_end)
        else:
            self.cursor += moved
            self.scroll_to(y=self.scroll_offset.y + moved, animate=False, immediate=True)
        self.refresh()

    def _scroll_to_end(self, tries: int = 0) -> None:
        """Follow the newest entry. A new virtual size reaches the scroll range one layout pass later, and on a
        loaded machine that pass can come after this call: until the view really is at the end, try again after
        the next refresh (a bounded number of times)."""
        if not self._follow or not self.is_attached:
            return
        self.scroll_to(y=len(self.rows), animate=False, immediate=True)
        wanted = max(0, len(self.rows) - self.scrollable_content_region.height)
        if self.scroll_offset.y < wanted and tries < 20:
            self.call_after_refresh(self._scroll_to_end, tries + 1)

    def set_filter(self, kinds: frozenset[str], query: str) -> None:
        self.kinds, self.query_text = kinds, query
        self._refilter(keep_end=True)

    def _refilter(self, keep_end: bool) -> None:
        if not self.kinds and not self.query_text:
            self.shown = list(range(len(self.entries)))
        else:
            self.shown = [i for i, e in enumerate(self.entries) if entry_matches(e, self.kinds, self.query_text)]
        self.rows, self.parts, self._last_day, self._day_span = [], [], None, None
        self._add_rows(self.shown)
        self.virtual_size = Size(self.size.width, max(1, len(self.rows)))
        if keep_end:
            self.cursor = self._last_stop()
            self._follow = True
            self._scroll_to_end()  # in this frame when the pane's size is known, else after the next refresh
        self.refresh()

    @property
    def selected(self) -> Entry | None:
        if 0 <= self.cursor < len(self.rows) and self.rows[self.cursor] >= 0:
            return self.entries[self.rows[self.cursor]]
        return None

    def watch_cursor(self) -> None:
        self.post_message(self.Selected(self.selected))

    # --- keys -------------------------------------------------------------------------
    def _move_to(self, row: int, step: int = 1) -> None:
        if not self.shown:
            return
        row = max(0, min(len(self.rows) - 1, row))
        while 0 <= row < len(self.rows) and not self._stop(row):  # dates and folded lines are not stops
            row += 1 if step > 0 else -1
        if not 0 <= row < len(self.rows):
            row = next((r for r in range(len(self.rows)) if self._stop(r)), 0) if step <= 0 else self._last_stop()
        self.cursor = row
        self._follow = self.cursor == self._last_stop()
        self.scroll_to_region_line(self.cursor)
        self.refresh()

    def scroll_to_region_line(self, line: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.scrollable_content_region.height)
        last = line
        while last + 1 < len(self.rows) and self.parts[last + 1] > 0:
            last += 1  # an evidence entry's folded lines come into view with it, when they fit
        if line > 0 and self.rows[line - 1] < 0:
            line -= 1  # keep the entry's date heading in view with it
        if line < top:
            self.scroll_to(y=line, animate=False, immediate=True)
        elif last >= top + height:
            self.scroll_to(y=min(line, last - height + 1), animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self._want_top = False
        self._move_to(self.cursor + step, step)

    def action_page(self, direction: int) -> None:
        self._want_top = False
        self._move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1), direction)

    def action_jump(self, where: int) -> None:
        self._want_top = where == 0
        self._move_to(0 if where == 0 else self._last_stop(), 1 if where == 0 else -1)

    def action_open_entry(self) -> None:
        if self.selected is not None:
            self.post_message(self.OpenEntry(self.selected))

    # --- drawing ----------------------------------------------------------------------
    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        """Following the newest entry, the view is at the end in the very frame that gives it its size (the first
        one, or after a resize), not a frame later: a long timeline first showed its top for a moment."""
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if self._follow and self.rows:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        return changed

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, max(1, len(self.rows)))
        if self._follow:
            self.call_after_refresh(self._scroll_to_end)

    def _kind_style(self, kind: str) -> Style:
        name = "system" if kind in SYSTEM_KINDS else ("change" if kind == "deploy" else kind)
        if kind == "comms":
            name = "status"
        component = f"timeline--kind-{name}"
        if component not in self.COMPONENT_CLASSES:  # a kind from a newer cockpit or a tracker: plain
            component = "timeline--kind-note"
        return self.get_component_rich_style(component, partial=True)

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        if y != 0 or not self.entries:
            return Strip.blank(width, base)
        what = " and ".join(part for part in (
            f"kind {', '.join(sorted(self.kinds))}" if self.kinds else "",
            f"“{one_line(self.query_text)}”" if self.query_text else "") if part)
        text = f"No entries match {what}. Esc clears the filter; f changes it." if what else "No entries."
        style = self.get_component_rich_style("timeline--empty", partial=True)
        return Strip([Segment(text[:width], style)]).apply_style(base).crop_extend(0, width, base)

    def render_line(self, y: int) -> Strip:
        scroll_y = self.scroll_offset.y
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self.rows:
            return self._empty_line(y, width, base)
        if row >= len(self.rows):
            return Strip.blank(width, base)
        code = self.rows[row]
        if code < 0:  # a date row
            day = self.entries[-1 - code].at.astimezone()
            label = f"── {day:%A %d %B %Y} ({day:%Z}) "
            style = self.get_component_rich_style("timeline--date", partial=True)
            return Strip([Segment(label + "─" * max(0, width - len(label)), style)]).apply_style(base).crop_extend(
                0, width, base)
        entry = self.entries[code]
        if self.parts[row]:
            return self._folded_line(entry, self._folded(entry)[self.parts[row] - 1], code, width, base)
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
        ]
        if entry.local_only:  # never sent to a tracker
            segments.append(Segment(f"{LOCAL_MARK} ", self.get_component_rich_style("timeline--local", partial=True)))
        used = sum(s.cell_length for s in segments)
        first = entry.text.split("\n", 1)[0] if entry.kind == "evidence" else entry.text
        text = self._text_segments(one_line(first[:2000]), max(1, width - used))
        if row == self.cursor:  # the cursor's background goes over every segment of the line, except a match
            cursor = self.get_component_rich_style("timeline--cursor", partial=True)
            match = self.get_component_rich_style("timeline--match", partial=True)
            segments = list(Segment.apply_style(segments, post_style=cursor))
            segments += [Segment(seg.text, (seg.style or Style()) + cursor + match if seg.style else cursor)
                         for seg in text]
            base = base + cursor
        else:
            segments += text
        return Strip(segments).apply_style(base).crop_extend(0, width, base)

    def _folded_line(self, entry: Entry, text: str, code: int, width: int, base: Style) -> Strip:
        """One line drawn under an evidence entry, in the text's column."""
        indent = 8 + 11 + 9 + 11 if width >= WIDE else 5 + 8 + 9 + 9
        style = self.get_component_rich_style("timeline--folded", partial=True)
        if 0 <= self.cursor < len(self.rows) and self.rows[self.cursor] == code:
            base = base + self.get_component_rich_style("timeline--cursor", partial=True)
        return Strip([Segment(" " * indent), Segment(one_line(text[:2000]), style)]).apply_style(base).crop_extend(
            0, width, base)

    def _text_segments(self, text: str, room: int) -> list[Segment]:
        """The entry's text; with a search, every match highlighted and the first one slid into view."""
        if not self.query_text:
            return [Segment(text)]
        folded, needle = text.casefold(), self.query_text.casefold()
        first = folded.find(needle)
        if first < 0 or len(folded) != len(text):  # matched the author, or case folding changed the length
            return [Segment(text)]
        start = 0
        if first + len(needle) > room:  # the match would be cut off: show the part around it
            start = max(0, first - LEAD)
            text, folded = "…" + text[start + 1:], "…" + folded[start + 1:]
            start = 0
        match = self.get_component_rich_style("timeline--match", partial=True)
        segments: list[Segment] = []
        at = 0
        while (found := folded.find(needle, at)) >= 0:
            if found > at:
                segments.append(Segment(text[at:found]))
            segments.append(Segment(text[found:found + len(needle)], match))
            at = found + len(needle)
        segments.append(Segment(text[at:]))
        return segments
