"""A tracker is someone else's server: the hostile tracker (``hostile_tracker.py``, real HTTP on 127.0.0.1, a
real Roundup or the documented GitHub shapes behind it) plays each case of issue #17 items 1, 3, 4, 5 and 8.

Each test names the promise it checks: credentials only to the tracker's own origin; one bad record parked with
its reason while the rest syncs; bounded reads; the incident rules hold for remote changes; honest, escaped errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.service.merge import Merger
from tests.conftest import ROOT, run_cli
from tests.integration.cockpits import github_cockpit, roundup_cockpit
from tests.integration.hostile_tracker import Answer, Call, HostileTracker, Witness
from tests.integration.roundup_server import RoundupTracker

ESC = "\x1b"
EVIL = "\x1b]52;c;ZXZpbA==\x07\x1b[2J[bold]gotcha[/]"


def listing(pattern: str, change: Any, first_page_only: bool = True) -> dict[str, Any]:
    """A rule that rewrites a JSON listing: ``change(data)`` edits Roundup's ``data`` object (or GitHub's list)."""
    def rewrite(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        query = parse_qs(urlsplit(call.path).query)
        if first_page_only and (query.get("@page_index") or query.get("page") or ["1"])[0] != "1":
            return answer
        data = json.loads(body)
        change(data)
        return status, headers, json.dumps(data).encode()

    return {"method": "GET", "pattern": pattern, "rewrite": rewrite}


def fake_issue(issue_id: str, **attributes: Any) -> dict[str, Any]:
    """An issue in the shape of Roundup's collection answer, with the @fields the cockpit asks for."""
    incident = str(uuid.uuid4())
    base: dict[str, Any] = {"id": issue_id, "link": f"issue/{issue_id}", "title": f"Remote incident {issue_id}",
                            "severity": "SEV3", "phase": "DETECT", "impact": "degraded", "scope": "lt25",
                            "cockpit_uuid": incident, "cockpit_ref": None, "severity_reason": None, "roles": None,
                            "activity": "2026-01-02.03:04:05", "actor": {"id": "1"}, "messages": []}
    base.update(attributes)
    return base


def fake_message(msg_id: str, **attributes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": msg_id, "link": f"msg/{msg_id}", "content": f"a note {msg_id}",
                            "author": {"id": "1", "username": "admin"}, "creation": "2026-01-02.03:04:05",
                            "cockpit_uuid": None}
    base.update(attributes)
    return base


