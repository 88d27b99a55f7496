"""SLO figures from a local Prometheus: one refresh of 50 SLOs × the seed's 5 alert windows, beside a floor measured
in the same run (a bare httpx loop sending the very same queries with the same concurrency, parsing nothing and
storing nothing); and Enter-to-entry-on-screen latency in the cockpit with and without a refresh running.

Needs Debian's prometheus (prometheus + promtool); skipped with a note otherwise.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import marked_enter, report, single

SLOS = 50
NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


def _data(folder: Path) -> Path:
    from cockpit.sources.local_prometheus import Family, create_blocks, write_openmetrics

    stamps: list[int] = []
    moment = NOW - timedelta(days=38)
    while moment <= NOW + timedelta(hours=1):
        stamps.append(int(moment.timestamp()))
        moment += timedelta(minutes=1 if moment >= NOW - timedelta(days=4) else 5)
    rows = []
    for n in range(SLOS):
        ok = bad = 0
        ok_points, bad_points = [], []
        for i, stamp in enumerate(stamps):
            ok += 1000 + (i * 7 + n) % 50
            bad += (i + n) % 3
            ok_points.append((stamp, float(ok)))
            bad_points.append((stamp, float(bad)))
        rows.append(({"service": f"bench-{n:02d}", "code": "200"}, ok_points))
        rows.append(({"service": f"bench-{n:02d}", "code": "500"}, bad_points))
    text = folder / "bench.om"
    write_openmetrics(text, [Family("http_requests_total", rows)])
    create_blocks(text, folder / "data")
    return folder / "data"


def _library(folder: Path) -> Path:
    slos = folder / "slos"
    slos.mkdir()
    for n in range(SLOS):
        service = f"bench-{n:02d}"
        (slos / f"{service}.yaml").write_text(f"""\
service: {service}
slis:
  - sli:
      name: availability
      prometheus:
        good: 'http_requests_total{{service="{service}",code!~"5.."}}'
        total: 'http_requests_total{{service="{service}"}}'
slos:
  - slo: {{sli: availability, target: 99.9, window: 30d}}
""", encoding="utf-8")
    return slos


def _queries(library: object) -> list[tuple[str, dict[str, str]]]:
    """The exact requests one refresh sends (instant batch + burn-down range per SLO)."""
    from cockpit.domain import slo_rules as promql
    from cockpit.sources.refresh import WEEK

    calls = []
    for slo in library.slos:  # type: ignore[attr-defined]
        windows = promql.status_windows(slo)
        calls.append(("api/v1/query", {"query": promql.batch(promql.window_parts(slo, windows)),
                                       "time": f"{NOW.timestamp():.3f}"}))
        step = promql.chart_step(slo.window)
        steps, back = int(slo.window / step), int(WEEK / step)
        start = NOW - step * (steps + back - 1)
        calls.append(("api/v1/query_range", {
            "query": promql.batch([("bad", promql.bad_expr(slo.measure, step)),
                                   ("total", promql.total_expr(slo.measure, step))]),
            "start": f"{start.timestamp():.3f}", "end": f"{NOW.timestamp():.3f}",
            "step": f"{int(step.total_seconds())}s"}))
    return calls


def bench_refresh(url: str, slo_dir: Path, folder: Path, runs: int) -> None:
    import httpx

    from cockpit.domain.slo import SEED_ALERTS, alert_windows
    from cockpit.service.incidents import IncidentService
    from cockpit.service.signals import Signals
    from cockpit.service.slo_files import load_library
    from cockpit.sources.prometheus import PrometheusSource
    from cockpit.sources.refresh import WORKERS, refresh
    from cockpit.sources.settings import PrometheusSettings
    from cockpit.store.db import Store

    library = load_library([slo_dir])
    assert len(library.slos) == SLOS and not library.problems
    store = Store.open(folder / "refresh.db")
    signals = Signals(IncidentService(store, "bench"))
    windows = len({w for a in SEED_ALERTS for w in (a.short_window, a.long_window)})
    calls = _queries(library)
    cockpit, floor = [], []
    with PrometheusSource(PrometheusSettings(url, timeout_seconds=30)) as source, \
            httpx.Client(base_url=url, timeout=30) as client:
        def bare(call: tuple[str, dict[str, str]]) -> int:
            return len(client.post(call[0], data=call[1]).content)

        refresh(signals, library, source, at=NOW)  # warm Prometheus's caches for both
        for _ in range(runs):
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                list(pool.map(bare, calls))
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = refresh(signals, library, source, at=NOW)
            cockpit.append(time.perf_counter() - t0)
            assert result.read == SLOS and not result.failed, result
    store.close()
    extra = (f"({len(alert_windows(SEED_ALERTS))} windows a SLO incl. 1d, + the 30d window; {len(calls)} requests)")
    floor_stats = report(f"bare httpx, same {len(calls)} queries", floor, "s")
    stats = report(f"refresh {SLOS} SLOs × {windows} alert windows", cockpit, "s",
                   f"×{statistics.median(cockpit) / floor_stats['median']:.2f} the floor {extra}")
    single("refresh per SLO", stats["median"] / SLOS * 1000, "ms")


_BARE_LOOP = """
import json, os, sys
from concurrent.futures import ThreadPoolExecutor
import httpx
os.nice(int(sys.argv[2]))
calls = json.loads(sys.stdin.read())
with httpx.Client(base_url=sys.argv[1], timeout=30) as client, ThreadPoolExecutor(max_workers=2) as pool:
    while True:
        list(pool.map(lambda c: client.post(c[0], data=c[1]).content, calls))
