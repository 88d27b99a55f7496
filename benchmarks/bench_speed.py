"""Issue #19's table: every figure beside its floor, measured in the same run, rounds interleaved, medians.

* first frame (120×40, sample data and a 100,000-entry incident): a fresh process from spawn to the incident
  screen showing its header and timeline; floor: a bare Textual app (Header + Static + Footer), and Textual's demo
* ``cockpit incident list`` / ``cockpit note REF text``, whole process; floor: ``python -c pass``
* append in process (``add_entry``: entry + outbox row, committed, synchronous=FULL); floor: raw sqlite3 making the
  same statements on the same schema (a cockpit database) with the same pragmas
* ``incident show --json`` at 100,000 entries, time and peak memory; floor: ``sqlite3 -json`` on the same rows
* Enter → entry on screen at 100,000 entries; floor: a bare Textual Input → Static, marked the same way
* idle memory on the sample (resident set after the first frame); floor: the bare app
* CPU per pane change (1 ↔ 2 on the sample's incident screen, 80×24, footer built for the new pane's keys); floor: a
  bare Textual app whose two panes have keys of their own, under Textual's own footer

Run alone: ``python -m benchmarks.bench_speed [--quick] [--only PART ...]``.

The cockpit's modules are compiled to bytecode first, as an installed package has them (pip writes it at install):
with ``PYTHONDONTWRITEBYTECODE=1`` in the environment and an editable install, every child process would otherwise
compile the cockpit's source again (about 60 ms of a command).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import PEAK_PRINTER, fill_timeline, marked_enter, painted_marks, peak_mib

ROOT = Path(__file__).resolve().parents[1]

# A child prints READY and its resident memory once its first frame is on screen.
RSS = ("def _rss():\n"
       "    for line in open('/proc/self/status'):\n"
       "        if line.startswith('VmRSS:'):\n"
       "            return int(line.split()[1]) / 1024\n")

COCKPIT_FIRST_FRAME = RSS + r"""
import asyncio, sys, os
os.environ.setdefault("TZ", "UTC")
from pathlib import Path
from cockpit.config import Config
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.app import CockpitApp

async def main():
    db = Path(sys.argv[1])
    app = CockpitApp(IncidentService(Store.open(db), "bench"), Config(path=db.with_suffix(".yaml"), responder="b"))
    async with app.run_test(size=(120, 40)) as pilot:
        from cockpit.tui.screens.incident import IncidentScreen
        from cockpit.tui.panes.timeline import TimelineView
        while not (isinstance(app.screen, IncidentScreen) and app.screen.detail is not None
                   and app.screen.query_one(TimelineView).entries):
            await asyncio.sleep(0.002)
        painted = asyncio.Event()
        app.call_after_refresh(painted.set)  # the frame with the incident on it has been drawn
        await painted.wait()
        print("READY", flush=True)
        await asyncio.sleep(1.0)  # idle: the background work after the first frame (ORM warm-up) has run
        print(f"RSS {_rss():.1f}", flush=True)
asyncio.run(main())
"""

BARE_FIRST_FRAME = RSS + r"""
import asyncio
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

async def main():
    async with Bare().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print("READY", flush=True)
        await asyncio.sleep(1.0)
        print(f"RSS {_rss():.1f}", flush=True)
asyncio.run(main())
"""

DEMO_FIRST_FRAME = RSS + r"""
import asyncio
from textual.demo.demo_app import DemoApp

async def main():
    async with DemoApp().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print("READY", flush=True)
        print(f"RSS {_rss():.1f}", flush=True)
asyncio.run(main())
"""


def launch(code: str, *argv: str) -> tuple[float, float]:
    """Seconds from spawn to the child's READY line, and its resident MiB once idle."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=ROOT, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    rest = proc.stdout.read()  # not communicate(): it would skip what readline() already buffered
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    proc.wait()
    if "READY" not in line or proc.returncode != 0:
        raise SystemExit(f"launch failed: {stderr}")
    rss = next(float(x.split()[1]) for x in rest.splitlines() if x.startswith("RSS "))
    return elapsed, rss


def run_process(args: list[str]) -> tuple[float, float]:
    """Seconds for a whole process, and its peak MiB (read inside the child)."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed: {proc.stderr}")
    return elapsed, peak_mib(proc.stderr) if "PEAK_KB" in proc.stderr else 0.0


def cockpit(*args: str) -> list[str]:
    return [sys.executable, "-c", PEAK_PRINTER + "from cockpit.cli.main import main\nmain()", *args]


def interleave(rounds: int, subjects: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Medians of each subject, measured in turn round after round (load on the machine hits them alike)."""
    values: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(rounds):
        for name, measure in subjects.items():
            values[name].append(measure())
    return {name: statistics.median(v) for name, v in values.items()}


