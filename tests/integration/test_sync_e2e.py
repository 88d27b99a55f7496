"""Two cockpits and a real tracker (Roundup, Redmine): one works offline for a while; afterwards all three agree."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope, Severity
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger
from cockpit.store.db import Store
from cockpit.sync.entry_text import ENTRY_MARKER
from cockpit.sync.marked import incident_marker
from cockpit.sync.relay import Relay
from cockpit.sync.roundup import RoundupAdapter
from tests.conftest import run_cli
from tests.integration.cockpits import redmine_cockpit
from tests.integration.redmine_server import RedmineServer
from tests.integration.roundup_server import RoundupTracker


def cockpit(tmp_path: Path, name: str, tracker: RoundupTracker, user: str) -> tuple[IncidentService, Relay]:
    svc = IncidentService(Store.open(tmp_path / f"{name}.db"), name)
    return svc, Relay(svc, RoundupAdapter("team", tracker.url, user, tracker.users[user]))


def tracker_messages(tracker: RoundupTracker, issue_id: str) -> list[str]:
    with tracker.client("alice") as client:
        issue = client.get(f"data/issue/{issue_id}").json()["data"]["attributes"]
        uuids = []
        for link in issue["messages"]:
            msg = client.get(f"data/msg/{link['id']}", params={"@fields": "cockpit_uuid"}).json()["data"]
            uuids.append(msg["attributes"]["cockpit_uuid"])
        return uuids


@dataclass
class Backend:
    """A real tracker the convergence test runs against: how a cockpit syncs with it as a user, and what it
    holds (the entry ids on an issue; its severity, phase and roles)."""

    cockpit: Callable[[Path, str, str], tuple[IncidentService, Relay]]
    entry_ids: Callable[[str], list[str]]
    fields: Callable[[str], dict[str, str]]


def roundup_backend(server: RoundupTracker) -> Backend:
    def fields(remote_id: str) -> dict[str, str]:
        with server.client("alice") as client:
            return dict(client.get(f"data/issue/{remote_id}").json()["data"]["attributes"])

    return Backend(lambda path, name, user: cockpit(path, name, server, user),
                   lambda remote_id: tracker_messages(server, remote_id), fields)


def redmine_backend(server: RedmineServer) -> Backend:
    project = server.new_project()  # the session's Redmine: a project of the test's own, so a pull sees only it

    def make(path: Path, name: str, user: str) -> tuple[IncidentService, Relay]:
        made = redmine_cockpit(path, server, name, user, project=project)
        return made.svc, made.relay

    def entry_ids(remote_id: str) -> list[str]:
        return [match["id"] for journal in server.journals(remote_id)
                if (match := ENTRY_MARKER.match(str(journal.get("notes") or "")))]

    def fields(remote_id: str) -> dict[str, str]:
        with server.client() as client:
            issue = client.get(f"issues/{remote_id}.json").json()["issue"]
        custom = {f["name"].lower(): f["value"] for f in issue["custom_fields"]}
        return {**custom, "roles": incident_marker(issue["description"])["roles"]}

    return Backend(make, entry_ids, fields)


@pytest.fixture(params=["roundup", "redmine"])
def tracker(request: pytest.FixtureRequest) -> Backend:
    """Each real tracker in turn: a fresh Roundup, or the session's Redmine (the test's incident is its own)."""
    if request.param == "roundup":
        return roundup_backend(request.getfixturevalue("roundup"))
    return redmine_backend(request.getfixturevalue("redmine"))


def test_two_cockpits_one_offline_end_up_identical(tracker: Backend, tmp_path: Path) -> None:
    a_svc, a = tracker.cockpit(tmp_path, "priya", "alice")
    b_svc, b = tracker.cockpit(tmp_path, "marcus", "bob")

    ref = a_svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref  # SEV2
    a_svc.add_entry(ref, "pgbouncer at 160/160", "note")
    assert a.run_once().pushed == 5  # create, declared, IC assigned (entry and roles field), note
    assert b.run_once().pulled == 3  # marcus's cockpit imports the incident and its entries
    assert b_svc.get(ref).snapshot.title == "Checkout 500s"

    # marcus goes offline: his writes queue up locally
    online = b.adapter.client.base_url  # type: ignore[attr-defined]
    b.adapter.client.base_url = httpx.URL("http://127.0.0.1:9/cockpit/rest/data/")  # type: ignore[attr-defined]
    b_svc.add_entry(ref, "Rolled back v2.14.2 (offline)", "action")
    offline = b.run_once()
    assert offline.pushed == 0 and offline.errors
    # meanwhile priya raises it to SEV1 and moves on
    a_svc.override_severity(ref, Severity.SEV1, "All EU checkouts failing")
    a_svc.set_phase(ref, Phase.TRIAGE)
    a_svc.add_entry(ref, "Status: EU checkout down", "status")
    a.run_once()
    # ...and marcus, still offline, lowers it to SEV3 later than priya's change. The tracker stamps changes in
    # whole seconds (a tie goes to the tracker's value), so "later" has to be at least a second later here.
    import time

    time.sleep(1.1)
    b_svc.override_severity(ref, Severity.SEV3, "Only one region")
    b_svc.add_entry(ref, "Second offline note", "note")
    from cockpit.domain.roles import Role

    b_svc.assign_role(ref, Role.SCRIBE, "lena")

    # marcus comes back
    b.adapter.client.base_url = online  # type: ignore[attr-defined]
    back = b.run_once()
    assert back.errors == [] and back.pushed >= 3
    a.run_once()
    b.run_once()

    a_detail, b_detail = a_svc.get(ref), b_svc.get(ref)
    a_ids = [e.id for e in a_detail.timeline]
    b_ids = [e.id for e in b_detail.timeline]
    assert a_ids == b_ids and len(set(a_ids)) == len(a_ids)  # every entry, exactly once, in the same order
    remote_id = a.adapter.find_incident(a_detail.snapshot.id)
    assert remote_id is not None
    on_tracker = tracker.entry_ids(remote_id)
    assert sorted(on_tracker) == sorted(a_ids) and len(set(on_tracker)) == len(on_tracker)
    # the same severity and phase everywhere; the later change (marcus's SEV3) won
    assert a_detail.snapshot.severity is b_detail.snapshot.severity is Severity.SEV3
    assert a_detail.snapshot.phase is b_detail.snapshot.phase is Phase.TRIAGE
    fields = tracker.fields(remote_id)
    assert fields["severity"] == "SEV3" and fields["phase"] == "TRIAGE"
    # the same roles: priya's IC came with the import; marcus named a scribe while offline
    assert a_detail.snapshot.commander == b_detail.snapshot.commander == "priya"
    from cockpit.domain.roles import Role

    assert a_detail.snapshot.holders(Role.SCRIBE) == b_detail.snapshot.holders(Role.SCRIBE) == ["lena"]
    assert fields["roles"] == "ic: priya; scribe: lena"
    # the concurrent severity change is in both conflict logs
    for svc in (a_svc, b_svc):
        conflicts = Merger(svc, a.adapter.name).conflicts()
        assert [c.field for c in conflicts] == ["severity"], svc.author
        assert "SEV1" in conflicts[0].sentence and "SEV3" in conflicts[0].sentence
        assert conflicts[0].sentence.endswith("kept SEV3")
    # each names the other responder (from the entry their cockpit wrote), not the tracker account
    assert "marcus set SEV3" in Merger(a_svc, a.adapter.name).conflicts()[0].sentence
    assert "priya set SEV1" in Merger(b_svc, a.adapter.name).conflicts()[0].sentence


def test_sync_status_and_the_secret_never_written(roundup: RoundupTracker, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    db = tmp_path / "c.db"
    env = {"COCKPIT_CONFIG": str(config), "COCKPIT_TRACKER_TOKEN_TEAM": f"alice:{roundup.users['alice']}"}
    assert run_cli("tracker", "add", "team", "--kind", "roundup", "--url", roundup.url, env=env, db=db).returncode == 0
    ref = run_cli("incident", "open", "Disk full", "--impact", "degraded", "--scope", "lt25", env=env,
                  db=db).stdout.splitlines()[-1]
    status = json.loads(run_cli("sync", "status", "--json", env=env, db=db).stdout)
    assert status[0]["queued"] == 2 and status[0]["summary"].startswith("2 queued")
    once = run_cli("sync", "--once", env=env, db=db)
    assert once.returncode == 0 and "pushed 2" in once.stdout, once.stderr
    status = json.loads(run_cli("sync", "status", "--json", env=env, db=db).stdout)
    assert status[0]["summary"] == "synced" and status[0]["queued"] == 0 and status[0]["last_push_at"]
    assert run_cli("incident", "show", ref, env=env, db=db).returncode == 0
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert roundup.users["alice"].encode() not in path.read_bytes(), path


def test_a_wrong_password_and_a_url_that_is_not_a_tracker(roundup: RoundupTracker, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    db = tmp_path / "c.db"
    env = {"COCKPIT_CONFIG": str(config), "COCKPIT_TRACKER_TOKEN_TEAM": "bob:wrong-password"}
    run_cli("tracker", "add", "team", "--kind", "roundup", "--url", roundup.url, env=env, db=db)
    run_cli("incident", "open", "x", "--impact", "cosmetic", "--scope", "all", env=env, db=db)
    bad = run_cli("sync", "--once", env=env, db=db)
    # exit 7, as the README says for "a tracker login is needed"
    assert bad.returncode == 7 and "login refused (401)" in bad.stdout and "Traceback" not in bad.stderr
    status = json.loads(run_cli("sync", "status", "--json", env=env, db=db).stdout)
    assert status[0]["summary"] == "login needed" and status[0]["queued"] == 2  # nothing lost
    assert "a login that works" in status[0]["waiting_for"]
    run_cli("tracker", "add", "team", "--kind", "roundup", "--url", roundup.origin + "/not-a-tracker/", env=env,
            db=db)
    good = {**env, "COCKPIT_TRACKER_TOKEN_TEAM": f"alice:{roundup.users['alice']}"}
    wrong = run_cli("sync", "--once", env=good, db=db)
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    # a 404 from something that is not the tracker's API says the URL looks wrong and how to check it
    assert "URL looks wrong" in wrong.stdout and "not-a-tracker/rest/ opens in a browser" in wrong.stdout, wrong.stdout
    status = json.loads(run_cli("sync", "status", "--json", env=good, db=db).stdout)
    assert status[0]["summary"] == "tracker URL looks wrong" and status[0]["dead_letters"] == 0
    assert status[0]["queued"] == 2 and "settings to be fixed" in status[0]["waiting_for"]


async def test_restore_the_losing_value_from_the_cockpit(roundup: RoundupTracker, tmp_path: Path,
                                                         monkeypatch) -> None:
    from cockpit.config import Config
    from cockpit.sync.settings import add_tracker
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.screens.conflicts import ConflictsScreen

    a_svc, a = cockpit(tmp_path, "priya", roundup, "alice")
    b_svc, b = cockpit(tmp_path, "marcus", roundup, "bob")
    ref = a_svc.open_incident("Search down", Impact.CORE_DOWN, Scope.LT25).ref
    a.run_once()
    b.run_once()
    a_svc.override_severity(ref, Severity.SEV1, "everyone")
    b_svc.override_severity(ref, Severity.SEV4, "nobody")  # later: wins when priya syncs after marcus
    b.run_once()
    a.run_once()
    assert a_svc.get(ref).snapshot.severity is Severity.SEV4
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    add_tracker("team", "roundup", roundup.url)
    app = CockpitApp(a_svc, Config(path=tmp_path / "config.yaml", responder="priya"), sync_interval=0)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("C")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConflictsScreen) and app.screen.conflicts
        assert "kept SEV4" in app.screen.conflicts[0].sentence
        await pilot.press("r")
        await pilot.pause()
        from cockpit.tui.screens.dialogs import Confirm

        assert isinstance(app.screen, Confirm)  # restoring or retrying is lasting: it asks first
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert a_svc.get(ref).snapshot.severity is Severity.SEV1  # the losing value, back, and queued to sync
    a.run_once()
    b.run_once()
    assert b_svc.get(ref).snapshot.severity is Severity.SEV1


def test_a_backlog_drains_without_tripping_the_rate_limit(roundup_factory, tmp_path: Path) -> None:
    tracker = roundup_factory(rate_limit=12, rate_interval=3)
    svc = IncidentService(Store.open(tmp_path / "backlog.db"), "priya")
    ref = svc.open_incident("Backlog", Impact.DEGRADED, Scope.LT25).ref
    for i in range(8):
        svc.add_entry(ref, f"written while the tracker was down {i}")
    statuses: list[int] = []
    adapter = RoundupAdapter("team", tracker.url, "alice", tracker.users["alice"])
    adapter.client.event_hooks["response"].append(lambda response: statuses.append(response.status_code))
    report = Relay(svc, adapter).push()
    adapter.close()
    assert report.pushed == 10 and not report.errors  # create, declared, eight notes
    assert 429 not in statuses and adapter.paced > 0  # it waited for the budget instead of hitting the limit


def test_a_comment_written_in_the_tracker_arrives_literally_and_once(roundup: RoundupTracker,
                                                                     tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", roundup, "alice")
    ref = svc.open_incident("Web comment", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    remote = relay.adapter.find_incident(svc.get(ref).snapshot.id)
    hostile = "[bold red]not markup[/] \x1b[2J\x1b]52;c;ZXZpbA==\x07 from the web"
    with roundup.client("bob") as client:
        msg = client.post("data/msg", json={"content": hostile, "author": "bob"}).json()["data"]["id"]
        etag = client.get(f"data/issue/{remote}").headers["ETag"]
        assert client.patch(f"data/issue/{remote}", headers={"If-Match": etag},
                            json={"@op": "add", "messages": [msg]}).status_code == 200
    assert relay.run_once().pulled == 1
    assert relay.run_once().pulled == 0  # a re-pull changes nothing (a deterministic id)
    entry = svc.get(ref).timeline[-1]
    assert entry.text == hostile and entry.author == "bob" and entry.kind == "note"
    shown = run_cli("incident", "show", ref, db=tmp_path / "priya.db").stdout
    assert "[bold red]not markup[/] \\x1b[2J" in shown and "\x1b" not in shown
    remote_only = run_cli("sync", "status", db=tmp_path / "priya.db")
    assert remote_only.returncode == 0


def test_a_pull_reads_messages_a_page_at_a_time_and_skips_what_it_has(roundup: RoundupTracker,
                                                                      tmp_path: Path) -> None:
    writer_svc, writer = cockpit(tmp_path, "priya", roundup, "alice")
    ref = writer_svc.open_incident("Busy incident", Impact.DEGRADED, Scope.LT25).ref
    for i in range(22):
        writer_svc.add_entry(ref, f"note {i}")
    assert writer.run_once().errors == []
    reader_svc, reader = cockpit(tmp_path, "marcus", roundup, "bob")
    reader.adapter.page_size = 10  # type: ignore[attr-defined]
    requests: list[str] = []
    reader.adapter.client.event_hooks["request"] = [lambda request: requests.append(request.url.path)]  # type: ignore[attr-defined]
    assert reader.run_once().pulled == len(writer_svc.get(ref).timeline) == 23  # declared and 22 notes
    singles = [path for path in requests if "/data/msg/" in path]
    assert len([p for p in requests if p.endswith("/data/msg")]) == 3 and singles == []  # 3 pages, no one-by-one
    writer_svc.add_entry(ref, "one more")
    writer.run_once()
    requests.clear()
    assert reader.run_once().pulled == 1
    assert [p for p in requests if "/data/msg/" in p] == []  # the 23 it holds are not read again
    assert sorted(e.id for e in reader_svc.get(ref).timeline) == sorted(e.id for e in writer_svc.get(ref).timeline)


def test_login_is_checked_then_kept_in_the_keyring_across_processes(roundup: RoundupTracker, tmp_path: Path) -> None:
    keyring_home = tmp_path / "keyring-home"  # a real file keyring (keyrings.alt) stands in for the OS one; it
    # stores in plaintext, which `tracker login` refuses unless told otherwise
    login = ("tracker", "login", "team", "--allow-plaintext-keyring")
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "XDG_DATA_HOME": str(keyring_home),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    db = tmp_path / "c.db"
    run_cli("tracker", "add", "team", "--kind", "roundup", "--url", roundup.url, env=env, db=db)

    def login_state() -> str:
        return json.loads(run_cli("tracker", "list", "--json", env=env, db=db).stdout)[0]["login"]

    refused = run_cli(*login, env=env, db=db, input_text="alice:not-her-password\n")
    assert refused.returncode == 7 and "refused that secret" in refused.stderr and "Traceback" not in refused.stderr
    assert login_state() == "login needed"  # a refused secret is not kept

    accepted = run_cli(*login, env=env, db=db, input_text=f"alice:{roundup.users['alice']}\n", real_process=True)
    assert accepted.returncode == 0 and "accepted it" in accepted.stdout, accepted.stderr
    assert login_state() == "logged in"
    run_cli("incident", "open", "Keyring check", "--impact", "degraded", "--scope", "lt25", env=env, db=db)
    once = run_cli("sync", "--once", env=env, db=db, real_process=True)  # another process reads the secret
    assert once.returncode == 0 and "pushed 2" in once.stdout, once.stdout + once.stderr

    logout = run_cli("tracker", "logout", "team", env=env, db=db)
    assert logout.returncode == 0 and login_state() == "login needed"
    after = run_cli("sync", "--once", env=env, db=db)
    assert after.returncode == 7 and "cockpit tracker login team" in after.stderr

    # the tracker may be the outage: a login it cannot check is saved, and says so
    run_cli("tracker", "add", "team", "--kind", "roundup", "--url", "http://127.0.0.1:9/cockpit/", env=env, db=db)
    offline = run_cli(*login, env=env, db=db, input_text="alice:typed-during-the-outage\n")
    assert offline.returncode == 0 and "saved without a check" in offline.stderr and login_state() == "logged in"

    removed = run_cli("tracker", "remove", "team", env=env, db=db)
    assert removed.returncode == 0 and run_cli("tracker", "list", "--json", env=env, db=db).stdout.strip() == "[]"
    gone = run_cli("tracker", "remove", "team", env=env, db=db)
    assert gone.returncode != 0 and "No tracker named 'team'" in gone.stderr
    run_cli("tracker", "add", "team", "--kind", "roundup", "--url", roundup.url, env=env, db=db)
    assert login_state() == "login needed"  # removing it forgot the secret too
