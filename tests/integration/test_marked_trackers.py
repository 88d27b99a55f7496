"""The adapters of trackers without an idempotency key (GitHub, GitLab, Jira Cloud v3 and Data Center v2) against
in-memory APIs in their documented shapes: every test runs for each kind (see ``marked_kinds``)."""

from __future__ import annotations

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
from cockpit.sync.adapter import AuthFailed, Misconfigured, Permanent, RateLimited
from cockpit.sync.marked import ENTRY_ID
from cockpit.sync.relay import Relay
from tests.conftest import run_cli
from tests.integration.cockpits import outbox, release_queue
from tests.integration.fake_api import ScriptedApi
from tests.integration.marked_kinds import KINDS, Kind


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> Kind:
    return KINDS[request.param]


@pytest.fixture
def server(kind: Kind) -> ScriptedApi:
    return kind.make()


def cockpit(tmp_path: Path, name: str, kind: Kind, server: ScriptedApi, who: str,
            settle: float = 0.0) -> tuple[IncidentService, Relay]:
    svc = IncidentService(Store.open(tmp_path / f"{name}.db"), name)
    return svc, Relay(svc, kind.adapter(server, who, settle))


def push_until_sent(svc: IncidentService, relay: Relay) -> None:
    """Push until a change goes out, each round due at once: what is tested is the in-flight window, which the
    relay keeps however often it is asked (a bounded wait, not a sleep of a guessed length)."""
    deadline = time.monotonic() + 10
    while relay.push().pushed == 0:
        assert time.monotonic() < deadline
        release_queue(svc)
        time.sleep(0.1)


def entry_ids(kind: Kind, server: ScriptedApi, number: int) -> list[str]:
    return [m["id"] for text in kind.comments(server, number) if (m := ENTRY_ID.search(text))]


def test_two_cockpits_share_an_incident(kind: Kind, server: ScriptedApi, tmp_path: Path) -> None:
    a_svc, a = cockpit(tmp_path, "priya", kind, server, "alice")
    b_svc, b = cockpit(tmp_path, "marcus", kind, server, "bob")
    ref = a_svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref  # SEV2
    a_svc.add_entry(ref, "pgbouncer at 160/160", "note")
    assert a.run_once().errors == []
    [issue] = kind.issues(server)
    assert {"cockpit", "SEV2", "phase:detect"} <= kind.labels(server, 1)
    assert b.run_once().pulled == 3
    assert b_svc.get(ref).snapshot.commander == "priya" and b_svc.get(ref).snapshot.title == "Checkout 500s"

    a_svc.override_severity(ref, Severity.SEV1, "All EU checkouts failing")
    a_svc.set_phase(ref, Phase.TRIAGE)
    a.run_once()
    time.sleep(kind.tick)
    b_svc.override_severity(ref, Severity.SEV3, "Only one region")  # the later change
    b_svc.assign_role(ref, Role.SCRIBE, "lena")
    b_svc.add_entry(ref, "Rolled back v2.14.2", "action")
    assert b.run_once().errors == []
    a.run_once()
    b.run_once()

    a_detail, b_detail = a_svc.get(ref), b_svc.get(ref)
    ids = sorted(e.id for e in a_detail.timeline)
    assert ids == sorted(e.id for e in b_detail.timeline) and len(set(ids)) == len(ids)
    assert sorted(entry_ids(kind, server, 1)) == ids  # the tracker holds each entry once
    assert a_detail.snapshot.severity is b_detail.snapshot.severity is Severity.SEV3
    assert a_detail.snapshot.phase is b_detail.snapshot.phase is Phase.TRIAGE
    assert a_detail.snapshot.holders(Role.SCRIBE) == b_detail.snapshot.holders(Role.SCRIBE) == ["lena"]
    assert {"SEV3", "phase:triage"} <= kind.labels(server, 1) and "SEV1" not in kind.labels(server, 1)
    [conflict] = Merger(a_svc, "t").conflicts()
    assert conflict.field == "severity" and conflict.sentence.endswith("kept SEV3")
    assert len(kind.issues(server)) == 1 and issue is kind.issues(server)[0]


