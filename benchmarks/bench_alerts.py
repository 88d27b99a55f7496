"""Polling and diffing 10,000 firing alerts from a real Alertmanager, time and memory, beside a floor measured in the
same run: the same GET through a bare httpx client, ``json.loads`` and a plain dict diff of fingerprint → state
(no checks, no store). The cockpit's steady poll reads, checks every record, diffs against the alert log in SQLite
and records the poll; its first poll also writes all 10,000 rows. And the alerts screen with 10,000 alerts: one key
press to the next frame.

Needs Debian's prometheus-alertmanager; skipped with a note otherwise.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import report, single

ALERTS = 10_000


def _post(am: Any, count: int) -> None:
    from cockpit.sources.local_alertmanager import alert

    now = datetime.now(UTC)
    batch = []
    for i in range(count):
        batch.append(alert({"alertname": f"BenchAlert{i % 100}", "service": f"svc-{i % 40}",
                            "severity": ("page", "warning", "ticket")[i % 3], "instance": f"host-{i}"},
                           {"summary": f"Bench alert {i}: something measurable is above its threshold"}, now))
        if len(batch) == 1000:
            am.post_alerts(batch)
            batch = []
    if batch:
        am.post_alerts(batch)


def _measure(work: Callable[[], Any], rounds: int) -> tuple[list[float], float]:
    """Seconds per round, and the peak traced memory of one round in MiB."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return times, peak / (1024 * 1024)


async def _key_latency(db: Path, presses: int) -> list[float]:
    from cockpit.config import Config
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.screens.alerts import AlertsScreen

    app = CockpitApp(IncidentService(Store.open(db), "bench"), Config(path=db.parent / "c.yaml", responder="bench"),
                     sync_interval=0, poll_interval=60)
    timings = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("A")
        while not (isinstance(app.screen, AlertsScreen) and app.screen.loads > 0):
            await pilot.pause(0.05)
        for i in range(presses):
            started = time.perf_counter()
            await pilot.press(("down", "pagedown", "up", "pageup")[i % 4])
            await pilot.pause()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main(quick: bool = False) -> None:
    import httpx

    from cockpit.domain.alerts import parse_alerts
    from cockpit.service.alerts import AlertLog
    from cockpit.service.incidents import IncidentService
    from cockpit.sources import local_alertmanager
    from cockpit.sources.alert_settings import AlertmanagerSettings
    from cockpit.sources.alertmanager import AlertmanagerSource, poll_once
    from cockpit.store.db import Store

    if not local_alertmanager.available():
        print("# alerts: skipped (Debian's prometheus-alertmanager is not installed)")
        return
    count = 2_000 if quick else ALERTS
    rounds = 3 if quick else 7
    with tempfile.TemporaryDirectory() as tmp, local_alertmanager.run_alertmanager() as am:
        _post(am, count)
        client = httpx.Client(base_url=am.url, timeout=60)
        previous: dict[str, str] = {}

        def floor() -> None:
            data = json.loads(client.get("api/v2/alerts").content)
            current = {a["fingerprint"]: a["status"]["state"] for a in data}
            _changed = [fp for fp, state in current.items() if previous.get(fp) != state]
            _gone = [fp for fp in previous if fp not in current]
            previous.clear()
            previous.update(current)

        floor()
        assert len(previous) == count, f"Alertmanager holds {len(previous)} of {count} alerts"
        store = Store.open(Path(tmp) / "bench.db")
        log = AlertLog(IncidentService(store, "bench"))
        source = AlertmanagerSource(AlertmanagerSettings(url=am.url, timeout_seconds=30))
        started = time.perf_counter()
        first = poll_once(log, source)
        single(f"first poll, {count:,} new alerts written", time.perf_counter() - started, "s")
        assert first.ok and first.poll is not None and len(first.poll.changes.fired) == count

        def steady() -> None:
            result = poll_once(log, source)
            assert result.ok and result.poll is not None and not result.poll.changes.any

        floor_times, floor_mib = _measure(floor, rounds)
        times, mib = _measure(steady, rounds)
        floor_stats = report(f"floor: GET + json + dict diff, {count:,}", floor_times, "s")
        report(f"steady poll + diff + record, {count:,}", times, "s",
               f"x{stats_ratio(times, floor_stats['median']):.2f} of the floor")
        single("peak memory, floor (traced)", floor_mib, "MiB")
        single("peak memory, steady poll (traced)", mib, "MiB", f"x{mib / floor_mib:.2f} of the floor")
        parse_started = time.perf_counter()
        parse_alerts(json.loads(client.get("api/v2/alerts").content))
        single("GET + json + checking every record (no store)", time.perf_counter() - parse_started, "s")
        source.close()
        client.close()
        store.close()
        keys = asyncio.run(_key_latency(Path(tmp) / "bench.db", 8 if quick else 20))
        report(f"alerts screen, {count:,} alerts: key to frame", keys, "ms")


def stats_ratio(values: list[float], floor_median: float) -> float:
    import statistics

    return statistics.median(values) / floor_median if floor_median else float("nan")


if __name__ == "__main__":
    main()
