"""The ORM is never imported on the screen's thread (issue #19): importing SQLAlchemy and SQLModel takes a third of a
second or more, and on the screen's thread it held up the first keys after the first frame (the role board's watch
imported it there). A fresh process, so nothing is imported before the app starts: what imports the ORM, on which
thread, is recorded by an import hook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.tui.conftest import ROOT

CHILD = r"""
import asyncio, sys, threading
from pathlib import Path

seen = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "sqlmodel":
            seen.append(threading.current_thread() is threading.main_thread())
        return None

sys.meta_path.insert(0, Watch())

from cockpit.config import Config
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.app import CockpitApp
from cockpit.tui.screens.incident import IncidentScreen

async def main():
    db = Path(sys.argv[1])
    app = CockpitApp(IncidentService(Store.open(db), "t"), Config(path=db.with_suffix(".yaml"), responder="t"),
                     poll_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, IncidentScreen) and app.screen.detail is not None):
            await asyncio.sleep(0.01)
        for _ in range(20):  # the work after the first frame: polls, the role board's watch, the warm-up
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
    assert "sqlmodel" in sys.modules  # the warm-up imported it (after the first frame)
    print("ON_MAIN" if any(seen) else "OFF_MAIN", flush=True)

asyncio.run(main())
"""


def test_the_orm_is_imported_off_the_screens_thread(sample_db: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CHILD, str(sample_db)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "OFF_MAIN"
