"""Issue #18 against a real Roundup: no change stuck behind a dead token, one order on every cockpit, a login
state that tells the truth, conflicts that name the right people, comment ids that do not depend on the local
name of the tracker, and errors that point at the fix."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope, Severity, Triggers
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger
from cockpit.store.db import Store
from cockpit.sync.relay import Relay
from cockpit.sync.roundup import RoundupAdapter
from tests.conftest import run_cli
from tests.integration.cockpits import Cockpit, roundup_cockpit
from tests.integration.hostile_tracker import HostileTracker
from tests.integration.roundup_server import RoundupTracker


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def issues_with(tracker: RoundupTracker, cockpit_uuid: str) -> list[str]:
    with tracker.client("alice") as client:
        found = client.get("data/issue", params={"cockpit_uuid:": cockpit_uuid}).json()["data"]["collection"]
    return [str(item["id"]) for item in found]


def lose_first_use_of_a_token(adapter: RoundupAdapter) -> list[str]:
    """The laptop sleeps (or the network drops) between taking a Post-Once-Exactly token and using it: the first
    request to a token link never leaves. Returns the links that were lost."""
    lost: list[str] = []

    def hook(request: httpx.Request) -> None:
        if "/@poe/" in request.url.path and not lost:
            lost.append(str(request.url))
            raise httpx.ConnectError("scripted: the network dropped", request=request)

    adapter.client.event_hooks["request"].append(hook)
    return lost


def expire_tokens(tracker: RoundupTracker) -> None:
    """Age every Post-Once-Exactly token in the tracker's own store past its 30 minutes, as time would."""
    with sqlite3.connect(tracker.directory / "db" / "db-otk") as conn:
        changed = conn.execute("UPDATE otks SET otk_time = otk_time - 3600").rowcount
    assert changed >= 1


# --- item 1: no change stuck forever ---------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["by time", "by a new login"])
def test_a_dead_create_token_is_replaced_and_the_incident_sent_exactly_once(how: str, roundup: RoundupTracker,
                                                                            tmp_path: Path) -> None:
    svc = IncidentService(Store.open(tmp_path / "c.db"), "priya")
    ref = svc.open_incident("Token trouble", Impact.DEGRADED, Scope.LT25).ref
    incident_id = svc.get(ref).snapshot.id
    adapter = RoundupAdapter("team", roundup.url, "alice", roundup.users["alice"])
    lost = lose_first_use_of_a_token(adapter)
    first = Relay(svc, adapter).push()
    assert lost and first.pushed == 0 and issues_with(roundup, incident_id) == []
    if how == "by time":
        expire_tokens(roundup)
        relay = Relay(svc, adapter)
    else:  # someone logs in as another user: the token belongs to alice
        relay = Relay(svc, RoundupAdapter("team", roundup.url, "bob", roundup.users["bob"]))
    relay.adapter.in_flight_seconds = 1.0  # type: ignore[attr-defined]  # (3 request timeouts + 5 s by default)
    sent_at = datetime.fromisoformat(str(_op_payload(svc)["_sent_at"]))
    wait_for(lambda: datetime.now(sent_at.tzinfo) > sent_at + timedelta(seconds=1.2))  # no earlier attempt can land
    report = relay.run_once()  # one round: the refused token is dropped, a fresh one taken, the create sent
    assert report.errors == [] and report.pushed == 2, report.errors
    assert len(issues_with(roundup, incident_id)) == 1
    relay.run_once()
    assert len(issues_with(roundup, incident_id)) == 1 and svc.pending_outbox() == 0


def _op_payload(svc: IncidentService) -> dict[str, object]:
    from sqlmodel import col, select

    from cockpit.store.models import OutboxOp

    with svc.store.read() as session:
        op = session.exec(select(OutboxOp).where(OutboxOp.state == "pending").order_by(col(OutboxOp.seq))).first()
    assert op is not None
    return dict(op.payload)


def test_a_refused_token_waits_while_an_earlier_attempt_may_still_land(roundup: RoundupTracker,
                                                                        tmp_path: Path) -> None:
    svc = IncidentService(Store.open(tmp_path / "c.db"), "priya")
    ref = svc.open_incident("Patient", Impact.DEGRADED, Scope.LT25).ref
    adapter = RoundupAdapter("team", roundup.url, "alice", roundup.users["alice"])
    lose_first_use_of_a_token(adapter)
    Relay(svc, adapter).push()
    expire_tokens(roundup)
    adapter.in_flight_seconds = 3600.0  # the earlier attempt could still be on its way
    report = Relay(svc, adapter).run_once()
    assert report.pushed == 0 and issues_with(roundup, svc.get(ref).snapshot.id) == []
    [op, *_] = sorted((o for o in _pending(svc)), key=lambda o: o.seq or 0)
    assert op.payload["_wait"] == "settling" and "may still land" in (op.last_error or "")
    assert op.next_attempt_at is not None and op.next_attempt_at - svc.clock() > timedelta(minutes=50)


