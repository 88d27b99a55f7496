"""The incident screen reads its timeline from the end (issue #19, item 5): the first frame shows the newest entries,
the older ones arrive in the background and go in front without moving what the reader sees. Counted calls and
rows read, and the older part held until the test lets it go: not timing."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from cockpit.domain.incident import Entry
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.panes.timeline import TimelineView
from cockpit.tui.screens.incident import NEWEST_FIRST, IncidentScreen
from tests.tui.conftest import wait_until

SIZE = (120, 40)
ENTRIES = 5_000
TOTAL = ENTRIES + 2  # with the declaration and the commander's assignment


@pytest.fixture
def long_db(tmp_path: Path) -> Path:
    from benchmarks.common import fill_timeline

    db = tmp_path / "long.db"
    store = Store.open(db)
    snap = IncidentService(store, "a").open_incident("Long night", Impact.CORE_DOWN, Scope.ALL, commander="a")
    store.close()
    fill_timeline(db, snap.id, ENTRIES)
    return db


class Watched:
    """The app's service with its reads counted; the older part's read waits for ``release``."""

    def __init__(self, service: Any) -> None:
        self.gets: list[int] = []  # entries each ``get`` returned
        self.before: list[int] = []  # entries each ``timeline_before`` returned
        self.release = threading.Event()
        real_get, real_before = service.get, service.timeline_before

        def get(query: str, with_timeline: bool = True) -> Any:
            detail = real_get(query, with_timeline=with_timeline)
            if with_timeline:
                self.gets.append(len(detail.timeline))
            return detail

        def timeline_before(incident_id: str, first: Entry) -> Any:
            assert self.release.wait(20), "the test never let the older part go"
            older = real_before(incident_id, first)
            self.before.append(len(older))
            return older

        service.get, service.timeline_before = get, timeline_before


def _title(screen: IncidentScreen) -> str:
    return str(screen.query_one("#timeline-pane").border_title)


def _subtitle(screen: IncidentScreen) -> str:
    return str(screen.query_one("#timeline-pane").border_subtitle)


async def _first_frame(pilot: Any) -> tuple[IncidentScreen, TimelineView]:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None,
                     timeout=15)
    screen = app.screen
    return screen, screen.query_one(TimelineView)


@asynccontextmanager
async def _opened(make_app: Any, db: Path) -> AsyncIterator[tuple[Any, Watched, IncidentScreen, TimelineView]]:
    """The cockpit on ``db``, its reads watched (the older part held), at its first frame."""
    app = make_app(db, poll_interval=0.05)
    watched = Watched(app.service)
    async with app.run_test(size=SIZE) as pilot:
        screen, view = await _first_frame(pilot)
        yield pilot, watched, screen, view


async def test_the_first_frame_shows_the_newest_entries_and_the_rest_goes_in_front_unmoved(
        make_app: Any, long_db: Path) -> None:
    async with _opened(make_app, long_db) as (pilot, watched, screen, view):
        # one read of the newest entries: the first frame does not wait for the other 4,502
        assert watched.gets == [NEWEST_FIRST] and len(view.entries) == NEWEST_FIRST
        assert view.entries[-1].text.startswith(f"Entry {ENTRIES - 1}:")
        assert view.entries[0].text.startswith(f"Entry {ENTRIES - NEWEST_FIRST}:")
        assert screen.earlier == TOTAL - NEWEST_FIRST
        assert _title(screen) == f"[1] Timeline · loading {TOTAL - NEWEST_FIRST:,} earlier entries…"
        assert _subtitle(screen) == f"{TOTAL:,}"  # the count says the whole incident
        # polls answer meanwhile: the part still being read counts as shown (no reload of the whole timeline)
        polls = screen.polls
        await wait_until(pilot, lambda: screen.polls >= polls + 3)
        # the reader moves up a few entries; an entry is written while the older part is still out
        await pilot.press("up", "up", "up")
        reading = view.selected
        assert reading is not None and reading.text.startswith(f"Entry {ENTRIES - 4}:")
        top_line = view.render_line(0).text
        await pilot.press("e", *"written during the load", "enter")
        await wait_until(pilot, lambda: view.entries[-1].text == "written during the load")
        assert view.selected is reading
        watched.release.set()
        await wait_until(pilot, lambda: screen.earlier == 0, timeout=15)
        assert watched.before == [TOTAL - NEWEST_FIRST]
        assert len(view.entries) == TOTAL + 1
        assert watched.gets == [NEWEST_FIRST]  # the whole timeline was never read in one go
        # the cursor is on the entry it was on, and the lines in view are the lines that were in view
        assert view.selected is reading and view.cursor == view.rows.index(view.entries.index(reading))
        assert view.render_line(0).text == top_line
        assert _title(screen) == "[1] Timeline" and _subtitle(screen) == f"{TOTAL + 1:,}"
        # every entry once, in the order of their stamps
        assert [e.text for e in view.entries].count("written during the load") == 1
        assert len({e.id for e in view.entries}) == TOTAL + 1
        assert [e.hlc for e in view.entries] == sorted(e.hlc for e in view.entries)
        assert view.entries[0].text.startswith("Incident declared: Long night")
        # search finds an entry from the part that came later
        await pilot.press("escape")  # from the entry line back to the timeline
        await pilot.press("slash", *"Entry 3:", "enter")
        await wait_until(pilot, lambda: len(view.shown) == 1)
        assert view.entries[view.shown[0]].text.startswith("Entry 3: ")
        assert _subtitle(screen) == f"“Entry 3:” 1/{TOTAL + 1:,}"
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(view.shown) == TOTAL + 1)
        await pilot.press("home")  # g/Home: the very first entry, with its date line above it
        assert view.selected is view.entries[0] and view.cursor == 1 and view.rows[0] < 0


async def test_g_while_loading_ends_on_the_first_entry_and_a_late_entry_reloads_once(
        make_app: Any, long_db: Path) -> None:
    async with _opened(make_app, long_db) as (pilot, watched, screen, view):
        await pilot.press("g")  # the top of what is there: the top of everything once the rest is in
        assert view.selected is view.entries[0]
        watched.release.set()
        await wait_until(pilot, lambda: screen.earlier == 0, timeout=15)
        assert view.selected is view.entries[0] and view.entries[0].text.startswith("Incident declared")
        assert view.scroll_offset.y == 0
    # a second cockpit: an entry from another machine arrives late (it sorts before everything shown)
    async with _opened(make_app, long_db) as (pilot, watched, screen, view):
        assert screen.earlier == TOTAL - NEWEST_FIRST
        raw = sqlite3.connect(long_db)
        raw.execute("INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin) "
                    "VALUES (?, ?, 3, '2026-11-01T00:00:00.500000Z', 'note', 'remote', 'arrived late', ?, 'remote')",
                    (str(uuid.uuid4()), screen.incident_id, json.dumps({})))
        raw.execute("UPDATE incident SET updated_at = '2026-11-30T00:00:00.000000Z' WHERE id = ?",
                    (screen.incident_id,))  # as the merge of a tracker's entries does
        raw.commit()
        raw.close()
        # the poll counts one entry more than shown and still being read: the whole timeline is read again
        await wait_until(pilot, lambda: len(watched.gets) == 2, timeout=10)
        await wait_until(pilot, lambda: len(view.entries) == TOTAL + 1 and screen.earlier == 0)
        assert watched.gets == [NEWEST_FIRST, TOTAL + 1]
        watched.release.set()  # the older part read for the first timeline arrives after: it is not added again
        await wait_until(pilot, lambda: len(watched.before) == 1, timeout=15)
        for _ in range(3):
            await pilot.pause(0.05)
        assert len(view.entries) == TOTAL + 1 and len({e.id for e in view.entries}) == TOTAL + 1
        assert [e.text for e in view.entries].count("arrived late") == 1
        assert _title(screen) == "[1] Timeline"


async def test_the_first_frame_with_entries_shows_the_newest_at_the_bottom(
        make_app: Any, long_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.screen import Screen

    frames: list[str] = []  # the timeline's last line in each frame written while it has entries
    refresh = Screen._compositor_refresh

    def written(self: Screen[Any]) -> None:
        refresh(self)
        if isinstance(self, IncidentScreen) and self.query(TimelineView):
            view = self.query_one(TimelineView)
            if view.entries:
                frames.append(view.render_line(view.scrollable_content_region.height - 1).text)

    monkeypatch.setattr(Screen, "_compositor_refresh", written)
    app = make_app(long_db, poll_interval=0.05)
    watched = Watched(app.service)  # the older part held: every frame here is of the newest entries alone
    async with app.run_test(size=(80, 24)) as pilot:
        await _first_frame(pilot)
        await wait_until(pilot, lambda: bool(frames))
        assert f"Entry {ENTRIES - 1}:" in frames[0]  # not the top of what was read, a frame before the end
        watched.release.set()
