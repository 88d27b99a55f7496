"""Status page figures: building the page for 1,000 incidents, beside floors measured in the same run (raw sqlite3
reading the same rows, and Jinja2 rendering the page with nothing on it), and the cost of one --watch look."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import report, single


class StepClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=30)
        return self.now


def make_store(db: Path, count: int) -> tuple[object, int]:
    """``count`` published incidents over the last 80 days, one in ten still open: every resolved one has two
    customer updates and a resolution notice, every open one two updates; plus an internal note each."""
    from cockpit.domain.comms import Template
    from cockpit.domain.lifecycle import Phase
    from cockpit.domain.severity import Impact, Scope
    from cockpit.service.incidents import IncidentService
    from cockpit.service.publishing import publish
    from cockpit.store.db import Store

    clock = StepClock(datetime.now(UTC) - timedelta(days=80))
    svc = IncidentService(Store.open(db), "bench", clock=clock)
    services = ["checkout-api", "orders-db", "search", "login", "payments", "catalog-api", "notifications"]
    step = timedelta(days=79) / count
    updates = 0
    for i in range(count):
        clock.now = datetime.now(UTC) - timedelta(days=80) + step * i
        snap = svc.open_incident(f"Incident {i}: {services[i % 7]} errors above SLO", list(Impact)[i % 4],
                                 list(Scope)[i % 4], services=[services[i % 7], services[(i + 3) % 7]])
        svc.add_entry(snap.ref, "internal: looked at the dashboards, nothing for customers")
        publish(svc, snap.ref, Template.CUSTOMER)
        for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE):
            svc.set_phase(snap.ref, phase)
        publish(svc, snap.ref, Template.CUSTOMER)
        updates += 2
        if i % 10:
            svc.set_phase(snap.ref, Phase.RESOLVE)
            publish(svc, snap.ref, Template.RESOLUTION)
            updates += 1
    svc.clock = lambda: datetime.now(UTC)  # type: ignore[assignment]
    return svc, updates


def raw_read(db: Path, cutoff: str) -> int:
    """The floor for reading: sqlite3 with no ORM fetching the rows the page is made of."""
    raw = sqlite3.connect(db)
    try:
        incidents = raw.execute(
            "SELECT id, ref_key, title, severity, phase, services, declared_at, started_at, resolved_at FROM incident "
            "WHERE id IN (SELECT DISTINCT incident_id FROM published_update) "
            "AND (phase IN ('DETECT','TRIAGE','RESPOND','MITIGATE') OR resolved_at >= ?)", (cutoff,)).fetchall()
        rows = raw.execute("SELECT id, incident_id, template, public_title, text, published_by, published_at "
                           "FROM published_update ORDER BY published_at DESC, id DESC").fetchall()
        return len(incidents) + len(rows)
    finally:
        raw.close()


def main(quick: bool = False) -> None:
    from cockpit.service.publishing import StatusPageData, fingerprint, status_page
    from cockpit.web.statuspage import PageOptions, build, render

    count = 100 if quick else 1000
    runs = 3 if quick else 7
    options = PageOptions(title="Northwind status", components=("checkout-api", "search", "login"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        svc, updates = make_store(folder / "web.db", count)
        single(f"status page: set-up, {count:,} incidents, {updates:,} updates", time.perf_counter() - t0, "s",
               "(through the service: open, note, publish, phases)")
        builds, reads, renders, floors, empties = [], [], [], [], []
        cutoff = (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for _ in range(runs):
            t = time.perf_counter()
            result = build(svc, folder / "site", options)  # type: ignore[arg-type]
            builds.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            data = status_page(svc, options.components)  # type: ignore[arg-type]
            reads.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            render(data, options)
            renders.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            raw_read(folder / "web.db", cutoff)
            floors.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            render(StatusPageData(generated_at=datetime.now(UTC), open=[], resolved=[], components=[], feed=[]),
                   options)
            empties.append((time.perf_counter() - t) * 1000)
        assert result.open + result.resolved == count, result
        size = (folder / "site" / "index.html").stat().st_size
        build_stats = report(f"status page build, {count:,} incidents", builds, "ms",
                             f"{size / 1024:.0f} KiB index.html, {result.updates:,} updates")
        report("  of which: read from the store", reads, "ms")
        render_stats = report("  of which: render with Jinja2", renders, "ms")
        floor = report("  floor: raw sqlite3 reading the same rows", floors, "ms")
        empty = report("  floor: rendering the page with nothing on it", empties, "ms")
        single("  build / (raw read + empty render)", build_stats["median"] / (floor["median"] + empty["median"]),
               "x")
        single("  render per incident", render_stats["median"] / count, "ms")
        looks = []
        for _ in range(200):
            t = time.perf_counter()
            fingerprint(svc)  # type: ignore[arg-type]
            looks.append((time.perf_counter() - t) * 1000)
        report("status page --watch: one look at the store", looks, "ms")


if __name__ == "__main__":
    main()