def _pending(svc: IncidentService) -> list:
    from sqlmodel import select

    from cockpit.store.models import OutboxOp

    with svc.store.read() as session:
        return list(session.exec(select(OutboxOp).where(OutboxOp.state == "pending")).all())


# --- item 2: one order everywhere ------------------------------------------------------------------------------
def test_two_cockpits_list_the_same_entries_in_the_same_order_and_export_the_same_postmortem(
        hostile_roundup: HostileTracker, shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    a = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup, "priya", "alice")
    b = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup, "marcus", "bob")
    started = a.svc.clock() - timedelta(minutes=12)
    ref = a.svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, Triggers(revenue=True),
                              services=["checkout-api", "pg, primary"], commander="priya", started_at=started).ref
    a.svc.add_entry(ref, "pgbouncer at 160/160")
    a.relay.run_once()
    b.relay.run_once()
    # both write while the other is not looking; B is offline for a while, so its entries arrive late at A
    for i in range(6):
        a.svc.add_entry(ref, f"priya note {i}")
        b.svc.add_entry(ref, f"marcus note {i}", "action" if i == 3 else "note")
        if i == 2:
            a.svc.set_phase(ref, Phase.TRIAGE)
            a.relay.run_once()
    b.svc.override_severity(ref, Severity.SEV1, "every EU checkout fails")
    a.svc.set_phase(ref, Phase.RESPOND)
    a.svc.set_root_cause(ref, "Migration 0142 added a column without an index")
    a.relay.run_once()
    b.relay.run_once()
    a.svc.set_phase(ref, Phase.MITIGATE)
    a.svc.set_phase(ref, Phase.RESOLVE)
    for _ in range(2):
        a.relay.run_once()
        b.relay.run_once()
    a_timeline, b_timeline = a.svc.get(ref).timeline, b.svc.get(ref).timeline
    assert len(a_timeline) >= 20
    assert [e.id for e in a_timeline] == [e.id for e in b_timeline]  # position by position, not as sets
    assert [(e.at, e.author, e.kind, e.text) for e in a_timeline] == [(e.at, e.author, e.kind, e.text)
                                                                      for e in b_timeline]
    assert [e.at for e in a_timeline] == sorted(e.at for e in a_timeline)  # shown times never go backwards
    assert any(e.arrived_late_at for e in a_timeline)  # marcus's offline notes reached priya late, and say so
    shown = a.cli("incident", "show", ref).stdout
    assert "(arrived late," in shown
    exports = [c.cli("postmortem", ref, "--full").stdout for c in (a, b)]
    assert exports[0] == exports[1], "\n".join(exports)
    assert "checkout-api" in exports[0] and "Migration 0142" in exports[0]


