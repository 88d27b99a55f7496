"""Shared helpers: timing statistics and the one-line output format ``name  median  p95  unit  n``."""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, values: list[float], unit: str, extra: str = "") -> dict[str, float]:
    median = statistics.median(values)
    p95 = percentile(values, 0.95)
    p99 = percentile(values, 0.99)
    line = f"{name:<44} median {median:>10.3f}  p95 {p95:>10.3f}  p99 {p99:>10.3f}  {unit:<8} n={len(values)}"
    print(f"{line}  {extra}".rstrip(), flush=True)
    return {"median": median, "p95": p95, "p99": p99}


def single(name: str, value: float, unit: str, extra: str = "") -> None:
    print(f"{name:<44} {value:>12.3f} {unit:<8} {extra}".rstrip(), flush=True)


def fill_timeline(db: Path, incident_id: str, count: int, start: datetime | None = None) -> None:
    """Append ``count`` entries straight into the table (a fast way to build a huge incident)."""
    start = start or datetime(2026, 11, 1, tzinfo=UTC)
    raw = sqlite3.connect(db)
    last = raw.execute("SELECT coalesce(max(hlc), 0) FROM timeline_entry").fetchone()[0]
    rows = []
    for i in range(count):
        at = start + timedelta(seconds=i)
        rows.append((
            str(uuid.uuid4()), incident_id, last + 1 + i, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            ("note", "status", "action", "decision")[i % 4], ("priya", "marcus", "chen")[i % 3],
            f"Entry {i}: checked pod checkout-api-7b4d9-{i % 97:02d}, p99 {200 + i % 300} ms, "
            "error rate 0.4%, nothing unusual in the logs", json.dumps({}), "local",
        ))
    raw.executemany("INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin) "
                    "VALUES (?,?,?,?,?,?,?,?,?)", rows)
    raw.commit()
    raw.close()


# Peak memory of a child process is read inside the child, from /proc/self/status (VmHWM): the
# rusage of a forked child also counts the parent's pages from before exec, which would inflate it.
PEAK_PRINTER = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('PEAK_KB ' + line.split()[1] + '\\n')\n"
    "atexit.register(_peak)\n"
)


def peak_mib(stderr: str) -> float:
    for line in stderr.splitlines():
        if line.startswith("PEAK_KB "):
            return int(line.split()[1]) / 1024
    raise ValueError("the child did not report its peak memory")


def timed_push(relay: Any, count: int, where: str) -> float:
    """Push the relay's queue (``count`` entries), print the rate, return the seconds it took."""
    t0 = time.perf_counter()
    pushed = relay.push().pushed
    seconds = time.perf_counter() - t0
    assert pushed == count, pushed
    single(f"push {count:,} queued entries to {where}", count / seconds, "entries/s", f"({seconds:.1f} s)")
    return seconds


@contextmanager
def painted_marks() -> Iterator[dict[str, float]]:
    """``painted``: when the first frame after ``marks["shown"]`` has been written (the screen's compositor refresh
    that follows the change). A callback asked for "after the refresh" (``call_after_refresh``) can run a frame later
    than that, depending on which message queue it waits in, so it is not the moment the change is on screen."""
    from textual.screen import Screen

    marks: dict[str, float] = {}
    refresh = Screen._compositor_refresh

    def mark_frame(self: Screen[object]) -> None:
        refresh(self)
        if "shown" in marks and "painted" not in marks:
            marks["painted"] = time.perf_counter()

    Screen._compositor_refresh = mark_frame  # type: ignore[method-assign,assignment]
    try:
        yield marks
    finally:
        Screen._compositor_refresh = refresh  # type: ignore[method-assign]


@contextmanager
def marked_enter() -> Iterator[dict[str, float]]:
    """Marks inside the cockpit app: ``submit`` when Enter reaches the entry line (``Input.Submitted``), ``painted``
    once the frame that follows the new entry's append has been written (``painted_marks``). Pilot's own key
    simulation waits for the app to go idle, so the figure is taken between these marks."""
    from cockpit.tui.panes.timeline import TimelineView
    from cockpit.tui.screens.incident import IncidentScreen

    submitted, append = IncidentScreen.on_input_submitted, TimelineView.append_entries

    with painted_marks() as marks:
        def mark_submit(self: IncidentScreen, event: object) -> None:
            marks["submit"] = time.perf_counter()
            submitted(self, event)  # type: ignore[arg-type]

        def mark_shown(self: TimelineView, entries: object) -> None:
            append(self, entries)  # type: ignore[arg-type]
            if "submit" in marks:
                marks["shown"] = time.perf_counter()

        IncidentScreen.on_input_submitted = mark_submit  # type: ignore[method-assign]
        TimelineView.append_entries = mark_shown  # type: ignore[method-assign]
        try:
            yield marks
        finally:
            IncidentScreen.on_input_submitted = submitted  # type: ignore[method-assign]
            TimelineView.append_entries = append  # type: ignore[method-assign]
