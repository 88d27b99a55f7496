"""Sync figures against a real local Redmine (Debian's package): pushing 1,000 queued entries through the relay,
and a bare httpx loop making the same calls (a note, then the issue's journals read back for its id) in the same
run. The entries are spread over 20 incidents of 50, so the journals read back grow alike in both."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.common import single, timed_push

INCIDENTS = 20


def main(quick: bool = False) -> None:
    from cockpit.domain.severity import Impact, Scope
    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store
    from cockpit.sync.redmine import RedmineAdapter
    from cockpit.sync.relay import Relay
    from tests.integration.redmine_server import PROJECT, RedmineError, start_redmine

    count = 200 if quick else 1000
    per = count // INCIDENTS
    try:
        server = start_redmine()
    except RedmineError as exc:
        print(f"redmine benchmarks skipped: {exc}")
        return
    key = server.keys["alice"]
    options = {"tracker": "Incident", "severity_field": "Severity", "phase_field": "Phase"}
    try:
        with tempfile.TemporaryDirectory(prefix="cockpit-bench-redmine-") as tmp:
            svc = IncidentService(Store.open(Path(tmp) / "push.db"), "bench")
            refs = [svc.open_incident(f"Push benchmark {i}", Impact.DEGRADED, Scope.LT25).ref
                    for i in range(INCIDENTS)]
            relay = Relay(svc, RedmineAdapter("bench", server.url, PROJECT, key, options))
            relay.push()  # the incidents themselves
            for i in range(per):
                for ref in refs:
                    svc.add_entry(ref, f"queued entry {i}")
            push_s = timed_push(relay, count, "Redmine")

            # the same calls in a bare httpx loop, on as many fresh issues: PUT a note, GET the journals
            client = httpx.Client(base_url=server.url, headers={"X-Redmine-API-Key": key}, timeout=60)
            issues = [client.post("issues.json", json={"issue": {
                "project_id": PROJECT, "tracker_id": server.tracker_id, "subject": f"bare {i}",
                "description": "bare loop"}}).json()["issue"]["id"] for i in range(INCIDENTS)]
            t0 = time.perf_counter()
            for i in range(per):
                for issue in issues:
                    client.put(f"issues/{issue}.json", json={"issue": {"notes": f"bare {i}"}}).raise_for_status()
                    client.get(f"issues/{issue}.json", params={"include": "journals"}).raise_for_status()
            bare_s = time.perf_counter() - t0
            client.close()
            relay.adapter.close()
            single("  bare httpx loop, same calls", count / bare_s, "entries/s", f"({bare_s:.1f} s)")
            single("  cockpit push / bare loop (time ratio)", push_s / bare_s, "x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
