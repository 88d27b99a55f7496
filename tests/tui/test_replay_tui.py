"""Replay and drill on screen: the replay's entries appear in the cockpit as the driver plays them into the scratch
database; a drill is marked EXERCISE."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from cockpit.config import Config
from cockpit.service.incidents import IncidentService
from cockpit.service.replay import Replay, Scratch, start_drill
from cockpit.store.db import Store
from cockpit.tui.app import CockpitApp
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.panes.timeline import TimelineView
from cockpit.tui.screens.incident import IncidentScreen
from tests.cli.test_replay_cli import two_minute_incident
from tests.tui.conftest import wait_until


def status(app: Any) -> str:
    lines = app.screen.query(StatusLine)
    return lines.first().render().plain if lines else ""


async def test_replay_entries_appear_on_screen_in_order(tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    ref = two_minute_incident(db)
    source = IncidentService(Store.open(db), "trainee")
    scratch = Scratch.create()
    player = Replay(source, ref, scratch.store)
    incident_id = player.prepare()
    clock = player.clock(60)
    stop = threading.Event()
    driver = threading.Thread(target=player.run, args=(clock, None, stop), daemon=True)
    viewer = IncidentService(scratch.store, "trainee", clock=clock)
    app = CockpitApp(viewer, Config(path=tmp_path / "c.yaml", responder="trainee"), clock=clock, poll_interval=0.1,
                     sync_interval=0, sync_state="replay ×60: never synced", land_on=incident_id)
    try:
        driver.start()
        async with app.run_test(size=(120, 40)) as pilot:
            # the screen is pushed before it is composed: wait for its first load, then for the replay's entries
            await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
            await wait_until(pilot, lambda: len(app.screen.query_one(TimelineView).entries) == 8, timeout=15)
            shown = [e.id for e in app.screen.query_one(TimelineView).entries]
            assert shown == [e.id for e in source.get(ref).timeline]
            await wait_until(pilot, lambda: "RESOLVE" in status(app))
            text = status(app)
            assert "EXERCISE" in text and "replay ×60: never synced" in text
        assert viewer.pending_outbox() == 0
    finally:
        stop.set()
        driver.join(timeout=5)
        scratch.discard()
        source.store.close()


async def test_a_drill_is_marked_exercise(tmp_path: Path, make_app: Any) -> None:
    db = tmp_path / "real.db"
    ref = two_minute_incident(db)
    svc = IncidentService(Store.open(db), "trainer")
    drill_ref, _ = start_drill(svc, ref)
    drill_id = svc.resolve(drill_ref)
    svc.store.close()
    app = make_app(db, land_on=drill_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and "EXERCISE" in status(app))
        assert app.screen.incident_id == drill_id
        assert status(app).startswith(" EXERCISE  SEV")