# --- item 3: the login state tells the truth -------------------------------------------------------------------
def test_login_needed_clears_on_a_good_pull_and_tracker_list_says_refused(hostile_roundup: HostileTracker,
                                                                          shared_roundup: RoundupTracker,
                                                                          tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Nothing queued later", Impact.DEGRADED, Scope.LT25)
    assert cockpit.cli("sync", "--once").returncode == 0  # the queue is empty from here on
    wrong = {**cockpit.env, "COCKPIT_TRACKER_TOKEN_TEAM": "alice:not-her-password"}
    assert run_cli("sync", "--once", db=cockpit.db, env=wrong).returncode == 7
    assert cockpit.status()["summary"] == "login needed"
    listed = json.loads(run_cli("tracker", "list", "--json", db=cockpit.db, env=wrong).stdout)
    assert listed[0]["login"] == "refused"  # a secret is there, and the tracker said no to it
    fixed = cockpit.cli("sync", "--once")  # the right password again, nothing to push: a good pull is enough
    assert fixed.returncode == 0
    status = cockpit.status()
    assert status["summary"] == "synced" and status["last_error"] is None
    assert json.loads(cockpit.cli("tracker", "list", "--json").stdout)[0]["login"] == "logged in"


def test_a_login_the_tracker_accepts_clears_login_needed(hostile_roundup: HostileTracker,
                                                         shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Fixed by login", Impact.DEGRADED, Scope.LT25)
    keyring = {"XDG_DATA_HOME": str(tmp_path / "keyring"),
               "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    env = {k: v for k, v in cockpit.env.items() if k != "COCKPIT_TRACKER_TOKEN_TEAM"} | keyring
    run_cli("tracker", "login", "team", "--no-check", "--allow-plaintext-keyring", db=cockpit.db, env=env,
            input_text="alice:wrong\n")
    assert run_cli("sync", "--once", db=cockpit.db, env=env).returncode == 7
    login = run_cli("tracker", "login", "team", "--allow-plaintext-keyring", db=cockpit.db, env=env,
                    input_text=f"alice:{shared_roundup.users['alice']}\n")
    assert login.returncode == 0 and "accepted it" in login.stdout, login.stderr
    status = json.loads(run_cli("sync", "status", "--json", db=cockpit.db, env=env).stdout)[0]
    assert status["summary"] != "login needed" and status["login_needed"] is False


# --- item 4: conflicts name the right people -------------------------------------------------------------------
def test_a_cockpit_that_only_heard_of_a_conflict_names_both_parties_and_their_times(
        hostile_roundup: HostileTracker, shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    a = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup, "priya", "alice")
    b = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup, "marcus", "bob")
    c = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup, "lena", "alice")
    ref = a.svc.open_incident("Three cockpits", Impact.CORE_DOWN, Scope.LT25).ref  # SEV2
    a.relay.run_once()
    b.relay.run_once()
    a.svc.override_severity(ref, Severity.SEV1, "everyone")
    a.relay.run_once()
    time.sleep(1.1)  # the tracker stamps in whole seconds: marcus decides a second later
    b.svc.override_severity(ref, Severity.SEV4, "nobody")
    a_at = [e.at for e in a.svc.get(ref).timeline if e.kind == "severity"][-1]
    b_at = [e.at for e in b.svc.get(ref).timeline if e.kind == "severity"][-1]
    b.relay.run_once()  # marcus's cockpit decides: both changed, his is later
    c.relay.run_once()  # lena's cockpit was no party to it
    [decided] = Merger(b.svc, "team").conflicts()
    [heard] = Merger(c.svc, "team").conflicts()
    for conflict in (decided, heard):
        assert {conflict.local_author, conflict.remote_author} == {"priya", "marcus"}
        assert conflict.sentence.endswith("kept SEV4") and "you set" not in conflict.sentence
    assert "marcus set SEV4" in heard.sentence and "priya set SEV1" in heard.sentence
    times = {heard.local_value: heard.local_at, heard.remote_value: heard.remote_at}
    assert times["SEV4"] is not None and abs(times["SEV4"] - b_at) < timedelta(seconds=1)  # when he decided
    assert times["SEV1"] is not None and abs(times["SEV1"] - a_at) < timedelta(seconds=1)  # when she did
    restored = c.cli("sync", "restore", heard.id[:8])
    assert restored.returncode == 0 and "set back to SEV1" in restored.stdout  # the value that lost, not "yours"


# --- item 5: comment ids from the tracker's identity -----------------------------------------------------------
def comment_in_tracker(tracker: RoundupTracker, issue_id: str, text: str) -> str:
    with tracker.client("bob") as client:
        msg = client.post("data/msg", json={"content": text, "author": "bob"}).json()["data"]["id"]
        etag = client.get(f"data/issue/{issue_id}").headers["ETag"]
        assert client.patch(f"data/issue/{issue_id}", headers={"If-Match": etag},
                            json={"@op": "add", "messages": [msg]}).status_code == 200
    return str(msg)


def test_a_comment_written_in_the_tracker_has_one_id_whatever_the_tracker_is_called(
        hostile_roundup: HostileTracker, shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    a = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup, "priya", "alice", tracker_name="team")
    b = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup, "marcus", "bob", tracker_name="ops")
    ref = a.svc.open_incident("Named twice", Impact.DEGRADED, Scope.LT25).ref
    a.relay.run_once()
    [issue] = sorted(hostile_roundup.issues)
    comment_in_tracker(shared_roundup, issue, "written on the web")
    a.relay.run_once()
    b.relay.run_once()
    a_ids = [e.id for e in a.svc.get(ref).timeline if e.text == "written on the web"]
    b_ids = [e.id for e in b.svc.get(ref).timeline if e.text == "written on the web"]
    assert len(a_ids) == 1 and a_ids == b_ids

    # the tracker is removed and added again under another name: the next pull brings no second copy
    renamed = Relay(a.svc, RoundupAdapter("team2", f"{hostile_roundup.origin}/{shared_roundup.name}/", "alice",
                                          shared_roundup.users["alice"]))
    renamed.run_once()
    assert [e.text for e in a.svc.get(ref).timeline].count("written on the web") == 1


