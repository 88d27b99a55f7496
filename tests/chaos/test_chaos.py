"""Chaos: faults between the cockpit and a real tracker (Roundup, Redmine) while the sync process is killed with
SIGKILL at random.

Rounds are of two types. A network round injects refusals, 503s, 429s, dropped requests, dropped answers and
delays past the client's timeout. A hostile round garbles records in the tracker's listings (no id, impossible
times, bad UUIDs, wrong JSON types) and answers uses of Post-Once-Exactly links as expired tokens; the first
hostile round also writes records into the tracker that stay bad for good.

Afterwards the tracker holds every entry exactly once, nothing is lost locally, no outbox row is stuck, and the
records that stayed bad are parked with their reasons and shown by ``cockpit sync status`` (after one
``cockpit sync retry --all``, which releases what was only garbled on the way and reads everything again).
A short seeded run is part of the suite; ``COCKPIT_CHAOS_ROUNDS=60`` runs a longer one.

Redmine has no Post-Once-Exactly links and answers in its own shapes, so its run has network rounds only (the
relay's settle window and find-before-create are what is under test there) and one issue written bad into it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.sync.adapter import TrackerAdapter
from cockpit.sync.entry_text import ENTRY_MARKER
from cockpit.sync.redmine import RedmineAdapter
from cockpit.sync.roundup import RoundupAdapter
from tests.chaos.fault_proxy import FAULTS, MORE_FAULTS, FaultProxy
from tests.conftest import ROOT
from tests.integration.cockpits import REDMINE_OPTIONS
from tests.integration.redmine_server import RedmineServer
from tests.integration.roundup_server import RoundupTracker

ROUNDS = int(os.environ.get("COCKPIT_CHAOS_ROUNDS", "12"))
SEED = int(os.environ.get("COCKPIT_CHAOS_SEED", "20261122"))


def seed_bad_issue(tracker: RoundupTracker) -> None:
    """An issue that is bad in the tracker itself: its cockpit id is not a UUID."""
    with tracker.client("bob") as client:
        assert client.post("data/issue", json={"title": "Typed by hand", "cockpit_uuid": "not-a-uuid",
                                               "severity": "SEV2"}).status_code == 201


def seed_bad_message(tracker: RoundupTracker, issue_id: str) -> None:
    """A message on one of our incidents whose entry id is not a UUID."""
    with tracker.client("bob") as client:
        msg = client.post("data/msg", json={"content": "garbled id", "author": "bob",
                                            "cockpit_uuid": "bad-entry-id"}).json()["data"]["id"]
        etag = client.get(f"data/issue/{issue_id}").headers["ETag"]
        assert client.patch(f"data/issue/{issue_id}", headers={"If-Match": etag},
                            json={"@op": "add", "messages": [msg]}).status_code == 200


def parked_now(db: Path) -> int:
    with Store.open(db).engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM parked_record").scalar() or 0)


@dataclass
class Chaotic:
    """A real tracker under chaos: where the proxy forwards to, how the cockpit is told about it, and what the
    tracker holds afterwards (each entry id's count on an issue; how many issues carry an incident's id)."""

    origin: str
    settings: Callable[[str], list[str]]  # the proxy's origin -> `tracker add team` arguments
    secret: str
    checker: TrackerAdapter
    seed_bad_issue: Callable[[], None]
    seed_bad_message: Callable[[str], None] | None  # None: the tracker has no message field to write bad
    entry_counts: Callable[[str], Counter[str]]
    copies: Callable[[str], int]
    hostile: bool  # rounds that garble Roundup's listings and expire its Post-Once-Exactly tokens
    parked: int  # records that stay bad for good (and are shown parked at the end)
    round_seconds: tuple[float, float] = (0.3, 2.5)  # how long a sync process lives before its SIGKILL


def chaotic_roundup(tracker: RoundupTracker) -> Chaotic:
    def entry_counts(remote: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        with tracker.client("alice") as client:
            issue = client.get(f"data/issue/{remote}").json()["data"]["attributes"]
            for link in issue["messages"]:
                msg = client.get(f"data/msg/{link['id']}", params={"@fields": "cockpit_uuid"}).json()["data"]
                counts[msg["attributes"]["cockpit_uuid"]] += 1
        counts.pop("bad-entry-id", None)  # the record written bad into the tracker on purpose
        return counts

    def copies(uuid: str) -> int:
        with tracker.client("alice") as client:
            return int(client.get("data/issue", params={"cockpit_uuid:": uuid}).json()["data"]["@total_size"])

    return Chaotic(tracker.origin, lambda origin: ["--kind", "roundup", "--url", f"{origin}/{tracker.name}/"],
                   f"alice:{tracker.users['alice']}", RoundupAdapter("check", tracker.url, "alice",
                                                                     tracker.users["alice"]),
                   lambda: seed_bad_issue(tracker), lambda issue: seed_bad_message(tracker, issue), entry_counts,
                   copies, hostile=True, parked=2)


def chaotic_redmine(server: RedmineServer) -> Chaotic:
    project = server.new_project()  # the session's Redmine: the test's own project, so the pulls see only it

    def seed_bad() -> None:
        with server.client("bob") as client:
            assert client.post("issues.json", json={"issue": {
                "project_id": project, "tracker_id": server.tracker_id, "subject": "Typed by hand",
                "description": '<!-- cockpit-incident {"id": "not-a-uuid"} -->\nhand-made'}}).status_code == 201

    def entry_counts(remote: str) -> Counter[str]:
        return Counter(match["id"] for journal in server.journals(remote)
                       if (match := ENTRY_MARKER.match(str(journal.get("notes") or ""))))

    def copies(uuid: str) -> int:
        with server.client() as client:
            found = client.get("issues.json", params={"project_id": project, "status_id": "*",
                                                      "description": f"~{uuid}"}).json()
        return int(found["total_count"])

    options = [arg for key, value in REDMINE_OPTIONS.items() for arg in ("--option", f"{key}={value}")]
    return Chaotic(server.origin, lambda origin: ["--kind", "redmine", "--url", origin + "/", "--project", project,
                                                  *options],
                   server.keys["alice"], RedmineAdapter("check", server.url, project, server.keys["alice"],
                                                        REDMINE_OPTIONS),
                   seed_bad, None, entry_counts, copies, hostile=False, parked=1,
                   round_seconds=(2.0, 5.0))  # every note is a write and a read back: rounds long enough to send


@pytest.fixture(params=["roundup", "redmine"])
def chaotic(request: pytest.FixtureRequest) -> Iterator[Chaotic]:
    if request.param == "roundup":
        made = chaotic_roundup(request.getfixturevalue("roundup"))
    else:
        made = chaotic_redmine(request.getfixturevalue("redmine"))
    yield made
    made.checker.close()


def test_faults_and_kill_9_lose_and_duplicate_nothing(chaotic: Chaotic, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    proxy = FaultProxy(chaotic.origin, seed=SEED, fault_rate=0.3, delay_s=1.5)
    db = tmp_path / "chaos.db"
    config = tmp_path / "config.yaml"
    env = {**os.environ, "COCKPIT_CONFIG": str(config), "COCKPIT_DB": str(db),
           "COCKPIT_TRACKER_TOKEN_TEAM": chaotic.secret, "COCKPIT_SYNC_TIMEOUT": "1"}
    subprocess.run([sys.executable, "-m", "cockpit", "tracker", "add", "team", *chaotic.settings(proxy.origin)],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    svc = IncidentService(Store.open(db), "chaos")
    refs = [svc.open_incident(f"Chaos incident {i}", Impact.DEGRADED, Scope.LT25).ref for i in range(2)]
    checker = chaotic.checker
    written = 0
    kills = 0
    bad_issue = bad_message = False
    hostile_rounds = 0
    parked_seen = 0
    try:
        for round_no in range(ROUNDS):
            hostile = chaotic.hostile and round_no % 3 == 2
            proxy.faults = MORE_FAULTS if hostile else FAULTS
            proxy.fault_rate = 0.6 if hostile else 0.3  # hostile faults hit only listings and token uses
            if hostile and not bad_issue:
                chaotic.seed_bad_issue()
                bad_issue = True
            if hostile and not bad_message and chaotic.seed_bad_message is not None:
                issue_id = checker.find_incident(svc.get(refs[0]).snapshot.id)
                if issue_id is not None:
                    chaotic.seed_bad_message(issue_id)
                    bad_message = True
            hostile_rounds += hostile
            for _ in range(rng.randint(2, 6)):
                svc.add_entry(rng.choice(refs), f"round {round_no} entry {written}")
                written += 1
            proc = subprocess.Popen([sys.executable, "-m", "cockpit", "sync", "--interval", "0.2"], env=env,
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # hostile rounds last past start-up
            time.sleep(rng.uniform(1.5, 3.5) if hostile else rng.uniform(*chaotic.round_seconds))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            parked_seen += parked_now(db) > 0
            if os.environ.get("CHAOS_DEBUG"):
                print(round_no, hostile, dict(proxy.counts))
        proxy.enabled = False  # the network heals: sync until the queue is empty
        if not bad_issue:
            chaotic.seed_bad_issue()
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
        if not bad_message and chaotic.seed_bad_message is not None:  # on a slow machine the hostile rounds
            issue_id = checker.find_incident(svc.get(refs[0]).snapshot.id)  # may have come before our incident
            assert issue_id is not None
            chaotic.seed_bad_message(issue_id)
        # a person looks at what is parked and asks for everything to be read again
        retry = subprocess.run([sys.executable, "-m", "cockpit", "sync", "retry", "--all"], env=env, cwd=ROOT,
                               capture_output=True, text=True)
        assert retry.returncode == 0, retry.stderr
        again = subprocess.run([sys.executable, "-m", "cockpit", "sync", "--once"], env=env, cwd=ROOT,
                               capture_output=True, text=True)
        assert again.returncode == 0, again.stdout + again.stderr
        status = json.loads(subprocess.run([sys.executable, "-m", "cockpit", "sync", "status", "--json"], env=env,
                                           cwd=ROOT, capture_output=True, text=True).stdout)[0]
    finally:
        proxy.close()

    parked = {(p["what"], p["reason"]) for p in status["parked_records"]}
    assert len(parked) == chaotic.parked, parked  # what stayed bad is parked and shown, nothing else
    assert all("not a UUID" in reason for _, reason in parked)
    assert status["summary"].endswith(f"{chaotic.parked} parked")
    local_ids: Counter[str] = Counter()
    remote_ids: Counter[str] = Counter()
    for ref in refs:
        detail = svc.get(ref)
        local_ids.update(e.id for e in detail.timeline)
        remote = checker.find_incident(detail.snapshot.id)
        assert remote is not None
        remote_ids.update(chaotic.entry_counts(remote))
        assert chaotic.copies(detail.snapshot.id) == 1  # the incident itself exactly once
    assert sum(local_ids.values()) == written + 2  # nothing lost locally (the entries plus two declarations)
    duplicated = [i for i, n in remote_ids.items() if n > 1]
    lost = set(local_ids) - set(remote_ids)
    faults = {k: v for k, v in proxy.counts.items() if k != "pass"}
    kind = type(checker).__name__.removesuffix("Adapter")
    print(f"chaos ({kind}): rounds {ROUNDS} ({hostile_rounds} hostile), kills {kills}, faults {sum(faults.values())} "
          f"{dict(sorted(faults.items()))}, garbled {dict(proxy.garbled)}, rounds ending with records parked "
          f"{parked_seen}, entries {written + 2}, lost {len(lost)}, duplicated {len(duplicated)}, "
          f"parked at the end {len(parked)}")
    assert not duplicated and not lost