def row(figure: str, value: float, unit: str, floor_name: str, floor: float, target: float | None = None) -> None:
    ratio = value / floor if floor else float("inf")
    verdict = "" if target is None else f"  target ≤ ×{target:g}: {'met' if ratio <= target else 'MISSED'}"
    print(f"{figure:<46} {value:>9.3f} {unit:<4} | {floor_name:<40} {floor:>9.3f} {unit:<4} | ×{ratio:.2f}{verdict}",
          flush=True)


# --- databases ------------------------------------------------------------------------------------------
def sample_db(folder: Path) -> tuple[Path, str]:
    from cockpit.service.incidents import IncidentService
    from cockpit.service.sample import load_sample_data
    from cockpit.store.db import Store

    path = folder / "sample.db"
    store = Store.open(path)
    load_sample_data(store, now=datetime.now(UTC))
    ref = IncidentService(store, "bench").list_incidents()[0].ref
    store.close()
    return path, ref


def huge_db(folder: Path, entries: int) -> tuple[Path, str]:
    from cockpit.domain.severity import Impact, Scope
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store

    path = folder / "huge.db"
    store = Store.open(path)
    snap = IncidentService(store, "bench").open_incident("Huge", Impact.CORE_DOWN, Scope.ALL, commander="ic")
    store.close()
    fill_timeline(path, snap.id, entries)
    return path, snap.ref


# --- the figures ------------------------------------------------------------------------------------------
def first_frames(sample: Path, huge: Path, entries: int, rounds: int) -> None:
    rss: dict[str, list[float]] = {"cockpit": [], "bare": []}

    def frame(code: str, key: str | None, *argv: str) -> Callable[[], float]:
        def measure() -> float:
            seconds, resident = launch(code, *argv)
            if key is not None:
                rss[key].append(resident)
            return seconds
        return measure

    got = interleave(rounds, {
        "bare": frame(BARE_FIRST_FRAME, "bare"),
        "demo": frame(DEMO_FIRST_FRAME, None),
        "sample": frame(COCKPIT_FIRST_FRAME, "cockpit", str(sample)),
        "huge": frame(COCKPIT_FIRST_FRAME, None, str(huge)),
    })
    row("first frame, sample data, 120×40", got["sample"], "s", "bare Textual (Header+Static+Footer)",
        got["bare"], 1.6)
    row("  〃", got["sample"], "s", "Textual's demo", got["demo"], 1.0)
    row(f"first frame, {entries:,}-entry incident", got["huge"], "s", "bare Textual", got["bare"])
    row("  〃 against the sample-data first frame", got["huge"], "s", "cockpit first frame, sample", got["sample"],
        1.2)
    row("idle memory, sample (resident, after 1 s)", statistics.median(rss["cockpit"]), "MiB", "bare Textual",
        statistics.median(rss["bare"]), 1.6)


def commands(sample: Path, ref: str, rounds: int) -> None:
    got = interleave(rounds, {
        "pass": lambda: run_process([sys.executable, "-c", "pass"])[0],
        "list": lambda: run_process(cockpit("--db", str(sample), "incident", "list"))[0],
        "note": lambda: run_process(cockpit("--db", str(sample), "--as", "bench", "note", ref, "bench note"))[0],
    })
    row("`cockpit incident list`, whole process", got["list"], "s", "python -c pass", got["pass"], 5)
    row("`cockpit note REF text`, whole process", got["note"], "s", "python -c pass", got["pass"], 5)


RAW_APPEND = (
    "SELECT id, kind, to_tracker FROM incident WHERE ref_key >= ? AND ref_key < ? ORDER BY ref_key LIMIT 6",
    "INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin) "
    "VALUES (?,?,?,?,?,?,?,?,?)",
    "UPDATE incident SET updated_at = ? WHERE id = ?",
    "INSERT INTO outbox_op (id, incident_id, op, entity_id, payload, created_at, state, attempts) "
    "VALUES (?,?,?,?,?,?,?,?)",
)


