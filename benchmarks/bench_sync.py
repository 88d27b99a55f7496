"""Sync figures against a real local Roundup: pushing queued entries (vs a bare httpx loop making the same
calls in the same run), pulling remote comments, and local writes with the tracker unreachable."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.common import report, single, timed_push


def main(quick: bool = False) -> None:
    try:
        from tests.integration.roundup_server import start_roundup
    except ImportError:
        print("sync benchmarks skipped: roundup is not installed (pip install '.[dev]')")
        return
    from cockpit.domain.severity import Impact, Scope
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.sync.relay import Relay
    from cockpit.sync.roundup import RoundupAdapter

    count = 200 if quick else 1000
    tracker = start_roundup()
    try:
        with tempfile.TemporaryDirectory(prefix="cockpit-bench-sync-") as tmp:
            svc = IncidentService(Store.open(Path(tmp) / "push.db"), "bench")
            ref = svc.open_incident("Push benchmark", Impact.DEGRADED, Scope.LT25).ref
            relay = Relay(svc, RoundupAdapter("bench", tracker.url, "alice", tracker.users["alice"]))
            relay.push()  # the incident itself
            for i in range(count):
                svc.add_entry(ref, f"queued entry {i}")
            push_s = timed_push(relay, count, "Roundup")

            # the same calls in a bare httpx loop: POE token, create msg, read issue, attach with If-Match
            remote = relay.adapter.find_incident(svc.get(ref).snapshot.id)
            client = httpx.Client(base_url=tracker.rest + "data/", auth=("alice", tracker.users["alice"]),
                                  headers={"X-Requested-With": "rest", "Origin": tracker.origin})
            user = client.get("user", params={"username": "alice"}).json()["data"]["collection"][0]["id"]
            t0 = time.perf_counter()
            for i in range(count):
                link = client.post("msg/@poe", json={}).json()["data"]["link"]
                msg = client.post(link, json={"content": f"bare {i}", "author": user}).json()["data"]["id"]
                etag = client.get(f"issue/{remote}").headers["ETag"]
                client.patch(f"issue/{remote}", headers={"If-Match": etag}, json={"@op": "add", "messages": [msg]})
            bare_s = time.perf_counter() - t0
            client.close()
            single("  bare httpx loop, same calls", count / bare_s, "entries/s", f"({bare_s:.1f} s)")
            single("  cockpit push / bare loop (time ratio)", push_s / bare_s, "x")

            other = IncidentService(Store.open(Path(tmp) / "pull.db"), "reader")
            puller = Relay(other, RoundupAdapter("bench", tracker.url, "bob", tracker.users["bob"]))
            t0 = time.perf_counter()
            pulled = puller.pull().pulled
            pull_s = time.perf_counter() - t0
            single(f"pull {pulled:,} remote comments", pulled / pull_s, "entries/s", f"({pull_s:.1f} s)")

            offline = IncidentService(Store.open(Path(tmp) / "offline.db"), "bench")
            oref = offline.open_incident("Offline", Impact.DEGRADED, Scope.LT25).ref
            dead = Relay(offline, RoundupAdapter("down", "http://127.0.0.1:9/x/", "alice", "x"))
            times = []
            for i in range(300):
                t0 = time.perf_counter()
                offline.add_entry(oref, f"offline {i}")
                times.append((time.perf_counter() - t0) * 1000)
                if i % 50 == 0:
                    dead.run_once()  # the tracker is unreachable; the breaker opens; writes go on
            report("append entry with the tracker unreachable", times, "ms")
            relay.adapter.close()
            puller.adapter.close()
            dead.adapter.close()
    finally:
        tracker.stop()
