"""The GitHub (and Gitea) adapter against an in-memory API in GitHub's documented response shapes."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope, Severity
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger
from cockpit.store.db import Store
from cockpit.sync.adapter import Misconfigured, Permanent, Retryable
from cockpit.sync.github import GitHubAdapter
from cockpit.sync.relay import Relay
from tests.conftest import run_cli
from tests.integration.cockpits import outbox, release_queue
from tests.integration.fake_github import FakeGitHub


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub()


def cockpit(tmp_path: Path, name: str, server: FakeGitHub, token: str,
            settle: float = 0.0) -> tuple[IncidentService, Relay]:
    svc = IncidentService(Store.open(tmp_path / f"{name}.db"), name)
    adapter = GitHubAdapter("gh", server.base, f"{server.owner}/{server.repo}", token,
                            transport=server.transport(), write_interval=0)
    adapter.settle_seconds = settle
    return svc, Relay(svc, adapter)


def entry_markers(server: FakeGitHub, number: int) -> list[str]:
    from cockpit.sync.entry_text import ENTRY_MARKER

    found = []
    for comment in server.comments_on(number):
        match = ENTRY_MARKER.match(comment["body"])
        if match:
            found.append(match["id"])
    return found


def test_the_issue_shows_the_reference_and_roles_and_only_the_current_labels(github: FakeGitHub,
                                                                             tmp_path: Path) -> None:
    """What GitHub shows beyond the shared scenarios (tests/integration/test_marked_trackers.py runs those for
    GitHub too): the issue body a person reads, and exactly the cockpit's labels."""
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    ref = svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref  # SEV2
    assert relay.run_once().errors == []
    [issue] = github.incident_issues()
    assert {lb["name"] for lb in issue["labels"]} == {"cockpit", "SEV2", "phase:detect"}
    assert issue["title"] == "Checkout 500s" and ref in issue["body"] and "Roles: ic: priya" in issue["body"]
    svc.assign_role(ref, Role.SCRIBE, "lena")
    svc.override_severity(ref, Severity.SEV3, "Only one region")
    svc.set_phase(ref, Phase.TRIAGE)
    assert relay.run_once().errors == []
    assert {lb["name"] for lb in github.issues[1]["labels"]} == {"cockpit", "SEV3", "phase:triage"}
    body = github.issues[1]["body"]
    assert "Roles: ic: priya; scribe: lena" in body and "Only one region" in body
    assert sorted(entry_markers(github, 1)) == sorted(e.id for e in svc.get(ref).timeline)


def test_an_issue_nobody_linked_and_a_remote_incident_unknown_here(github: FakeGitHub, tmp_path: Path) -> None:
    other_svc, other = cockpit(tmp_path, "lena", github, "tok-carol")
    ref = other_svc.open_incident("DNS flapping", Impact.NON_CORE_DOWN, Scope.ALL).ref
    other.run_once()
    github.comment_by_hand(1, "seen from the web", user="carol")
    github._issue({"title": "A plain bug", "body": "no marker", "labels": ["cockpit"]}, "carol")
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    report = relay.run_once()
    assert report.errors == []
    assert [i.ref for i in svc.list_incidents(include_closed=True)] == [ref]  # imported; the plain bug is not
    assert any(e.text == "seen from the web" for e in svc.get(ref).timeline)


def _first_create_lands_late(github: FakeGitHub, svc: IncidentService, relay: Relay) -> None:
    """The issue create times out and lands only when the test calls ``github.settle()``; the retry is due."""
    github.faults_for[("POST", "/repos/acme/incidents/issues")] = [("late", 30)]
    relay.push()
    release_queue(svc)


@pytest.mark.parametrize(("fault", "at_least"), [(("429", 7), 7.0), ("secondary", 60.0)])
def test_rate_limit_answers_become_waits_of_the_right_length(github: FakeGitHub, tmp_path: Path,
                                                             fault: object, at_least: float) -> None:
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    svc.open_incident("Rate limited", Impact.DEGRADED, Scope.LT25)
    github.faults = [fault]
    report = relay.push()
    assert report.pushed == 0 and "rate limited" in report.errors[0]
    [op] = [o for o in outbox(svc) if o.state == "pending"][:1]
    assert op.next_attempt_at is not None
    assert op.next_attempt_at - svc.clock() >= timedelta(seconds=at_least - 1)