def append(folder: Path, count: int, rounds: int) -> None:
    from cockpit.domain import ids
    from cockpit.domain.severity import Impact, Scope
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store

    store = Store.open(folder / "append.db")
    svc = IncidentService(store, "bench")
    snap = svc.open_incident("Append benchmark", Impact.DEGRADED, Scope.LT25)
    raw_path = folder / "raw.db"
    Store.open(raw_path).close()  # the same schema, indexes and triggers
    raw_svc = IncidentService(Store.open(raw_path), "bench")
    raw_id = raw_svc.open_incident("Raw", Impact.DEGRADED, Scope.LT25).id
    raw_key = ids.ref_key_from_uuid(uuid.UUID(raw_id))
    raw_svc.store.close()
    raw = sqlite3.connect(raw_path, isolation_level=None)
    for pragma in ("busy_timeout = 5000", "foreign_keys = ON", "synchronous = FULL", "journal_mode = WAL"):
        raw.execute(f"PRAGMA {pragma}")
    hlc = [int(raw.execute("SELECT max(hlc) FROM timeline_entry").fetchone()[0])]

    def cockpit_append() -> float:
        t0 = time.perf_counter()
        svc.add_entry(snap.ref, "Restarted checkout-api-7b4d9 pod, watching p99")
        return (time.perf_counter() - t0) * 1000

    def raw_append() -> float:
        t0 = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(RAW_APPEND[0], (raw_key, raw_key + "~")).fetchall()
        hlc[0] += 1
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        entry = str(uuid.uuid4())
        raw.execute(RAW_APPEND[1], (entry, raw_id, hlc[0], at, "note", "bench",
                                    "Restarted checkout-api-7b4d9 pod, watching p99", "{}", "local"))
        raw.execute(RAW_APPEND[2], (at, raw_id))
        raw.execute(RAW_APPEND[3], (str(uuid.uuid4()), raw_id, "add_entry", entry, '{"id": "x"}', at, "pending", 0))
        raw.execute("COMMIT")
        return (time.perf_counter() - t0) * 1000

    for _ in range(20):  # warm up both
        cockpit_append()
        raw_append()
    got = interleave(rounds * count, {"cockpit": cockpit_append, "raw": raw_append})
    row("append in process (entry + outbox, committed)", got["cockpit"], "ms",
        "raw sqlite3, same statements/schema/FULL", got["raw"], 3)
    raw.close()
    store.close()


def show_json(huge: Path, ref: str, rounds: int) -> None:
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store

    store = Store.open(huge)
    incident_id = IncidentService(store, "bench").resolve(ref)
    store.close()
    peaks: list[float] = []

    def ours() -> float:
        seconds, peak = run_process(cockpit("--db", str(huge), "incident", "show", ref, "--json"))
        peaks.append(peak)
        return seconds

    query = ("SELECT id, at, hlc, kind, author, text, arrived_late_at FROM timeline_entry "
             f"WHERE incident_id = '{incident_id}' ORDER BY hlc, id")
    sqlite_cli = shutil.which("sqlite3")
    subjects: dict[str, Callable[[], float]] = {"ours": ours}
    if sqlite_cli:
        subjects["cli"] = lambda: run_process([sqlite_cli, "-json", str(huge), query])[0]
    got = interleave(rounds, subjects)
    if sqlite_cli:
        row("`incident show --json`, 100k entries", got["ours"], "s", "sqlite3 -json, the same rows", got["cli"], 4)
    else:
        print("`incident show --json`: the sqlite3 command is not installed (Debian: sqlite3): no floor")
    peak = statistics.median(peaks)
    print(f"{'  peak memory':<46} {peak:>9.1f} MiB  | target ≤ 150 MiB: {'met' if peak <= 150 else 'MISSED'}",
          flush=True)


async def _cockpit_enter(db: Path, presses: int) -> list[float]:
    """Milliseconds from Enter reaching the entry line (``Input.Submitted``) to the frame showing the entry."""
    from cockpit.config import Config
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.panes.timeline import TimelineView
    from cockpit.tui.screens.incident import IncidentScreen

    app = CockpitApp(IncidentService(Store.open(db), "bench"), Config(path=db.with_suffix(".yaml"), responder="b"))
    latencies = []
    with marked_enter() as marks:
        async with app.run_test(size=(120, 40)) as pilot:
            while not (isinstance(app.screen, IncidentScreen) and app.screen.detail is not None):
                await asyncio.sleep(0.01)
            view = app.screen.query_one(TimelineView)
            await pilot.pause(1.0)
            await pilot.press("e")
            for i in range(presses):
                text = f"bench entry {i}"
                await pilot.press(*text)
                marks.clear()
                await pilot.press("enter")
                while view.entries[-1].text != text or "painted" not in marks:
                    await asyncio.sleep(0.001)
                latencies.append((marks["painted"] - marks["submit"]) * 1000)
    return latencies


