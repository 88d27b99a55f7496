"""The timeline's day lines, now found by comparing with the local day's bounds instead of converting every entry:
the same lines as converting each one, across midnights, a clock change and entries that arrived late."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cockpit.domain.incident import Entry
from cockpit.tui.panes.timeline import TimelineView


@pytest.fixture
def berlin() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def _expected(entries: list[Entry]) -> list[int]:
    rows, last = [], None
    for i, entry in enumerate(entries):
        day = entry.at.astimezone().date()
        if day != last:
            rows.append(-1 - i)
            last = day
        rows.append(i)
    return rows


def test_day_lines_match_converting_every_entry(berlin: None) -> None:
    # 2026-10-25: Berlin's clocks go back at 03:00 local (01:00 UTC); local midnight is 22:00 or 23:00 UTC
    start = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    moments = [start + timedelta(minutes=37 * i) for i in range(200)]
    moments[120:120] = [datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC)]  # a late entry, from the day before
    moments.append(datetime(2026, 10, 25, 22, 59, 59, 999999, tzinfo=UTC))  # 23:59:59.999999 local, 25 Oct
    moments.append(datetime(2026, 10, 25, 23, 0, tzinfo=UTC))  # 00:00 local, 26 Oct
    # 2027-03-28: clocks go forward at 02:00 local, a 23-hour day; its midnight after is 22:00 UTC
    moments += [datetime(2027, 3, 27, 20, 0, tzinfo=UTC) + timedelta(minutes=41 * i) for i in range(120)]
    entries = [Entry(id=f"e{i}", at=at, kind="note", author="a", text="t") for i, at in enumerate(moments)]
    view = TimelineView()
    view.entries = entries[:150]
    view._add_rows(range(150))
    view.entries = entries  # the rest arrives later, as appended entries do
    view._add_rows(range(150, len(entries)))
    assert view.rows == _expected(entries)
    assert sum(1 for code in view.rows if code < 0) >= 5  # several days, the late entry's day twice


@pytest.mark.parametrize("split", [1, 100, 120, 121, 200, 250])
def test_older_entries_put_in_front_give_the_same_lines_as_reading_them_all(berlin: None, split: int) -> None:
    # the split falls inside a day, on the late entry, and on the first entry of a new day (121 is 00:01 local)
    start = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    moments = [start + timedelta(minutes=37 * i) for i in range(200)]
    moments[120:120] = [datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC)]
    moments += [datetime(2027, 3, 27, 20, 0, tzinfo=UTC) + timedelta(minutes=41 * i) for i in range(120)]
    entries = [Entry(id=f"e{i}", at=at, kind="note", author="a", text="t") for i, at in enumerate(moments)]
    view = TimelineView()
    view.entries = list(entries[split:])
    view._refilter(keep_end=False)
    view.prepend_entries(entries[:split])
    assert view.entries == entries and view.shown == list(range(len(entries)))
    assert view.rows == _expected(entries) and view.parts == [0] * len(view.rows)
    more = Entry(id="more", at=moments[-1] + timedelta(days=1), kind="note", author="a", text="t")
    view.append_entries([more])  # what is appended afterwards still gets its day line
    assert view.rows == _expected([*entries, more])