def test_the_migration_gives_old_comment_ids_their_identity_and_drops_copies(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.domain.ids import remote_entry_id, tracker_identity
    from cockpit.store.db import upgrade
    from cockpit.sync.settings import Tracker, save_trackers

    url = "https://tracker.example.com/ops/"
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    save_trackers([Tracker("team", "roundup", url), Tracker("team2", "roundup", url)])
    db = tmp_path / "old.db"
    from sqlalchemy import create_engine

    raw = create_engine(f"sqlite:///{db}")  # a database as release 0005 left it
    with raw.connect() as connection:
        upgrade(connection, "0005")
        connection.commit()

    def legacy(name: str, remote: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cockpit:{name}:{remote}"))

    incident = "01900000-0000-7000-8000-000000000001"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO incident (id, ref_key, title, services, impact, scope, triggers, severity, "
                     "severity_reason, severity_overridden, phase, declared_by, declared_at, updated_at, root_cause) "
                     "VALUES (?, 'ABCDEFGH', 't', '[]', 'degraded', 'lt25', '{}', 3, 'r', 0, 'DETECT', 'x', "
                     "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', '')", (incident,))
        rows = [(legacy("team", "17"), "team", "17", "from the web"), (legacy("team2", "17"), "team2", "17",
                                                                       "from the web"),
                (legacy("team", "18"), "team", "18", "another")]
        for hlc, (entry_id, origin, remote, text) in enumerate(rows, start=1):
            conn.execute("INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin) "
                         "VALUES (?, ?, ?, '2026-01-01T00:00:00.000000Z', 'note', 'bob', ?, ?, ?)",
                         (entry_id, incident, hlc, text, json.dumps({"remote_id": remote}), origin))
            conn.execute("INSERT INTO remote_link (tracker, local_id, kind, remote_id) VALUES (?, ?, 'entry', ?)",
                         (origin, entry_id, remote))
    Store.open(db).close()
    identity = tracker_identity("roundup", url)
    with sqlite3.connect(db) as conn:
        ids = sorted(row[0] for row in conn.execute("SELECT id FROM timeline_entry"))
        trigger = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger' "
                               "AND tbl_name='timeline_entry'").fetchone()[0]
    assert ids == sorted([remote_entry_id(identity, "17"), remote_entry_id(identity, "18")])  # one copy each
    assert trigger == 2  # the append-only triggers are back
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), sqlite3.connect(db) as conn:
        conn.execute("UPDATE timeline_entry SET text = 'x'")


# --- item 6: errors that point at the fix ----------------------------------------------------------------------
def test_an_answer_from_the_tracker_ends_the_backoff_and_status_says_what_it_waits_for(
        hostile_roundup: HostileTracker, shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    cockpit: Cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Backoff", Impact.DEGRADED, Scope.LT25)
    hostile_roundup.on("POST", r"/@poe$", times=1, answer=lambda call: HostileTracker.json_answer(
        503, {"error": {"status": 503, "msg": "maintenance"}}, {"Retry-After": "120"}))
    assert cockpit.relay.push().pushed == 0
    waiting = cockpit.status()["waiting_for"]
    assert "a retry at" in waiting and "503 maintenance" in waiting, waiting
    report = cockpit.relay.run_once()  # the tracker answers the pull: the waiting changes go now, not in 2 minutes
    assert report.pushed == 2 and report.errors == []
    assert cockpit.status()["summary"] == "synced"
    # a rate limit is another matter: its wait is honoured even while other requests go through
    ref = cockpit.svc.list_incidents()[0].ref
    cockpit.svc.add_entry(ref, "after the limit")
    hostile_roundup.on("POST", r"/@poe$", times=1, answer=lambda call: HostileTracker.json_answer(
        429, {"error": {"status": 429, "msg": "slow down"}}, {"Retry-After": "120"}))
    assert cockpit.relay.push().pushed == 0
    assert cockpit.relay.run_once().pushed == 0
    assert "rate limit" in cockpit.status()["waiting_for"]