# --- item 1: credentials go only to the tracker's own origin ------------------------------------------------
def test_roundup_post_once_link_to_another_host_gets_no_credentials(hostile_roundup: HostileTracker,
                                                                    shared_roundup: RoundupTracker,
                                                                    witness: Witness, tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    ref = cockpit.svc.open_incident("POE elsewhere", Impact.DEGRADED, Scope.LT25).ref

    def elsewhere(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        return status, headers, body.replace(hostile_roundup.origin.encode(), witness.origin.encode())

    hostile_roundup.on("POST", r"/rest/data/issue/@poe$", rewrite=elsewhere)
    report = cockpit.relay.run_once()
    assert witness.calls == [] and witness.credentials_seen() == []  # not a byte went to the other port
    assert report.dead == 1 and "not its own address" in report.errors[0]
    failed = cockpit.cli("sync", "failed")
    assert ref in failed.stdout and witness.origin.replace("http://", "") in failed.stdout
    hostile_roundup.clear()
    assert cockpit.cli("sync", "retry", "--all").returncode == 0
    assert cockpit.relay.run_once().pushed >= 1  # once the tracker behaves, the change goes where it belongs
    assert witness.calls == []


def test_github_next_page_link_to_another_host_gets_no_token(hostile_github: HostileTracker, witness: Witness,
                                                             tmp_path: Path) -> None:
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Link elsewhere", Impact.DEGRADED, Scope.LT25)

    def next_elsewhere(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        return status, {**headers, "Link": f'<{witness.origin}/repos/acme/incidents/issues?page=2>; rel="next"'}, body

    hostile_github.on("GET", r"/repos/acme/incidents/issues$", rewrite=next_elsewhere)
    report = cockpit.relay.run_once()
    assert witness.calls == []
    assert report.pushed == 2 and any("not its own address" in e for e in report.errors)  # the push went on
    status = cockpit.status()
    assert status["parked"] == 1 and "not its own address" in status["parked_records"][0]["reason"]


def test_github_redirect_to_another_host_is_not_followed(hostile_github: HostileTracker, witness: Witness,
                                                         tmp_path: Path) -> None:
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Redirect elsewhere", Impact.DEGRADED, Scope.LT25)
    hostile_github.on("POST", r"/issues$", answer=lambda call: (307, {"Location": f"{witness.origin}/steal"}, b""))
    report = cockpit.relay.push()
    assert witness.calls == []  # neither the token nor the incident's text
    assert report.dead == 1 and "not its own address" in report.errors[0]


# --- item 3: one bad record never stops the sync -------------------------------------------------------------
ROUNDUP_BAD = {
    "unknown severity": ([fake_issue("900001", severity="SEV9")], [], "SEV9"),
    "unknown phase": ([fake_issue("900002", phase="ARGUING")], [], "ARGUING"),
    "bad uuid": ([fake_issue("900003", cockpit_uuid="not-a-uuid")], [], "not a UUID"),
    "bad timestamp": ([fake_issue("900004", activity="yesterday-ish")], [], "not a time"),
    "wrong json types": ([fake_issue("900005", activity=1700000000, title={"evil": True})], [], "not"),
    "message without an id": ([fake_issue("900006", messages=[{"id": "900016"}])],
                              [fake_message("900016"), fake_message("900026", id=None)], "id"),
    "message with a bad time": ([fake_issue("900007", messages=[{"id": "900017"}])],
                                [fake_message("900017", creation=["2026"])], "time"),
}


@pytest.mark.parametrize("case", sorted(ROUNDUP_BAD))
def test_roundup_one_bad_record_is_parked_and_the_rest_syncs(case: str, hostile_roundup: HostileTracker,
                                                             shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    issues, messages, reason = ROUNDUP_BAD[case]
    good = fake_issue("900100", title="A good remote incident")
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    ref = cockpit.svc.open_incident(f"Ours, during {case}", Impact.DEGRADED, Scope.LT25).ref
    hostile_roundup.on(**listing(r"/rest/data/issue$", lambda d: d["data"]["collection"].extend([*issues, good])))
    hostile_roundup.on(**listing(r"/rest/data/msg$", lambda d: d["data"]["collection"].extend(messages)))
    once = cockpit.cli("sync", "--once")
    assert once.returncode == 0 and "Traceback" not in once.stderr, once.stdout + once.stderr
    assert "pushed 2" in once.stdout and "parked 1" in once.stdout  # ours went out despite the bad record
    titles = {s.title for s in cockpit.svc.list_incidents(include_closed=True)}
    assert {f"Ours, during {case}", "A good remote incident"} <= titles
    assert (f"Remote incident {issues[0]['id']}" in titles) == case.startswith("message")  # only the message parked
    status = cockpit.status()
    assert status["summary"].endswith("1 parked") and status["parked"] == 1
    assert reason in status["parked_records"][0]["reason"], status["parked_records"]
    text = cockpit.cli("sync", "status").stdout
    assert "parked" in text and ESC not in text
    assert cockpit.cli("sync", "--once").returncode == 0 and cockpit.status()["parked"] == 1  # parked once
    assert cockpit.svc.get(ref).snapshot.title == f"Ours, during {case}"


def test_a_reference_that_collides_with_a_local_one_is_parked(hostile_roundup: HostileTracker,
                                                              shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    ref = cockpit.svc.open_incident("Local incident", Impact.DEGRADED, Scope.LT25).ref
    twin = fake_issue("900200", cockpit_ref=ref, title="Someone else's incident with our reference")
    hostile_roundup.on(**listing(r"/rest/data/issue$", lambda d: d["data"]["collection"].append(twin)))
    once = cockpit.cli("sync", "--once")
    assert once.returncode == 0 and "damaged" not in once.stdout + once.stderr, once.stdout + once.stderr
    [parked] = cockpit.status()["parked_records"]
    assert f"{ref} is already used by another incident" in parked["reason"]
    assert cockpit.svc.get(ref).snapshot.title == "Local incident"


GITHUB_BAD = {
    "marker id is not a uuid": ({"id": 5, "ref": ""}, {}, "not a UUID"),
    "marker ref is not a reference": ({"ref": "!!!"}, {}, "not an incident reference"),
    "created_at of the wrong type": ({}, {"created_at": 5, "updated_at": {"x": 1}}, None),
    "title of the wrong type": ({}, {"title": ["a", "list"]}, "title"),
}


@pytest.mark.parametrize("case", sorted(GITHUB_BAD))
def test_github_one_bad_record_is_parked_and_the_rest_syncs(case: str, hostile_github: HostileTracker,
                                                            tmp_path: Path) -> None:
    from cockpit.sync.entry_text import INCIDENT_MARKER

    meta_change, issue_change, reason = GITHUB_BAD[case]
    server = hostile_github.github
    assert server is not None
    other = github_cockpit(tmp_path, hostile_github, "lena", "tok-carol")
    other.svc.open_incident("Theirs", Impact.DEGRADED, Scope.LT25)
    other.svc.open_incident("Also theirs", Impact.DEGRADED, Scope.LT25)
    assert other.relay.run_once().errors == []
    bad = server.issues[1]
    match = INCIDENT_MARKER.match(bad["body"])
    assert match is not None
    meta = {**json.loads(match["data"]), **meta_change}
    bad["body"] = f"<!-- cockpit-incident {json.dumps(meta)} -->" + bad["body"][match.end():]

    def corrupt(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        items = json.loads(body)
        for item in items:
            if isinstance(item, dict) and item.get("number") == 1:
                item.update(issue_change)
        return status, headers, json.dumps(items).encode()

    hostile_github.on("GET", r"/repos/acme/incidents/issues$", rewrite=corrupt)
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Ours", Impact.DEGRADED, Scope.LT25)
    report = cockpit.relay.run_once()
    assert report.pushed == 2, report.errors
    titles = {s.title for s in cockpit.svc.list_incidents(include_closed=True)}
    assert {"Ours", "Also theirs"} <= titles
    parked = Merger(cockpit.svc, "gh").parked()
    if reason is None:  # an unreadable time is not worth parking: the record merges with the time it has
        assert "Theirs" in titles and parked == []
        return
    assert "Theirs" not in titles and len(parked) == 1 and reason in parked[0].reason, parked


@pytest.mark.parametrize("asked", ["inf", "1e12"])
@pytest.mark.parametrize("kind", ["roundup", "github"])
def test_retry_after_beyond_an_hour_waits_an_hour_and_says_so(kind: str, asked: str, request: pytest.FixtureRequest,
                                                              tmp_path: Path) -> None:
    if kind == "roundup":
        hostile = request.getfixturevalue("hostile_roundup")
        cockpit = roundup_cockpit(tmp_path, hostile, request.getfixturevalue("shared_roundup"))
        body = {"error": {"status": 429, "msg": "slow down"}}
    else:
        hostile = request.getfixturevalue("hostile_github")
        cockpit = github_cockpit(tmp_path, hostile)
        body = {"message": "Too Many Requests"}
    cockpit.svc.open_incident("Patience", Impact.DEGRADED, Scope.LT25)
    hostile.on("POST", r".", answer=lambda call: HostileTracker.json_answer(429, body, {"Retry-After": asked}))
    report = cockpit.relay.push()
    assert report.pushed == 0 and report.errors
    [first, *_] = sorted(cockpit.pending(), key=lambda op: op.seq or 0)
    assert first.next_attempt_at is not None
    wait = first.next_attempt_at - cockpit.svc.clock()
    assert timedelta(minutes=59) <= wait <= timedelta(hours=1, seconds=5)
    assert "waits an hour at most" in (first.last_error or "")
    assert "waits an hour at most" in cockpit.status()["waiting_for"]


def test_github_rate_limit_reset_at_infinity_waits_an_hour(hostile_github: HostileTracker, tmp_path: Path) -> None:
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Budget spent", Impact.DEGRADED, Scope.LT25)

    def spent(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        return status, {**headers, "x-ratelimit-remaining": "0", "x-ratelimit-reset": "inf"}, body

    hostile_github.on("GET", r"/labels$", rewrite=spent)
    report = cockpit.relay.push()
    assert report.errors and "waiting" in report.errors[-1]
    waits = [op.next_attempt_at - cockpit.svc.clock() for op in cockpit.pending() if op.next_attempt_at]
    assert waits and max(waits) <= timedelta(hours=1, seconds=5)


async def test_parked_records_show_in_the_status_line_and_the_c_screen_and_sync_retry_frees_them(
        hostile_roundup: HostileTracker, shared_roundup: RoundupTracker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import OptionList

    from cockpit.config import Config
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.screens.conflicts import ConflictsScreen
    from cockpit.tui.screens.incident import IncidentScreen

    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Ours", Impact.DEGRADED, Scope.LT25)
    bad = fake_issue("900300", severity="SEV9", title="Fixed later")
    rule = hostile_roundup.on(**listing(r"/rest/data/issue$", lambda d: d["data"]["collection"].append(bad)))
    assert cockpit.relay.run_once().parked == 1
    monkeypatch.setenv("COCKPIT_CONFIG", cockpit.env["COCKPIT_CONFIG"])
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", cockpit.env["COCKPIT_TRACKER_TOKEN_TEAM"])
    app = CockpitApp(cockpit.svc, Config(path=tmp_path / "config.yaml", responder="priya"), sync_interval=0.2,
                     poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        deadline = time.monotonic() + 20
        while not (isinstance(app.screen, IncidentScreen) and "1 parked" in app.sync_state):
            assert time.monotonic() < deadline, app.sync_state
            await pilot.pause(0.1)
        await pilot.press("C")
        deadline = time.monotonic() + 10
        while not (isinstance(app.screen, ConflictsScreen) and app.screen.parked):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        first = str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert first.startswith("PARKED issue 900300") and "SEV9" in first
    hostile_roundup.rules.remove(rule)
    fixed = {**bad, "severity": "SEV2"}
    hostile_roundup.on(**listing(r"/rest/data/issue$", lambda d: d["data"]["collection"].append(fixed)))
    freed = cockpit.cli("sync", "retry", "--all")
    assert freed.returncode == 0 and "Freed 1 parked record" in freed.stdout
    assert cockpit.cli("sync", "--once").returncode == 0
    assert cockpit.status()["parked"] == 0
    assert "Fixed later" in {s.title for s in cockpit.svc.list_incidents(include_closed=True)}


# --- item 4: bounded reads -----------------------------------------------------------------------------------
def test_roundup_endless_pages_stop_at_the_cap_and_the_push_goes_on(hostile_roundup: HostileTracker,
                                                                     shared_roundup: RoundupTracker,
                                                                     tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Endless", Impact.DEGRADED, Scope.LT25)
    page = {"data": {"collection": [fake_issue(str(950000 + i), cockpit_uuid=None) for i in range(100)],
                     "@total_size": 10**9}}
    hostile_roundup.on("GET", r"/rest/data/issue$", answer=lambda call: HostileTracker.json_answer(200, page))
    began = time.monotonic()
    once = cockpit.cli("sync", "--once", timeout=120)
    assert once.returncode == 0 and "pushed 2" in once.stdout, once.stdout + once.stderr
    assert time.monotonic() - began < 90
    assert len(hostile_roundup.requests_to("GET", r"/rest/data/issue$")) <= 1001
    [parked] = cockpit.status()["parked_records"]
    assert "stopped reading" in parked["reason"] and "1000 pages" in parked["reason"]


def test_github_endless_pages_stop_at_the_cap(hostile_github: HostileTracker, tmp_path: Path) -> None:
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Endless on GitHub", Impact.DEGRADED, Scope.LT25)

    def endless(call: Call) -> Answer:
        index = len(hostile_github.calls)
        link = f'<{hostile_github.origin}/repos/acme/incidents/issues/comments?page={index}>; rel="next"'
        return HostileTracker.json_answer(200, [], {"Link": link})

    hostile_github.on("GET", r"/repos/acme/incidents/issues/comments$", answer=endless)
    report = cockpit.relay.run_once()
    assert report.pushed == 2 and any("stopped reading" in e for e in report.errors)
    assert len(hostile_github.requests_to("GET", r"/issues/comments$")) <= 1001


def test_a_huge_answer_is_cut_off_at_the_size_cap(hostile_roundup: HostileTracker, shared_roundup: RoundupTracker,
                                                  tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Huge", Impact.DEGRADED, Scope.LT25)
    size = 80 * 1024 * 1024
    chunk = b" " * (1024 * 1024)

    def huge(call: Call) -> None:
        hostile_roundup.stream(call, {"Content-Type": "application/json"},
                               lambda i: b'{"data": {"collection": [' if i == 0 else (chunk if i <= 80 else None))

    hostile_roundup.on("GET", r"/rest/data/issue$", answer=huge)
    once = cockpit.cli("sync", "--once", timeout=120)
    assert once.returncode == 0 and "pushed 2" in once.stdout, once.stdout + once.stderr
    assert hostile_roundup.bytes_sent < size // 2  # the client hung up after its 32 MiB, not at 80
    [parked] = cockpit.status()["parked_records"]
    assert "more than 32 MiB" in parked["reason"]


def test_a_dripping_answer_is_abandoned_in_bounded_time(hostile_roundup: HostileTracker,
                                                        shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Drip", Impact.DEGRADED, Scope.LT25)

    def drip(call: Call) -> None:  # a byte every 0.2 s, forever: never a read timeout
        hostile_roundup.stream(call, {"Content-Type": "application/json"}, lambda i: b" ", interval=0.2)

    hostile_roundup.on("GET", r"/rest/data/issue$", answer=drip)
    began = time.monotonic()
    once = run_cli("sync", "--once", db=cockpit.db, env={**cockpit.env, "COCKPIT_SYNC_TIMEOUT": "1"}, timeout=60)
    assert time.monotonic() - began < 30, "the drip kept the sync waiting"
    assert "took longer than 6 s" in once.stdout, once.stdout + once.stderr


QUIT_APP = """
import sys, time
from pathlib import Path
from cockpit.config import Config
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.app import CockpitApp

flag = Path(sys.argv[2])


class Quitting(CockpitApp):
    CSS_PATH = str(Path(sys.modules[CockpitApp.__module__].__file__).with_name("cockpit.tcss"))

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(0.05, self.maybe_quit)

    def maybe_quit(self) -> None:
        if flag.exists():
            self.exit()


svc = IncidentService(Store.open(sys.argv[1]), "priya")
Quitting(svc, Config(path=Path(sys.argv[1]).with_name("config.yaml"), responder="priya"),
         sync_interval=0.1).run(headless=True)
print("quit", flush=True)
"""


def test_quitting_the_cockpit_never_waits_on_the_network(hostile_roundup: HostileTracker,
                                                         shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Quit while syncing", Impact.DEGRADED, Scope.LT25)

    def drip(call: Call) -> None:
        hostile_roundup.stream(call, {"Content-Type": "application/json"}, lambda i: b" ", interval=0.2)

    hostile_roundup.on("GET", r"/rest/data/issue$", answer=drip)
    flag = tmp_path / "quit-now"
    script = tmp_path / "quit_app.py"
    script.write_text(QUIT_APP)
    proc = subprocess.Popen([sys.executable, str(script), str(cockpit.db), str(flag)], cwd=ROOT,
                            env={**os.environ, **cockpit.env, "PYTHONPATH": str(ROOT)},  # this checkout's cockpit
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not hostile_roundup.requests_to("GET", r"/rest/data/issue$"):
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.05)
        flag.touch()  # the background sync is now reading a never-ending answer: quit
        asked = time.monotonic()
        proc.wait(timeout=30)
        took = time.monotonic() - asked
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stdout is not None and b"quit" in proc.stdout.read()
    assert took < 3.0, f"quitting waited {took:.1f} s on the network"


# --- item 5: the tracker obeys the incident rules ------------------------------------------------------------
def roundup_edit(tracker: RoundupTracker, issue_id: str, user: str, **fields: str) -> None:
    """A person changes the issue in the tracker's web UI (here: its REST API, as that person)."""
    with tracker.client(user) as client:
        etag = client.get(f"data/issue/{issue_id}").headers["ETag"]
        answer = client.put(f"data/issue/{issue_id}", headers={"If-Match": etag}, json=fields)
        assert answer.status_code == 200, answer.text


def test_roundup_phase_jump_made_in_the_tracker_is_refused_and_shown(hostile_roundup: HostileTracker,
                                                                     shared_roundup: RoundupTracker,
                                                                     tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    ref = cockpit.svc.open_incident("Jumpy", Impact.DEGRADED, Scope.LT25).ref
    cockpit.relay.run_once()
    [issue] = sorted(hostile_roundup.issues)
    roundup_edit(shared_roundup, issue, "bob", phase="REVIEW")
    assert cockpit.relay.run_once().errors == []
    assert cockpit.svc.get(ref).snapshot.phase is Phase.DETECT  # no silent jump from DETECT to REVIEW
    [conflict] = Merger(cockpit.svc, "team").conflicts()
    assert conflict.field == "phase" and conflict.kept == "local" and "Cannot go from DETECT to REVIEW" in (
        conflict.reason or "")
    shown = cockpit.cli("sync", "conflicts").stdout
    assert "bob set REVIEW" in shown and "refused" in shown and "Kept DETECT" in shown
    cockpit.svc.set_phase(ref, Phase.TRIAGE)  # the cockpit's own next move is taken, and sent
    cockpit.relay.run_once()
    with shared_roundup.client("alice") as client:
        assert client.get(f"data/issue/{issue}").json()["data"]["attributes"]["phase"] == "TRIAGE"


def test_github_phase_jump_made_on_the_web_is_refused_and_shown(hostile_github: HostileTracker,
                                                                tmp_path: Path) -> None:
    server = hostile_github.github
    assert server is not None
    cockpit = github_cockpit(tmp_path, hostile_github)
    ref = cockpit.svc.open_incident("Jumpy on GitHub", Impact.DEGRADED, Scope.LT25).ref
    cockpit.relay.run_once()
    time.sleep(1.1)  # GitHub stamps in whole seconds: the web change must be a later one
    server.set_labels_by_hand(1, ["cockpit", "SEV3", "phase:review"], user="mallory")
    cockpit.relay.run_once()
    assert cockpit.svc.get(ref).snapshot.phase is Phase.DETECT
    [conflict] = Merger(cockpit.svc, "gh").conflicts()
    assert "mallory set REVIEW" in conflict.sentence and "refused" in conflict.sentence


def test_an_ic_typed_into_the_tracker_is_refused(hostile_roundup: HostileTracker, shared_roundup: RoundupTracker,
                                                 tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    ref = cockpit.svc.open_incident("Who leads", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref
    cockpit.relay.run_once()
    [issue] = sorted(hostile_roundup.issues)
    roundup_edit(shared_roundup, issue, "bob", roles="ic: mallory")
    cockpit.relay.run_once()
    assert cockpit.svc.get(ref).snapshot.commander == "priya"
    [conflict] = Merger(cockpit.svc, "team").conflicts()
    assert conflict.field == "roles" and "without a handover" in (conflict.reason or "")


@pytest.mark.parametrize("kind", ["roundup", "github"])
def test_a_comment_over_the_text_limit_is_refused(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    big = "x" * 5_000_000
    if kind == "roundup":
        hostile = request.getfixturevalue("hostile_roundup")
        cockpit = roundup_cockpit(tmp_path, hostile, request.getfixturevalue("shared_roundup"))
        ref = cockpit.svc.open_incident("Big comment", Impact.DEGRADED, Scope.LT25).ref
        cockpit.relay.run_once()
        [issue] = sorted(hostile.issues)
        tracker = request.getfixturevalue("shared_roundup")
        with tracker.client("bob") as client:
            for text in (big, "a normal comment"):
                msg = client.post("data/msg", json={"content": text, "author": "bob"}).json()["data"]["id"]
                etag = client.get(f"data/issue/{issue}").headers["ETag"]
                client.patch(f"data/issue/{issue}", headers={"If-Match": etag}, json={"@op": "add", "messages": [msg]})
        merger = Merger(cockpit.svc, "team")
    else:
        hostile = request.getfixturevalue("hostile_github")
        cockpit = github_cockpit(tmp_path, hostile)
        ref = cockpit.svc.open_incident("Big comment", Impact.DEGRADED, Scope.LT25).ref
        cockpit.relay.run_once()
        hostile.github.comment_by_hand(1, big, user="mallory")
        hostile.github.comment_by_hand(1, "a normal comment", user="carol")
        merger = Merger(cockpit.svc, "gh")
    cockpit.relay.run_once()
    texts = [e.text for e in cockpit.svc.get(ref).timeline]
    assert "a normal comment" in texts and all(len(t) <= 1_000_000 for t in texts)
    [parked] = merger.parked()
    assert "over the 1,000,000-character limit" in parked.reason


# --- item 8: honest errors -----------------------------------------------------------------------------------
def test_a_merged_entry_clashing_with_a_local_one_is_named_honestly(hostile_roundup: HostileTracker,
                                                                    shared_roundup: RoundupTracker,
                                                                    tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    first = cockpit.svc.open_incident("First", Impact.DEGRADED, Scope.LT25).ref
    taken = cockpit.svc.get(first).timeline[0].id  # an entry id this cockpit already holds
    cockpit.svc.open_incident("Second", Impact.DEGRADED, Scope.LT25)
    remote = fake_issue("900400", title="Remote with a clashing entry", messages=[{"id": "900401"}])
    clash = fake_message("900401", cockpit_uuid=taken, content="[note] mallory · 2026-01-02T03:04:05Z\n\nclash")
    hostile_roundup.on(**listing(r"/rest/data/issue$", lambda d: d["data"]["collection"].append(remote)))
    hostile_roundup.on(**listing(r"/rest/data/msg$", lambda d: d["data"]["collection"].append(clash)))
    once = cockpit.cli("sync", "--once")
    assert once.returncode == 0 and "damaged" not in once.stdout + once.stderr, once.stdout + once.stderr
    [parked] = cockpit.status()["parked_records"]
    assert f"already used by an entry of {first}" in parked["reason"]
    assert "Remote with a clashing entry" in {s.title for s in cockpit.svc.list_incidents(include_closed=True)}


def test_control_sequences_in_tracker_errors_are_shown_escaped(hostile_roundup: HostileTracker,
                                                               shared_roundup: RoundupTracker,
                                                               tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Escape me", Impact.DEGRADED, Scope.LT25)
    evil = {"error": {"status": 400, "msg": EVIL}}
    hostile_roundup.on("POST", r".", answer=lambda call: HostileTracker.json_answer(400, evil))
    once = cockpit.cli("sync", "--once")
    status = cockpit.cli("sync", "status")
    failed = cockpit.cli("sync", "failed")
    for shown in (once, status, failed):
        assert ESC not in shown.stdout + shown.stderr and "\x07" not in shown.stdout + shown.stderr
    assert "\\x1b]52;c;ZXZpbA==\\x07" in once.stdout and "[bold]gotcha[/]" in status.stdout

    # tracker login: the check's refusal text is the tracker's too
    hostile_roundup.clear()
    hostile_roundup.on("GET", r"/rest/data/user$", answer=lambda call: HostileTracker.json_answer(
        403, {"error": {"status": 403, "msg": EVIL}}))
    env = {**cockpit.env, "XDG_DATA_HOME": str(tmp_path / "keyring"),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    env.pop("COCKPIT_TRACKER_TOKEN_TEAM")
    login = run_cli("tracker", "login", "team", "--allow-plaintext-keyring", db=cockpit.db, env=env,
                    input_text="alice:whatever\n")
    assert ESC not in login.stdout + login.stderr and "\\x1b]52" in login.stderr, login.stderr


def test_the_hostile_tracker_answers_like_the_real_one_when_it_behaves(hostile_roundup: HostileTracker,
                                                                       shared_roundup: RoundupTracker,
                                                                       tmp_path: Path) -> None:
    """The harness itself: without rules it is a transparent proxy, so every failure above is the rule's."""
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    ref = cockpit.svc.open_incident("Plain", Impact.DEGRADED, Scope.LT25).ref
    cockpit.svc.add_entry(ref, "a plain note")
    report = cockpit.relay.run_once()
    assert report.errors == [] and report.pushed == 3
    with httpx.Client(timeout=5) as client:
        assert client.get(f"{hostile_roundup.origin}/{shared_roundup.name}/rest/",
                          auth=("alice", shared_roundup.users["alice"])).status_code == 200


# --- the same cases against the GitHub adapter -----------------------------------------------------------------
def test_github_a_huge_answer_is_cut_off_at_the_size_cap(hostile_github: HostileTracker, tmp_path: Path) -> None:
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Huge on GitHub", Impact.DEGRADED, Scope.LT25)
    chunk = b" " * (1024 * 1024)

    def huge(call: Call) -> None:
        hostile_github.stream(call, {"Content-Type": "application/json"},
                              lambda i: b"[" if i == 0 else (chunk if i <= 80 else None))

    hostile_github.on("GET", r"/repos/acme/incidents/issues$", answer=huge)
    report = cockpit.relay.run_once()
    assert report.pushed == 2 and any("more than 32 MiB" in e for e in report.errors), report.errors
    assert hostile_github.bytes_sent < 40 * 1024 * 1024


def test_github_a_dripping_answer_is_abandoned_in_bounded_time(hostile_github: HostileTracker, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_SYNC_TIMEOUT", "1")  # one request may then take 6 s in all
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Drip on GitHub", Impact.DEGRADED, Scope.LT25)

    def drip(call: Call) -> None:
        hostile_github.stream(call, {"Content-Type": "application/json"}, lambda i: b" ", interval=0.2)

    hostile_github.on("GET", r"/repos/acme/incidents/issues$", answer=drip)
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(cockpit.relay.run_once()), daemon=True)
    began = time.monotonic()
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the drip kept the sync waiting"
    assert time.monotonic() - began < 30 and "took longer than 6 s" in outcome[0].errors[0]


def test_github_an_ic_written_into_the_marker_is_refused(hostile_github: HostileTracker, tmp_path: Path) -> None:
    from cockpit.sync.entry_text import INCIDENT_MARKER

    server = hostile_github.github
    assert server is not None
    cockpit = github_cockpit(tmp_path, hostile_github)
    ref = cockpit.svc.open_incident("Who leads on GitHub", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref
    cockpit.relay.run_once()
    issue = server.issues[1]
    match = INCIDENT_MARKER.match(issue["body"])
    assert match is not None
    meta = {**json.loads(match["data"]), "roles": "ic: mallory"}
    issue["body"] = f"<!-- cockpit-incident {json.dumps(meta)} -->" + issue["body"][match.end():]  # edited by hand
    cockpit.relay.run_once()
    assert cockpit.svc.get(ref).snapshot.commander == "priya"
    [conflict] = Merger(cockpit.svc, "gh").conflicts()
    assert conflict.field == "roles" and "without a handover" in (conflict.reason or "")


def test_github_a_comment_clashing_with_a_local_entry_or_reference_is_named_honestly(hostile_github: HostileTracker,
                                                                                   tmp_path: Path) -> None:
    server = hostile_github.github
    assert server is not None
    other = github_cockpit(tmp_path, hostile_github, "lena", "tok-carol")
    other.svc.open_incident("Theirs", Impact.DEGRADED, Scope.LT25)
    other.relay.run_once()
    cockpit = github_cockpit(tmp_path, hostile_github)
    first = cockpit.svc.open_incident("Ours", Impact.DEGRADED, Scope.LT25).ref
    taken = cockpit.svc.get(first).timeline[0].id
    server.comment_by_hand(1, f"<!-- cockpit-entry {taken} -->\n[note] mallory · 2026-01-02T03:04:05Z\n\nclash",
                           user="mallory")
    report = cockpit.relay.run_once()
    assert report.pushed == 2, report.errors
    [parked] = Merger(cockpit.svc, "gh").parked()
    assert f"already used by an entry of {first}" in parked.reason
    assert "Theirs" in {s.title for s in cockpit.svc.list_incidents(include_closed=True)}


def test_github_errors_with_control_sequences_are_shown_escaped(hostile_github: HostileTracker,
                                                                tmp_path: Path) -> None:
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Escape me on GitHub", Impact.DEGRADED, Scope.LT25)
    hostile_github.on("POST", r"/issues$", answer=lambda call: HostileTracker.json_answer(422, {"message": EVIL}))
    assert cockpit.relay.run_once().dead == 1
    for shown in (cockpit.cli("sync", "status"), cockpit.cli("sync", "failed")):
        assert shown.returncode == 0 and ESC not in shown.stdout + shown.stderr
        assert "\\x1b]52;c;ZXZpbA==\\x07" in shown.stdout


DEEP = b"[" * 200_000 + b"]" * 200_000  # valid JSON, nested past what the parser can follow


def test_github_an_answer_nested_absurdly_deep_is_one_error_and_the_push_goes_on(hostile_github: HostileTracker,
                                                                                tmp_path: Path) -> None:
    """Answers from a tracker are hostile: JSON nested so deep that Python's parser gives up (a RecursionError, not
    a ValueError) stopped the sync round with a crash."""
    cockpit = github_cockpit(tmp_path, hostile_github)
    cockpit.svc.open_incident("Deep on GitHub", Impact.DEGRADED, Scope.LT25)
    hostile_github.on("GET", r"/repos/acme/incidents/issues$",
                      answer=lambda call: (200, {"Content-Type": "application/json"}, DEEP))
    report = cockpit.relay.run_once()
    assert report.pushed == 2 and any("not JSON" in e or "nested" in e for e in report.errors), report.errors


def test_roundup_an_answer_nested_absurdly_deep_is_parked_and_the_push_goes_on(
        hostile_roundup: HostileTracker, shared_roundup: RoundupTracker, tmp_path: Path) -> None:
    cockpit = roundup_cockpit(tmp_path, hostile_roundup, shared_roundup)
    cockpit.svc.open_incident("Deep", Impact.DEGRADED, Scope.LT25)
    hostile_roundup.on("GET", r"/rest/data/issue$",
                       answer=lambda call: (200, {"Content-Type": "application/json"}, DEEP))
    once = cockpit.cli("sync", "--once", timeout=120)
    assert once.returncode == 0 and "pushed 2" in once.stdout, once.stdout + once.stderr
    assert "Traceback" not in once.stderr