def test_a_spent_budget_stops_sending_until_the_reset(github: FakeGitHub, tmp_path: Path) -> None:
    github.rate_limit, github.reset_in = 7, 120
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    for i in range(3):
        svc.open_incident(f"Incident {i}", Impact.DEGRADED, Scope.LT25)
    report = relay.push()
    sent = len(github.requests)
    assert sent <= 7 and report.pushed >= 1 and report.errors
    assert relay.push().pushed == 0 and len(github.requests) == sent  # nothing sent until the reset
    waits = [o.next_attempt_at - svc.clock() for o in outbox(svc) if o.state == "pending" and o.next_attempt_at]
    assert waits and max(waits) >= timedelta(seconds=100)


def test_writes_are_spaced_for_the_secondary_limit(github: FakeGitHub, tmp_path: Path) -> None:
    svc = IncidentService(Store.open(tmp_path / "p.db"), "priya")
    slept: list[float] = []
    adapter = GitHubAdapter("gh", github.base, "acme/incidents", "tok-alice", transport=github.transport(),
                            write_interval=1.0, sleep=slept.append)
    ref = svc.open_incident("Backlog", Impact.DEGRADED, Scope.LT25).ref
    for i in range(5):
        svc.add_entry(ref, f"entry {i}")
    Relay(svc, adapter).push()
    writes = [r for r in github.requests if r[0] != "GET"]
    assert len(writes) >= 7 and len(slept) >= len(writes) - 1 and all(0 < s <= 1.0 for s in slept)


def test_gitea_takes_label_ids_and_the_token_scheme(tmp_path: Path) -> None:
    gitea = FakeGitHub(gitea=True)
    a_svc, a = cockpit(tmp_path, "priya", gitea, "tok-alice")
    b_svc, b = cockpit(tmp_path, "marcus", gitea, "tok-bob")
    ref = a_svc.open_incident("Gitea-hosted incident", Impact.CORE_DOWN, Scope.ALL).ref
    a_svc.set_phase(ref, Phase.TRIAGE)
    assert a.run_once().errors == []
    assert {lb["name"] for lb in gitea.issues[1]["labels"]} == {"cockpit", "SEV1", "phase:triage"}
    assert all(label["color"] for label in gitea.labels.values())
    b.run_once()
    assert b_svc.get(ref).snapshot.phase is Phase.TRIAGE


def test_bad_settings_and_bad_answers_say_what_to_do(github: FakeGitHub, tmp_path: Path) -> None:
    with pytest.raises(Permanent, match="OWNER/REPO"):
        GitHubAdapter("gh", github.base, "just-a-name", "tok-alice")
    missing = GitHubAdapter("gh", github.base, "acme/nope", "tok-alice", transport=github.transport())
    with pytest.raises(Misconfigured, match="project acme/nope not found"):  # the settings, not one change
        missing.pull(None)
    svc, relay = cockpit(tmp_path, "priya", github, "tok-wrong")
    svc.open_incident("x", Impact.DEGRADED, Scope.LT25)
    report = relay.run_once()
    assert "login refused (401)" in report.errors[0] and "cockpit tracker login gh" in report.errors[0]

    import httpx

    html = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>Welcome to our blog</html>"))
    not_api = GitHubAdapter("gh", "https://blog.example.com", "acme/incidents", "t", transport=html)
    with pytest.raises(Misconfigured, match="did not answer like a GitHub or Gitea API"):
        not_api.check()
    flaky = GitHubAdapter("gh", github.base, "acme/incidents", "tok-alice", transport=github.transport())
    github.faults = [("status", 502)]
    with pytest.raises(Retryable):
        flaky.check()


def test_cli_add_needs_a_project_and_the_token_is_never_written(github: FakeGitHub, tmp_path: Path) -> None:
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "COCKPIT_TRACKER_TOKEN_GH": "tok-alice"}
    missing = run_cli("tracker", "add", "gh", "--kind", "github", env=env)
    assert missing.returncode != 0 and "needs --project OWNER/REPO" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = run_cli("tracker", "add", "gh", "--kind", "github", "--project", "not a repo", env=env)
    assert bad.returncode != 0 and "OWNER/REPO" in bad.stderr
    made = run_cli("tracker", "add", "gh", "--kind", "github", "--project", "acme/incidents", env=env)
    assert made.returncode == 0, made.stderr
    listed = run_cli("tracker", "list", "--json", env=env)
    assert '"url": "https://api.github.com/"' in listed.stdout and '"project": "acme/incidents"' in listed.stdout
    assert "logged in" in listed.stdout
    # a sync through the adapter the CLI builds, against the in-memory API, leaves the token nowhere
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    svc.open_incident("Secret check", Impact.DEGRADED, Scope.LT25)
    assert relay.run_once().pushed == 2
    svc.store.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"tok-alice" not in path.read_bytes(), path


