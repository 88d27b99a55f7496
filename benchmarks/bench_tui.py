"""The cockpit screen's figures: launch to first complete frame, keystroke to entry on screen, peak memory.

Each launch is a fresh process (imports included), driven headless at 120×40; "complete" means the
incident screen is mounted with its whole timeline loaded and painted. The baselines are a bare Textual
app (one Static) and Textual's own demo app, measured the same way in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import PEAK_PRINTER, fill_timeline, peak_mib, report, single

ROOT = Path(__file__).resolve().parents[1]

COCKPIT_DRIVER = r"""
import asyncio, sys, os
os.environ.setdefault("TZ", "UTC")
from pathlib import Path
from cockpit.config import Config
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.app import CockpitApp

async def main():
    db = Path(sys.argv[1])
    app = CockpitApp(IncidentService(Store.open(db), "bench"), Config(path=db.with_suffix(".yaml"), responder="bench"))
    async with app.run_test(size=(120, 40)) as pilot:
        from cockpit.tui.screens.incident import IncidentScreen
        from cockpit.tui.panes.timeline import TimelineView
        expected = int(sys.argv[2])
        while True:
            screen = app.screen
            if isinstance(screen, IncidentScreen) and screen.detail is not None:
                view = screen.query_one(TimelineView)
                if len(view.entries) >= expected:
                    break
            await asyncio.sleep(0.002)
        await pilot.pause()
        print("READY", flush=True)
asyncio.run(main())
"""

BARE_DRIVER = r"""
import asyncio
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

async def main():
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print("READY", flush=True)
asyncio.run(main())
"""


DEMO_DRIVER = r"""
import asyncio
from textual.demo.demo_app import DemoApp

async def main():
    app = DemoApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print("READY", flush=True)
asyncio.run(main())
"""


def _launch(args: list[str]) -> tuple[float, float]:
    """Seconds from spawning the process to its READY line, and its peak memory in MiB."""
    code, *argv = args
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", PEAK_PRINTER + code, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    _, stderr = proc.communicate()
    if "READY" not in line or proc.returncode != 0:
        raise SystemExit(f"launch failed: {stderr}")
    return elapsed, peak_mib(stderr)


def _sample_db(folder: Path) -> tuple[Path, int]:
    from cockpit.service.incidents import IncidentService
    from cockpit.service.sample import load_sample_data
    from cockpit.store.db import Store

    path = folder / "sample.db"
    store = Store.open(path)
    load_sample_data(store, now=__import__("datetime").datetime.now(__import__("datetime").UTC))
    live = IncidentService(store, "bench").list_incidents()[0]
    count = len(IncidentService(store, "bench").get(live.ref).timeline)
    store.close()
    return path, count


def _huge_db(folder: Path, entries: int) -> tuple[Path, int]:
    from cockpit.domain.severity import Impact, Scope
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store

    path = folder / "huge.db"
    store = Store.open(path)
    snap = IncidentService(store, "bench").open_incident("Huge", Impact.CORE_DOWN, Scope.ALL, commander="ic")
    store.close()
    fill_timeline(path, snap.id, entries)
    return path, entries + 2


def bench_launch(folder: Path, runs: int, entries: int) -> None:
    bare = [_launch([BARE_DRIVER])[0] for _ in range(runs)]
    base = report("baseline: bare Textual app, first frame", bare, "s")
    demo = [_launch([DEMO_DRIVER])[0] for _ in range(runs)]
    demo_stats = report("baseline: Textual's own demo app, first frame", demo, "s")
    sample, count = _sample_db(folder)
    times = [_launch([COCKPIT_DRIVER, str(sample), str(count)]) for _ in range(runs)]
    stats = report("cockpit first complete frame, sample data", [t for t, _ in times], "s")
    report("cockpit peak memory, sample data", [m for _, m in times], "MiB")
    single("  ratio to the bare Textual app (median)", stats["median"] / base["median"], "x")
    single("  ratio to Textual's demo app (median)", stats["median"] / demo_stats["median"], "x")
    huge, count = _huge_db(folder, entries)
    times = [_launch([COCKPIT_DRIVER, str(huge), str(count)]) for _ in range(runs)]
    stats = report(f"cockpit first complete frame, {entries:,} entries", [t for t, _ in times], "s")
    report(f"cockpit peak memory, {entries:,} entries", [m for _, m in times], "MiB")
    single("  ratio to the bare Textual app (median)", stats["median"] / base["median"], "x")


async def _keystroke_latency(db: Path, count: int, presses: int) -> list[float]:
    """Milliseconds from the Enter key reaching the entry line to the frame that shows the new entry.

    Pilot's own key simulation waits for the app to go idle (about 100 ms), so the start and end are
    marked inside the app: at ``Input.Submitted`` and after the refresh that follows the append.
    """
    from cockpit.config import Config
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.panes.timeline import TimelineView
    from cockpit.tui.screens.incident import IncidentScreen

    marks: dict[str, float] = {}
    submitted = IncidentScreen.on_input_submitted
    append = TimelineView.append_entries

    def mark_submit(self: IncidentScreen, event: object) -> None:
        marks["submit"] = time.perf_counter()
        submitted(self, event)  # type: ignore[arg-type]

    def mark_paint(self: TimelineView, entries: object) -> None:
        append(self, entries)  # type: ignore[arg-type]
        self.call_after_refresh(lambda: marks.__setitem__("painted", time.perf_counter()))

    IncidentScreen.on_input_submitted = mark_submit  # type: ignore[method-assign]
    TimelineView.append_entries = mark_paint  # type: ignore[method-assign]
    app = CockpitApp(IncidentService(Store.open(db), "bench"), Config(path=db.with_suffix(".yaml"), responder="b"))
    latencies = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            while not (isinstance(app.screen, IncidentScreen) and app.screen.detail is not None
                       and len(app.screen.query_one(TimelineView).entries) >= count):
                await asyncio.sleep(0.01)
            view = app.screen.query_one(TimelineView)
            await pilot.press("e")
            for i in range(presses):
                text = f"bench entry {i}"
                await pilot.press(*text)
                marks.clear()
                await pilot.press("enter")
                while view.entries[-1].text != text or "painted" not in marks:
                    await asyncio.sleep(0.001)
                latencies.append((marks["painted"] - marks["submit"]) * 1000)
    finally:
        IncidentScreen.on_input_submitted = submitted  # type: ignore[method-assign]
        TimelineView.append_entries = append  # type: ignore[method-assign]
    return latencies


def bench_keystroke(folder: Path, entries: int, presses: int) -> None:
    (folder / "k").mkdir()
    huge, count = _huge_db(folder / "k", entries)
    latencies = asyncio.run(_keystroke_latency(huge, count, presses))
    report(f"Enter to entry on screen, {entries:,} entries", latencies, "ms",
           f"(stdev {statistics.pstdev(latencies):.1f})")


def main(quick: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-tui-") as tmp:
        folder = Path(tmp)
        entries = 10_000 if quick else 100_000
        bench_launch(folder, 3 if quick else 7, entries)
        bench_keystroke(folder, entries, 5 if quick else 30)