"""


class _BareLoad:
    """The same queries as a refresh, sent over and over by a bare httpx loop in a child process at the refresh's
    priority (two at a time, as the cockpit's background refresh does): what Prometheus on this 2-core machine,
    and a process reading its answers, cost the screen by themselves."""

    def __init__(self, url: str, calls: list[tuple[str, dict[str, str]]]) -> None:
        self.url, self.calls = url, calls
        self.child: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _BareLoad:
        import json
        import sys

        from cockpit.sources.refresh_child import NICE

        self.child = subprocess.Popen([sys.executable, "-c", _BARE_LOOP, self.url, str(NICE)],
                                      stdin=subprocess.PIPE)
        assert self.child.stdin is not None
        self.child.stdin.write(json.dumps(self.calls).encode())
        self.child.stdin.close()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.child is not None:
            self.child.kill()
            self.child.wait()


async def _latency(db: Path, presses: int, during_refresh: bool) -> tuple[list[float], int]:
    from cockpit.config import Config
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.panes.timeline import TimelineView
    from cockpit.tui.screens.incident import IncidentScreen

    app = CockpitApp(IncidentService(Store.open(db), "bench", clock=lambda: NOW),
                     Config(path=db.with_suffix(".yaml"), responder="b"), clock=lambda: NOW)
    latencies, overlapped = [], 0
    with marked_enter() as marks:
        async with app.run_test(size=(120, 40)) as pilot:
            while not (isinstance(app.screen, IncidentScreen) and app.screen.detail is not None):
                await asyncio.sleep(0.01)
            assert app.signals is not None
            view = app.screen.query_one(TimelineView)
            await pilot.press("e")
            for i in range(presses):
                text = f"bench entry {i}"
                await pilot.press(*text)
                if during_refresh and not app.signals._lock.locked():  # make sure a refresh runs at Enter
                    rounds = app.signals.rounds
                    app.signals.round()
                    deadline = time.monotonic() + 30
                    while not app.signals._lock.locked() and app.signals.rounds == rounds:
                        assert time.monotonic() < deadline, "no refresh started"
                        await asyncio.sleep(0.002)
                marks.clear()
                busy = app.signals._lock.locked()
                await pilot.press("enter")
                deadline = time.monotonic() + 30
                while view.entries[-1].text != text or "painted" not in marks:
                    assert time.monotonic() < deadline, f"entry {i} never appeared"
                    await asyncio.sleep(0.001)
                overlapped += busy
                latencies.append((marks["painted"] - marks["submit"]) * 1000)
            await app.workers.wait_for_complete()
    return latencies, overlapped


def bench_keystrokes(url: str, slo_dir: Path, folder: Path, presses: int) -> None:
    import os

    from cockpit.service.sample import load_sample_data
    from cockpit.store.db import Store

    db = folder / "tui.db"
    store = Store.open(db)
    load_sample_data(store, now=NOW)  # the cockpit on the sample SEV1, refreshing the 50 bench SLOs
    store.close()
    from cockpit.service.slo_files import load_library

    os.environ["COCKPIT_SLO_DIRS"] = str(slo_dir)
    os.environ["COCKPIT_PROMETHEUS_URL"] = "none"
    quiet, _ = asyncio.run(_latency(db, presses, during_refresh=False))
    with _BareLoad(url, _queries(load_library([slo_dir]))):
        loaded, _ = asyncio.run(_latency(db, presses, during_refresh=False))
    os.environ["COCKPIT_PROMETHEUS_URL"] = url
    busy, overlapped = asyncio.run(_latency(db, presses, during_refresh=True))
    base = report("Enter to entry on screen, no refresh", quiet, "ms")
    floor = report("Enter to entry, Prometheus busy (bare loop)", loaded, "ms",
                   f"×{statistics.median(loaded) / base['median']:.2f}: the same queries from outside the cockpit")
    report("Enter to entry on screen, refresh running", busy, "ms",
           f"×{statistics.median(busy) / base['median']:.2f} (×{statistics.median(busy) / floor['median']:.2f} the "
           f"busy-Prometheus floor); {overlapped} of {presses} Enters pressed while a refresh ran")


def main(quick: bool = False) -> None:
    from cockpit.sources import local_prometheus

    if not local_prometheus.available():
        print("# SLO benchmarks skipped: Debian's prometheus is not installed (scripts/install-system-deps.sh)")
        return
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-slo-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        storage = _data(folder)
        single("build 50 services' data (backfill)", time.perf_counter() - t0, "s")
        slo_dir = _library(folder)
        with local_prometheus.run_prometheus(storage) as prom:
            bench_refresh(prom.url, slo_dir, folder, 3 if quick else 9)
            bench_keystrokes(prom.url, slo_dir, folder, 8 if quick else 30)


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
