"""Runbook figures: validating 1,000 runbook files, and the walker's step-to-step latency."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.common import report, single

ROOT = Path(__file__).resolve().parents[1]


def bench_validate(folder: Path, count: int, runs: int) -> None:
    from cockpit.service.runbooks import load_library

    samples = sorted((ROOT / "sample_data" / "runbooks").glob("*.yaml"))
    library = folder / "library"
    library.mkdir()
    for i in range(count):
        source = samples[i % len(samples)]
        text = source.read_text().replace(f"id: {source.stem}", f"id: {source.stem}-{i:04d}", 1)
        (library / f"{source.stem}-{i:04d}.yaml").write_text(text)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        loaded = load_library([library])
        times.append(time.perf_counter() - t0)
    assert len(loaded.runbooks) == count and not loaded.problems, loaded.problems[:3]
    stats = report(f"validate {count:,} runbook files (library load)", times, "s")
    single("  per runbook", stats["median"] / count * 1000, "ms")


async def _step_latency(folder: Path, steps: int) -> list[float]:
    import os

    from cockpit.config import Config
    from cockpit.domain.severity import Impact, Scope
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.screens.incident import IncidentScreen
    from cockpit.tui.screens.runbook import RunbookScreen

    library = folder / "walk"
    library.mkdir()
    diagnosis = "".join(
        f"    - step: \"Step {i}\"\n      command: \"echo {i}\"\n      expected: \"{i}\"\n      if_unexpected: \"x\"\n"
        for i in range(steps + 1))
    (library / "long-walk.yaml").write_text(
        "runbook:\n  id: long-walk\n  title: Long walk\n  alert_name: LongWalk\n  last_updated: '2026-11-22'\n"
        "  owner: sre\n  overview: o\n  impact: i\n  diagnosis:\n" + diagnosis +
        "  mitigation: []\n  escalation: {after_minutes: 30, contact: x, context_to_provide: y}\n")
    os.environ["COCKPIT_RUNBOOK_DIRS"] = str(library)
    db = folder / "walk.db"
    svc = IncidentService(Store.open(db), "bench")
    svc.open_incident("Walk", Impact.DEGRADED, Scope.LT25, commander="ic")
    app = CockpitApp(IncidentService(Store.open(db), "bench"), Config(path=folder / "c.yaml", responder="b"))
    latencies = []
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, IncidentScreen):
            await asyncio.sleep(0.01)
        await pilot.press("b")
        while not isinstance(app.screen, RunbookScreen) or not app.screen.library.runbooks:
            await asyncio.sleep(0.01)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("ctrl+u", *"long-walk", "enter")
        screen = app.screen
        while not screen.runs:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
        for i in range(steps):
            marker = f"Step {i + 1}"
            t0 = time.perf_counter()
            await pilot.press("enter")
            while marker not in str(screen.query_one("#walker-step").render()):
                await asyncio.sleep(0.001)
            latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def bench_walker(folder: Path, steps: int) -> None:
    latencies = asyncio.run(_step_latency(folder, steps))
    report("walker: Enter to the next step on screen", latencies, "ms", "(includes Pilot's key simulation)")


def main(quick: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-rb-") as tmp:
        folder = Path(tmp)
        bench_validate(folder, 1000, 3 if quick else 5)
        bench_walker(folder, 10 if quick else 40)