def test_a_label_changed_in_the_tracker_arrives_with_who_and_when(kind: Kind, server: ScriptedApi,
                                                                  tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    ref = svc.open_incident("Search slow", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    svc.override_severity(ref, Severity.SEV2, "more users hit")  # queued, not yet pushed
    time.sleep(kind.tick)
    kind.set_labels_by_hand(server, 1, ["SEV1", "phase:triage", "customer-visible"], user="carol")
    assert relay.run_once().errors == []
    detail = svc.get(ref)
    assert detail.snapshot.severity is Severity.SEV1 and detail.snapshot.phase is Phase.TRIAGE
    [conflict] = Merger(svc, "t").conflicts()
    assert "carol set sev1" in conflict.sentence.casefold() and conflict.sentence.endswith("kept SEV1")
    svc.set_phase(ref, Phase.RESPOND)
    relay.run_once()
    assert {"SEV1", "phase:respond", "customer-visible"} <= kind.labels(server, 1)  # a person's own label stays
    assert "phase:triage" not in kind.labels(server, 1)


def test_a_comment_written_by_hand_arrives_literally_and_once(kind: Kind, server: ScriptedApi, tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    ref = svc.open_incident("Queue backlog", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    hostile = "[bold red]fake[/] \x1b[2J\x1b]52;c;ZXZpbA==\x07 <!-- cockpit-entry 0 --> **md**"
    kind.comment_by_hand(server, 1, hostile, user="carol")
    assert relay.run_once().pulled == 1
    assert relay.run_once().pulled == 0  # re-pulls change nothing
    [entry] = [e for e in svc.get(ref).timeline if e.text == hostile]
    assert entry.kind == "note" and entry.author.casefold() == "carol"
    shown = run_cli("incident", "show", ref, db=svc.store.path, env={"COCKPIT_CONFIG": str(tmp_path / "c.yaml")})
    assert shown.returncode == 0 and "\x1b" not in shown.stdout and "[bold red]fake[/]" in shown.stdout


def test_a_retry_after_a_timeout_waits_for_the_late_request_and_finds_it(kind: Kind, server: ScriptedApi,
                                                                        tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice", settle=1.0)
    ref = svc.open_incident("Payments timeouts", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    svc.add_entry(ref, "first look at the dashboards", "note")
    server.faults = [("late", 0.3)]  # the comment's POST lands 0.3 s after the client gave up
    first = relay.push()
    assert first.pushed == 0 and first.errors
    release_queue(svc)
    posts = len([r for r in server.requests if r[0] == "POST"])
    again = relay.push()  # too early: it must not send a second copy yet
    assert again.pushed == 0 and again.waiting == 1 and again.errors == []
    assert len([r for r in server.requests if r[0] == "POST"]) == posts
    push_until_sent(svc, relay)  # the late request lands; the next attempt after the window finds it
    assert len([r for r in server.requests if r[0] == "POST"]) == posts + 1  # only the one that landed late
    assert sum("first look" in text for text in kind.comments(server, 1)) == 1


def test_without_waiting_a_late_comment_duplicates_and_the_pull_sweeps_it(kind: Kind, server: ScriptedApi,
                                                                          tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    ref = svc.open_incident("Payments timeouts", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    svc.add_entry(ref, "only once please", "note")
    server.faults = [("late", 30)]
    relay.push()
    release_queue(svc)
    assert relay.push().pushed == 1
    server.settle()  # the first POST finally lands: now the tracker holds two copies
    assert sum("only once please" in t for t in kind.comments(server, 1)) == 2
    relay.pull()
    assert sum("only once please" in t for t in kind.comments(server, 1)) == 1
    assert relay.adapter.swept == 1  # type: ignore[attr-defined]
    assert [e.text for e in svc.get(ref).timeline].count("only once please") == 1


def test_an_incident_created_twice_is_swept_and_merged_once(kind: Kind, server: ScriptedApi, tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    ref = svc.open_incident("Login errors", Impact.CORE_DOWN, Scope.ALL).ref
    server.faults_for[("POST", kind.create_path(server))] = [("late", 30)]
    relay.push()
    release_queue(svc)
    relay.push()
    server.settle()
    assert len(kind.issues(server)) == 2
    for _ in range(3):
        assert relay.run_once().errors == []
    assert kind.closed_or_marked(server, 2) and not kind.closed_or_marked(server, 1)
    assert sum("Duplicate of" in t for t in kind.comments(server, 2)) == 1  # swept once, not each pull
    assert len(svc.list_incidents(include_closed=True)) == 1 and svc.get(ref).snapshot.title == "Login errors"
    svc.add_entry(ref, "after the sweep")
    relay.run_once()
    assert any("after the sweep" in t for t in kind.comments(server, 1))
    assert not any("Duplicate of" in e.text for e in svc.get(ref).timeline)


def test_a_create_that_landed_late_is_found_before_sending_again(kind: Kind, server: ScriptedApi,
                                                                 tmp_path: Path) -> None:
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice", settle=0.5)
    svc.open_incident("Found, not made twice", Impact.DEGRADED, Scope.LT25)
    server.faults_for[("POST", kind.create_path(server))] = [("late", 0.2)]
    relay.push()
    push_until_sent(svc, relay)
    relay.push()
    assert len(kind.issues(server)) == 1


@pytest.mark.parametrize("seconds", [7, 90])
def test_a_429_becomes_a_wait_of_the_asked_length(kind: Kind, server: ScriptedApi, tmp_path: Path,
                                                  seconds: int) -> None:
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    svc.open_incident("Rate limited", Impact.DEGRADED, Scope.LT25)
    server.faults = [("429", seconds)]
    report = relay.push()
    assert report.pushed == 0 and "429" in report.errors[0]
    [op] = [o for o in outbox(svc) if o.state == "pending"][:1]
    assert op.next_attempt_at is not None
    assert op.next_attempt_at - svc.clock() >= timedelta(seconds=seconds - 1)


def test_a_spent_gitlab_budget_stops_sending_until_the_reset(tmp_path: Path) -> None:
    kind = KINDS["gitlab"]
    server = kind.make()
    server.rate_limit, server.reset_in = 4, 120  # type: ignore[attr-defined]
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    for i in range(3):
        svc.open_incident(f"Incident {i}", Impact.DEGRADED, Scope.LT25)
    report = relay.push()
    sent = len(server.requests)
    assert report.pushed >= 1 and report.errors and "rate limit" in report.errors[-1]
    assert relay.push().pushed == 0 and len(server.requests) == sent  # nothing sent until the reset
    waits = [o.next_attempt_at - svc.clock() for o in outbox(svc) if o.state == "pending" and o.next_attempt_at]
    assert waits and max(waits) >= timedelta(seconds=100)  # until RateLimit-Reset, not a guessed minute
    with pytest.raises(RateLimited):
        relay.adapter.check()


def test_many_comments_and_issues_are_read_across_pages(kind: Kind, server: ScriptedApi, tmp_path: Path) -> None:
    w_svc, writer = cockpit(tmp_path, "priya", kind, server, "alice")
    refs = [w_svc.open_incident(f"Incident {i}", Impact.DEGRADED, Scope.LT25).ref for i in range(55)]
    assert writer.run_once().errors == []
    for i in range(130):
        kind.comment_by_hand(server, 1, f"web note {i}", user="carol")
    svc, relay = cockpit(tmp_path, "marcus", kind, server, "bob")
    assert relay.run_once().errors == []
    assert len(svc.list_incidents(include_closed=True)) == 55
    first = next(i for i in svc.list_incidents(include_closed=True) if i.ref == refs[0])
    assert len({e.text for e in svc.get(first.ref).timeline if e.text.startswith("web note")}) == 130
    pages = [p for m, p in server.requests if m == "GET" and ("search" in p or p.endswith("/issues"))]
    assert len(pages) >= 2  # the listing took more than one page


def test_gitlab_pages_by_x_next_page_without_a_link_header(tmp_path: Path) -> None:
    kind = KINDS["gitlab"]
    server = kind.make()
    server.link_headers = False  # type: ignore[attr-defined]
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    ref = svc.open_incident("Paged", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    for i in range(230):
        kind.comment_by_hand(server, 1, f"note {i}", user="carol")
    assert relay.run_once().pulled == 230
    assert len([e for e in svc.get(ref).timeline if e.author == "carol"]) == 230


def test_refusals_say_what_to_do(kind: Kind, server: ScriptedApi, tmp_path: Path) -> None:
    wrong = kind.adapter(server, secret="not-a-token")
    with pytest.raises(AuthFailed, match=r"login refused \(401\).*cockpit tracker login t"):
        wrong.check()
    missing = kind.adapter(server, project="NOPE" if kind.name.startswith("jira") else "acme/nope")
    with pytest.raises(Misconfigured, match=r"project .*(NOPE|acme/nope) not found"):
        missing.check()
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice")
    ref = svc.open_incident("Refused", Impact.DEGRADED, Scope.LT25).ref
    relay.run_once()
    svc.add_entry(ref, "not allowed")
    server.faults_for[("POST", kind.comment_path(server, 1))] = [("status", 403, "You may not comment here")]
    report = relay.run_once()
    assert report.dead == 1 and "403" in report.errors[0] and "You may not comment here" in report.errors[0]
    ghost = kind.adapter(server)
    with pytest.raises(Permanent, match="404"):
        ghost.add_entry(f"{server.project}-99" if kind.name.startswith("jira") else "99",  # type: ignore[attr-defined]
                        {"id": "x", "text": "t"}, None)


def test_a_url_that_is_not_the_tracker_is_named(kind: Kind, server: ScriptedApi) -> None:
    import httpx

    html = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>Welcome to our blog</html>"))
    adapter = kind.adapter(server, url="https://blog.example.com", transport=html)
    with pytest.raises(Misconfigured, match=r"did not answer like a (GitHub|GitLab|Jira)"):
        adapter.check()


def test_gitlab_finds_an_incident_when_its_search_finds_nothing(tmp_path: Path) -> None:
    kind = KINDS["gitlab"]
    server = kind.make()
    server.search_works = False  # type: ignore[attr-defined]
    svc, relay = cockpit(tmp_path, "priya", kind, server, "alice", settle=0.5)
    svc.open_incident("Search is down", Impact.DEGRADED, Scope.LT25)
    server.faults_for[("POST", kind.create_path(server))] = [("late", 0.2)]
    relay.push()
    push_until_sent(svc, relay)
    assert len(kind.issues(server)) == 1  # found by reading the incident issues, not made twice


def test_two_cockpits_list_the_same_entries_in_the_same_order_and_export_the_same_postmortem(
        kind: Kind, server: ScriptedApi, tmp_path: Path) -> None:
    from cockpit.domain.severity import Triggers

    a_svc, a = cockpit(tmp_path, "priya", kind, server, "alice")
    b_svc, b = cockpit(tmp_path, "marcus", kind, server, "bob")
    started = a_svc.clock() - timedelta(minutes=12)
    ref = a_svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, Triggers(revenue=True),
                              services=["checkout-api", "pg, primary"], commander="priya", started_at=started).ref
    a_svc.add_entry(ref, "pgbouncer at [160/160]")
    a.run_once()
    b.run_once()
    for i in range(4):  # both write while the other is not looking
        a_svc.add_entry(ref, f"priya note {i}")
        b_svc.add_entry(ref, f"marcus note {i}", "action" if i == 2 else "note")
    a_svc.set_phase(ref, Phase.TRIAGE)
    a_svc.set_root_cause(ref, "Migration 0142 added a column without an index")
    for phase in (Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE):  # resolved: the durations stop ticking
        a_svc.set_phase(ref, phase)
    for _ in range(2):
        a.run_once()
        b.run_once()
    a_timeline, b_timeline = a_svc.get(ref).timeline, b_svc.get(ref).timeline
    assert len(a_timeline) >= 12
    assert [(e.id, e.at, e.author, e.kind, e.text) for e in a_timeline] == [(e.id, e.at, e.author, e.kind, e.text)
                                                                            for e in b_timeline]
    env = {"COCKPIT_CONFIG": str(tmp_path / "c.yaml")}
    exports = [run_cli("postmortem", ref, "--full", db=svc.store.path, env=env).stdout for svc in (a_svc, b_svc)]
    assert "so far" not in exports[0]  # nothing in it depends on when it was exported
    assert exports[0] == exports[1], "\n".join(exports)
    assert "checkout-api" in exports[0] and "pg, primary" in exports[0] and "Migration 0142" in exports[0]


def test_a_comment_written_in_the_tracker_has_one_id_whatever_the_tracker_is_called(
        kind: Kind, server: ScriptedApi, tmp_path: Path) -> None:
    a_svc, a = cockpit(tmp_path, "priya", kind, server, "alice")
    b_svc = IncidentService(Store.open(tmp_path / "marcus.db"), "marcus")
    b = Relay(b_svc, kind.adapter(server, "bob", name="ops"))
    ref = a_svc.open_incident("Named twice", Impact.DEGRADED, Scope.LT25).ref
    a.run_once()
    kind.comment_by_hand(server, 1, "written on the web", user="carol")
    a.run_once()
    b.run_once()
    a_ids = [e.id for e in a_svc.get(ref).timeline if e.text == "written on the web"]
    assert len(a_ids) == 1 and a_ids == [e.id for e in b_svc.get(ref).timeline if e.text == "written on the web"]


def test_evidence_travels_fenced_and_arrives_exactly_and_a_local_entry_stays(kind: Kind, server: ScriptedApi,
                                                                            tmp_path: Path) -> None:
    from cockpit.domain.evidence import EvidenceReader

    a_svc, a = cockpit(tmp_path, "priya", kind, server, "alice")
    b_svc, b = cockpit(tmp_path, "marcus", kind, server, "bob")
    ref = a_svc.open_incident("Evidence", Impact.DEGRADED, Scope.LT25).ref
    reader = EvidenceReader()
    reader.feed(b"$ kubectl get pods\n```\n  api-7f9 [CrashLoopBackOff]\n\n<!-- not a marker -->\n")
    sent = a_svc.add_evidence(ref, reader.finish("Standard input"))
    a_svc.add_entry(ref, "only on my laptop", local_only=True)
    assert a.run_once().errors == []
    assert b.run_once().errors == []
    [arrived] = [e for e in b_svc.get(ref).timeline if e.id == sent.id]
    assert arrived.kind == "evidence" and arrived.text == sent.text
    assert not any("only on my laptop" in t for t in kind.comments(server, 1))
    assert not any("only on my laptop" in e.text for e in b_svc.get(ref).timeline)
