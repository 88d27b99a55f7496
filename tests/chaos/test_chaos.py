"""Chaos: faults between the cockpit and Roundup while the sync process is killed with SIGKILL at random.

Afterwards the tracker holds every entry exactly once, nothing is lost locally, and no outbox row is stuck.
A short seeded run is part of the suite; ``COCKPIT_CHAOS_ROUNDS=200`` runs a longer one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.sync.roundup import RoundupAdapter
from tests.chaos.fault_proxy import FaultProxy
from tests.conftest import ROOT
from tests.integration.roundup_server import RoundupTracker

ROUNDS = int(os.environ.get("COCKPIT_CHAOS_ROUNDS", "12"))
SEED = int(os.environ.get("COCKPIT_CHAOS_SEED", "20261122"))


def test_faults_and_kill_9_lose_and_duplicate_nothing(roundup: RoundupTracker, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    proxy = FaultProxy(roundup.origin, seed=SEED, fault_rate=0.3, delay_s=1.5)
    db = tmp_path / "chaos.db"
    config = tmp_path / "config.yaml"
    env = {**os.environ, "COCKPIT_CONFIG": str(config), "COCKPIT_DB": str(db),
           "COCKPIT_TRACKER_TOKEN_TEAM": f"alice:{roundup.users['alice']}", "COCKPIT_SYNC_TIMEOUT": "1"}
    tracker_url = f"{proxy.origin}/{roundup.name}/"
    subprocess.run([sys.executable, "-m", "cockpit", "tracker", "add", "team", "--kind", "roundup", "--url",
                    tracker_url], env=env, cwd=ROOT, check=True, capture_output=True)
    svc = IncidentService(Store.open(db), "chaos")
    refs = [svc.open_incident(f"Chaos incident {i}", Impact.DEGRADED, Scope.LT25).ref for i in range(2)]
    written = 0
    kills = 0
    try:
        for round_no in range(ROUNDS):
            for _ in range(rng.randint(2, 6)):
                svc.add_entry(rng.choice(refs), f"round {round_no} entry {written}")
                written += 1
            proc = subprocess.Popen([sys.executable, "-m", "cockpit", "sync", "--interval", "0.2"], env=env,
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.3, 2.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        proxy.enabled = False  # the network heals: sync until the queue is empty
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = subprocess.run([sys.executable, "-m", "cockpit", "sync", "--once"], env=env, cwd=ROOT,
                                  capture_output=True, text=True)
            with Store.open(db).engine.connect() as conn:
                left = conn.exec_driver_sql("SELECT count(*) FROM outbox_op WHERE state != 'sent'").scalar()
            if left == 0:
                break
            # retries wait out their backoff; pending rows due later are fine, keep going
            time.sleep(0.5)
        assert left == 0, f"outbox rows stuck: {left}; last sync said {done.stdout} {done.stderr}"
    finally:
        proxy.close()

    adapter = RoundupAdapter("check", roundup.url, "alice", roundup.users["alice"])
    local_ids: Counter[str] = Counter()
    remote_ids: Counter[str] = Counter()
    for ref in refs:
        detail = svc.get(ref)
        local_ids.update(e.id for e in detail.timeline)
        remote = adapter.find_incident(detail.snapshot.id)
        assert remote is not None
        with roundup.client("alice") as client:
            issue = client.get(f"data/issue/{remote}").json()["data"]["attributes"]
            for link in issue["messages"]:
                msg = client.get(f"data/msg/{link['id']}", params={"@fields": "cockpit_uuid"}).json()["data"]
                remote_ids[msg["attributes"]["cockpit_uuid"]] += 1
        with roundup.client("alice") as client:
            found = client.get("data/issue", params={"cockpit_uuid:": detail.snapshot.id}).json()["data"]
        assert found["@total_size"] == 1  # the incident itself exactly once
    adapter.close()
    assert sum(local_ids.values()) == written + 2  # nothing lost locally (the entries plus two declarations)
    duplicated = [i for i, n in remote_ids.items() if n > 1]
    lost = set(local_ids) - set(remote_ids)
    print(f"chaos: rounds {ROUNDS}, kills {kills}, faults {dict(proxy.counts)}, entries {written + 2}, "
          f"lost {len(lost)}, duplicated {len(duplicated)}")
    assert not duplicated and not lost