async def _bare_enter(presses: int) -> list[float]:
    """The floor: a bare Textual app whose Input, on Enter, shows the text in a Static; marked the same way."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input, Static

    latencies = []
    with painted_marks() as marks:
        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                yield Static(id="shown")
                yield Input(id="line")

            def on_input_submitted(self, event: Input.Submitted) -> None:
                marks["submit"] = time.perf_counter()
                self.query_one("#shown", Static).update(event.value)
                event.input.value = ""
                marks["shown"] = time.perf_counter()

        async with Bare().run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for i in range(presses):
                await pilot.press(*f"bench entry {i}")
                marks.clear()
                await pilot.press("enter")
                while "painted" not in marks:
                    await asyncio.sleep(0.001)
                latencies.append((marks["painted"] - marks["submit"]) * 1000)
    return latencies


def enter(huge: Path, presses: int) -> None:
    cockpit_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(3):  # interleaved thirds
        bare_ms += asyncio.run(_bare_enter(presses // 3 or 1))
        cockpit_ms += asyncio.run(_cockpit_enter(huge, presses // 3 or 1))
    row("Enter → entry on screen, 100k entries", statistics.median(cockpit_ms), "ms", "bare Textual Input → Static",
        statistics.median(bare_ms), 1.5)


async def _focus_cpu(app: Any, ready: Callable[[], bool], keys: tuple[str, str], presses: int) -> list[float]:
    """CPU milliseconds (this process) from a pane key to the screen settled with the other pane focused."""
    cpu = []
    async with app.run_test(size=(80, 24)) as pilot:
        while not ready():
            await asyncio.sleep(0.01)
        await pilot.pause(0.5)
        for i in range(presses):
            before = time.process_time()
            await pilot.press(keys[i % 2])
            await pilot.pause()
            await pilot.pause()
            cpu.append((time.process_time() - before) * 1000)
    return cpu


def _cockpit_focus(db: Path, presses: int) -> list[float]:
    from cockpit.config import Config
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.screens.incident import IncidentScreen

    app = CockpitApp(IncidentService(Store.open(db), "bench"), Config(path=db.with_suffix(".yaml"), responder="b"))
    return asyncio.run(_focus_cpu(app, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail
                                  is not None, ("2", "1"), presses))


def _bare_focus(presses: int) -> list[float]:
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import Footer, Static

    class Pane(Static, can_focus=True):
        pass

    class Left(Pane):
        BINDINGS = [Binding(k, "bell", f"Left {k}") for k in "abcdef"]

    class Right(Pane):
        BINDINGS = [Binding(k, "bell", f"Right {k}") for k in "ghijkl"]

    class Bare(App[None]):
        BINDINGS = [Binding("1", "focus('left')", "Left"), Binding("2", "focus('right')", "Right")]

        def compose(self) -> ComposeResult:
            yield Left("left", id="left")
            yield Right("right", id="right")
            yield Footer()

    app = Bare()
    return asyncio.run(_focus_cpu(app, lambda: app.is_running, ("2", "1"), presses))


def focus(sample: Path, presses: int) -> None:
    cockpit_ms: list[float] = []
    bare_ms: list[float] = []
    for _ in range(3):  # interleaved thirds
        bare_ms += _bare_focus(presses // 3 or 1)
        cockpit_ms += _cockpit_focus(sample, presses // 3 or 1)
    row("CPU per pane change (1 ↔ 2), sample, 80×24", statistics.median(cockpit_ms), "ms",
        "bare app: two panes with keys, Footer", statistics.median(bare_ms))


PARTS = ("first-frame", "commands", "append", "show-json", "enter", "focus")


def main(quick: bool = False, only: tuple[str, ...] = ()) -> None:
    entries = 10_000 if quick else 100_000
    rounds = 3 if quick else 7
    parts = set(only or PARTS)
    print(f"# issue #19 figures: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f} at the start; "
          f"medians of {rounds} interleaved rounds; {entries:,} entries for the large incident; the cockpit's "
          "modules compiled to bytecode first, as installed")
    compileall.compile_dir(ROOT / "cockpit", quiet=1)
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-speed-") as tmp:
        folder = Path(tmp)
        sample, ref = sample_db(folder)
        huge, huge_ref = huge_db(folder, entries)
        if "first-frame" in parts:
            first_frames(sample, huge, entries, rounds)
        if "commands" in parts:
            commands(sample, ref, rounds)
        if "append" in parts:
            append(folder, 30 if quick else 100, rounds)
        if "show-json" in parts:
            show_json(huge, huge_ref, rounds)
        if "enter" in parts:
            enter(huge, 6 if quick else 30)
        if "focus" in parts:
            focus(sample, 12 if quick else 60)
    print(f"# load average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_speed", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Smaller sizes, for a smoke run.")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=(), metavar="PART",
                        help=f"Measure only these parts ({', '.join(PARTS)}).")
    arguments = parser.parse_args()
    main(quick=arguments.quick, only=tuple(arguments.only))
