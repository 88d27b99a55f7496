"""The foundation's figures: appending a timeline entry, opening a 100,000-entry incident."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.common import PEAK_PRINTER, fill_timeline, peak_mib, report, single
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store

ROOT = Path(__file__).resolve().parents[1]


def bench_append(folder: Path, count: int) -> None:
    store = Store.open(folder / "append.db")
    svc = IncidentService(store, "bench")
    ref = svc.open_incident("Append benchmark", Impact.DEGRADED, Scope.LT25).ref
    for _ in range(20):  # warm up
        svc.add_entry(ref, "warm-up")
    times = []
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        svc.add_entry(ref, f"Entry {i}: restarted checkout-api-7b4d9 pod, watching p99")
        times.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - started
    stats = report("append entry (+outbox row, committed)", times, "ms")
    single("append entry throughput", count / total, "entries/s")

    # Baseline in the same run: raw sqlite3, same pragmas, the same two inserts per transaction.
    raw = sqlite3.connect(folder / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE e (id TEXT PRIMARY KEY, incident TEXT, hlc INTEGER, at TEXT, kind TEXT, author TEXT,"
                " text TEXT, data TEXT, origin TEXT)")
    raw.execute("CREATE TABLE o (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, incident TEXT, payload TEXT)")
    raw_times = []
    for i in range(count):
        t0 = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO e VALUES (?,?,?,?,?,?,?,?,?)",
                    (str(uuid.uuid4()), "i", i, "2026", "note", "bench", f"Entry {i}", "{}", "local"))
        raw.execute("INSERT INTO o (id, incident, payload) VALUES (?,?,?)", (str(uuid.uuid4()), "i", "{}"))
        raw.execute("COMMIT")
        raw_times.append((time.perf_counter() - t0) * 1000)
    raw.close()
    base = report("baseline: raw sqlite3, same two inserts", raw_times, "ms")
    single("append entry / raw sqlite3 (median ratio)", stats["median"] / base["median"], "x")
    store.close()


def bench_show(folder: Path, entries: int, runs: int) -> None:
    db = folder / "huge.db"
    store = Store.open(db)
    svc = IncidentService(store, "bench")
    snap = svc.open_incident("A very long incident", Impact.CORE_DOWN, Scope.ALL)
    store.close()
    fill_timeline(db, snap.id, entries)
    key = snap.ref
    for label, args in [("incident show --json", ["--json"]), ("incident show (text)", [])]:
        times, peaks = [], []
        runner = PEAK_PRINTER + "import runpy; runpy.run_module('cockpit', run_name='__main__')"
        for _ in range(runs):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", runner, "--db", str(db), "incident", "show", key, *args],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, text=True)
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"{label} failed: {proc.stderr}")
            peaks.append(peak_mib(proc.stderr))
        report(f"{label}, {entries:,} entries", times, "s")
        report(f"{label} peak memory", peaks, "MiB")
    # The service call alone, in process (what the cockpit screen pays).
    store = Store.open(db)
    svc = IncidentService(store, "bench")
    loads = []
    for _ in range(runs):
        t0 = time.perf_counter()
        detail = svc.get(key)
        loads.append(time.perf_counter() - t0)
    assert len(detail.timeline) == entries + 1
    report(f"service get(), {entries:,} entries (in process)", loads, "s")
    store.close()


def bench_cli_startup(folder: Path, runs: int) -> None:
    db = folder / "startup.db"
    Store.open(db).close()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cockpit", "--db", str(db), "incident", "list"],
                       check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    report("cli start-up (incident list, empty db)", times, "s")


def main(quick: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-") as tmp:
        folder = Path(tmp)
        bench_append(folder, 300 if quick else 2000)
        bench_show(folder, 10_000 if quick else 100_000, 3 if quick else 5)
        bench_cli_startup(folder, 3 if quick else 10)