def test_existing_labels_are_used_whatever_their_case(github: FakeGitHub, tmp_path: Path) -> None:
    github._label("sev2", "ff0000")
    github._label("Phase:Detect", "00ff00")
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    svc.open_incident("Mixed-case labels", Impact.CORE_DOWN, Scope.LT25)  # SEV2, DETECT
    assert relay.run_once().errors == []
    assert {lb["name"] for lb in github.issues[1]["labels"]} == {"cockpit", "sev2", "Phase:Detect"}
    assert sorted(github.labels) == ["Phase:Detect", "cockpit", "sev2"]
    other_svc, other = cockpit(tmp_path, "marcus", github, "tok-bob")
    other.run_once()
    snap = other_svc.list_incidents(include_closed=True)[0]
    assert snap.severity.label == "SEV2" and snap.phase.value == "DETECT"


def test_gitea_pages_without_link_headers_and_names_who_changed_a_label(tmp_path: Path) -> None:
    gitea = FakeGitHub(gitea=True)
    svc, relay = cockpit(tmp_path, "priya", gitea, "tok-alice")
    ref = svc.open_incident("Gitea paging", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    for i in range(120):  # more than Gitea's 50 a page, on a listing it sends without a Link header
        gitea.comment_by_hand(1, f"gitea note {i}", user="carol")
    time.sleep(1.1)
    svc.set_phase(ref, Phase.TRIAGE)  # queued; meanwhile carol moves it on in the web UI
    time.sleep(1.1)
    gitea.set_labels_by_hand(1, ["cockpit", "SEV1", "phase:respond"], user="carol")
    report = relay.run_once()
    assert report.errors == []
    assert len([e for e in svc.get(ref).timeline if e.author == "carol"]) == 120
    snap = svc.get(ref).snapshot
    assert snap.severity.label == "SEV1" and snap.phase is Phase.RESPOND
    [conflict] = Merger(svc, "gh").conflicts()
    assert "carol set RESPOND" in conflict.sentence


def test_a_late_twin_in_a_later_window_is_swept_once_and_the_link_stays(github: FakeGitHub,
                                                                        tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice", settle=0.0)
    ref = svc.open_incident("Late twin", Impact.DEGRADED, Scope.LT25).ref
    _first_create_lands_late(github, svc, relay)
    assert relay.run_once().errors == []  # makes issue #1 and links it
    time.sleep(1.1)
    github.settle()  # the first create lands only now, as issue #2, after the pull that saw #1
    for _ in range(3):
        assert relay.run_once().errors == []
    assert github.issues[2]["state"] == "closed" and github.issues[1]["state"] == "open"
    assert sum("Duplicate of #1" in c["body"] for c in github.comments_on(2)) == 1  # swept once, not each pull
    svc.add_entry(ref, "after the sweep")
    relay.run_once()
    assert any("after the sweep" in c["body"] for c in github.comments_on(1))
    assert not any(e.text.startswith("Duplicate of") or "cockpit-sweep" in e.text for e in svc.get(ref).timeline)


def test_a_server_error_waits_by_backoff_not_until_the_rate_limit_resets(github: FakeGitHub,
                                                                          tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    svc.open_incident("502 once", Impact.DEGRADED, Scope.LT25)
    github.faults = [("status", 502)]  # the answer still carries x-ratelimit-reset, an hour away
    assert relay.push().pushed == 0
    [op] = [o for o in outbox(svc) if o.state == "pending"][:1]
    assert op.next_attempt_at is not None and op.next_attempt_at - svc.clock() <= timedelta(seconds=2)


def test_a_renamed_repository_is_followed(tmp_path: Path) -> None:
    moved = FakeGitHub(repo="incidents-2026", renamed_from="acme/incidents")
    svc = IncidentService(Store.open(tmp_path / "p.db"), "priya")
    adapter = GitHubAdapter("gh", moved.base, "acme/incidents", "tok-alice", transport=moved.transport(),
                            write_interval=0)
    ref = svc.open_incident("After the rename", Impact.DEGRADED, Scope.LT25).ref
    svc.add_entry(ref, "still arrives")
    assert Relay(svc, adapter).run_once().errors == []
    assert any("still arrives" in c["body"] for c in moved.comments_on(1))


def test_a_marker_with_a_broken_time_or_odd_items_do_not_stop_the_sync(github: FakeGitHub, tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    ref = svc.open_incident("Odd input", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    broken = "<!-- cockpit-entry 0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000 -->\n[note] mallory · 2026-13-45T25:61:00Z\n\nhi"
    github.comment_by_hand(1, broken, user="mallory")
    github.comments[max(github.comments)]["user"] = None  # a deleted account ("ghost") comes back as null
    assert relay.run_once().errors == []
    [entry] = [e for e in svc.get(ref).timeline if "25:61" in e.text]
    assert entry.kind == "note" and entry.author == "gh"


def test_a_refused_change_is_listed_and_retried_by_hand(github: FakeGitHub, tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    ref = svc.open_incident("Refused once", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    svc.add_entry(ref, "a note the tracker refuses", "decision")
    github.faults_for[("POST", "/repos/acme/incidents/issues/1/comments")] = [("status", 422)]
    report = relay.run_once()
    assert report.dead == 1
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml")}
    run_cli("tracker", "add", "gh", "--kind", "github", "--project", "acme/incidents", env=env)
    status = json.loads(run_cli("sync", "status", "--json", db=svc.store.path, env=env).stdout)
    assert status[0]["dead_letters"] == 1 and status[0]["summary"].endswith("1 failed")
    listed = run_cli("sync", "failed", db=svc.store.path, env=env)
    assert listed.returncode == 0 and ref in listed.stdout and "add an entry (decision: a note the tracker refuses)" \
        in listed.stdout and "422" in listed.stdout
    op_id = json.loads(run_cli("sync", "failed", "--json", db=svc.store.path, env=env).stdout)[0]["id"]
    both = run_cli("sync", "retry", op_id[:8], "--all", db=svc.store.path, env=env)
    assert both.returncode != 0 and "not both" in both.stderr
    unknown = run_cli("sync", "retry", "ffffffff", db=svc.store.path, env=env)
    assert unknown.returncode != 0 and "No dead letter or parked record ffffffff" in unknown.stderr
    again = run_cli("sync", "retry", op_id[:8], db=svc.store.path, env=env)
    assert again.returncode == 0 and "Queued 1 change again" in again.stdout
    assert relay.run_once().pushed == 1  # the tracker takes it this time
    assert any("a note the tracker refuses" in c["body"] for c in github.comments_on(1))
    assert run_cli("sync", "failed", db=svc.store.path, env=env).stdout.startswith("No dead letters")


async def test_the_cockpit_lists_a_failed_change_and_r_queues_it_again(github: FakeGitHub, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.config import Config
    from cockpit.sync.settings import add_tracker
    from cockpit.tui.app import CockpitApp
    from cockpit.tui.screens.conflicts import ConflictsScreen

    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    ref = svc.open_incident("Refused in the cockpit", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    svc.add_entry(ref, "refused [bold]literally[/]", "note")
    github.faults_for[("POST", "/repos/acme/incidents/issues/1/comments")] = [("status", 403)]
    assert relay.run_once().dead == 1
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    add_tracker("gh", "github", "https://api.github.com", "acme/incidents")
    app = CockpitApp(svc, Config(path=tmp_path / "config.yaml", responder="priya"), sync_interval=0)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("C")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConflictsScreen) and len(app.screen.dead) == 1
        from textual.widgets import OptionList

        first = app.screen.query_one(OptionList).get_option_at_index(0).prompt
        assert "FAILED" in str(first) and "refused [bold]literally[/]" in str(first)
        await pilot.press("r")
        await pilot.pause()
        from cockpit.tui.screens.dialogs import Confirm

        assert isinstance(app.screen, Confirm)  # restoring or retrying is lasting: it asks first
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.dead == []
    assert relay.run_once().pushed == 1


def test_a_token_without_access_pauses_the_tracker_instead_of_refusing_each_change(github: FakeGitHub,
                                                                                   tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", github, "tok-alice")
    ref = svc.open_incident("Fine-grained token", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    svc.add_entry(ref, "needs issues: write")
    github.faults_for[("POST", "/repos/acme/incidents/issues/1/comments")] = [
        ("status", 403, "Resource not accessible by personal access token")]
    report = relay.run_once()
    assert report.dead == 0 and "may not do this in acme/incidents" in report.errors[0]
    from cockpit.service.sync_ledger import tracker_state
    from cockpit.sync.control import summary

    assert summary(tracker_state(svc, "gh"), 1, 0) == "login needed"
    assert [o.state for o in outbox(svc)].count("pending") == 1  # nothing lost, nothing dead-lettered
