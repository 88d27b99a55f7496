"""GitLab and Jira served on 127.0.0.1 by a tracker that misbehaves on purpose (``HostileTracker`` around the
in-memory APIs): a next page on another host gets no token, endless pages stop at the cap, and one unreadable
record is parked while the rest syncs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger
from cockpit.store.db import Store
from cockpit.sync.http import Limits
from cockpit.sync.relay import Relay
from tests.integration.fake_gitlab import FakeGitLab
from tests.integration.fake_jira import FakeJira
from tests.integration.hostile_tracker import Answer, Call, HostileTracker, Witness
from tests.integration.marked_kinds import KINDS, Kind


@pytest.fixture(params=["gitlab", "jira-cloud", "jira-dc"])
def hostile(request: pytest.FixtureRequest) -> Iterator[tuple[Kind, HostileTracker]]:
    kind = KINDS[request.param]
    fake = kind.make()
    server = HostileTracker(fake=fake)
    if isinstance(fake, FakeGitLab):
        fake.base = f"{server.origin}/api/v4"
    else:
        assert isinstance(fake, FakeJira)
        fake.base = server.origin
    yield kind, server
    server.close()


def relay_on(tmp_path: Path, kind: Kind, server: HostileTracker, name: str = "priya", who: str = "alice",
             limits: Limits | None = None) -> tuple[IncidentService, Relay]:
    assert server.github is not None
    svc = IncidentService(Store.open(tmp_path / f"{name}.db"), name)
    adapter = kind.adapter(server.github, who, real_http=True, limits=limits)
    return svc, Relay(svc, adapter)


def test_a_gitlab_next_page_on_another_host_gets_no_token(witness: Witness, tmp_path: Path) -> None:
    kind = KINDS["gitlab"]
    fake = FakeGitLab()
    server = HostileTracker(fake=fake)
    fake.base = f"{server.origin}/api/v4"
    try:
        svc, relay = relay_on(tmp_path, kind, server)
        svc.open_incident("Link elsewhere", Impact.DEGRADED, Scope.LT25)

        def next_elsewhere(call: Call, answer: Answer) -> Answer:
            status, headers, body = answer
            return status, {**headers, "Link": f'<{witness.origin}/api/v4/projects/acme%2Fops/issues?page=2>; '
                                               f'rel="next"'}, body

        server.on("GET", r"/issues$", rewrite=next_elsewhere)
        report = relay.run_once()
        assert witness.calls == [] and witness.credentials_seen() == []
        assert report.pushed == 2 and any("not its own address" in e for e in report.errors)
        [parked] = Merger(svc, "t").parked()
        assert "not its own address" in parked.reason
    finally:
        server.close()


def test_endless_pages_stop_at_the_cap(hostile: tuple[Kind, HostileTracker], tmp_path: Path) -> None:
    kind, server = hostile
    svc, relay = relay_on(tmp_path, kind, server, limits=Limits(max_pages=25))
    svc.open_incident("Endless", Impact.DEGRADED, Scope.LT25)

    def endless(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        data = json.loads(body)
        if isinstance(data, list):  # GitLab: always one more page, by X-Next-Page alone
            kept = {k: v for k, v in headers.items() if k.lower() not in ("x-next-page", "link")}
            return status, {**kept, "X-Next-Page": "2"}, body
        if "nextPageToken" in call.path or "isLast" in data:  # Jira Cloud: a token that never runs out
            data.update({"isLast": False, "nextPageToken": "tok-0"})
        else:  # Jira Data Center: a total that is never reached
            data["total"] = 10**9
            data["issues"] = data["issues"] or [{"key": "OPS-1", "fields": {}}]
        return status, headers, json.dumps(data).encode()

    server.on("GET", r"/issues$|/search", rewrite=endless)
    report = relay.run_once()
    assert report.pushed == 2 and any("stopped reading" in e for e in report.errors), report.errors
    listings = [c for c in server.calls if c.method == "GET" and ("search" in c.route or c.route.endswith("/issues"))]
    assert len(listings) <= 26
    [parked] = Merger(svc, "t").parked()
    assert "stopped reading" in parked.reason and "25 pages" in parked.reason


def test_one_unreadable_incident_is_parked_and_the_rest_syncs(hostile: tuple[Kind, HostileTracker],
                                                              tmp_path: Path) -> None:
    kind, server = hostile
    other_svc, other = relay_on(tmp_path, kind, server, "lena", "bob")
    other_svc.open_incident("Theirs", Impact.DEGRADED, Scope.LT25)
    other_svc.open_incident("Also theirs", Impact.DEGRADED, Scope.LT25)
    assert other.run_once().errors == []

    def corrupt(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        data = json.loads(body)
        for issue in data if isinstance(data, list) else data.get("issues", []):
            if issue.get("iid") == 1:  # GitLab: the reference in the hidden block is a list
                issue["description"] = issue["description"].replace('"ref": "', '"ref": ["', 1).replace(
                    '", "roles"', '"], "roles"', 1)
            if issue.get("key") == "OPS-1":  # Jira: the property's reference is an object
                issue["properties"]["cockpit"]["ref"] = {"evil": True}
        return status, headers, json.dumps(data).encode()

    server.on("GET", r"/issues$|/search", rewrite=corrupt)
    svc, relay = relay_on(tmp_path, kind, server)
    svc.open_incident("Ours", Impact.DEGRADED, Scope.LT25)
    report = relay.run_once()
    assert report.pushed == 2, report.errors
    titles = {s.title for s in svc.list_incidents(include_closed=True)}
    assert {"Ours", "Also theirs"} <= titles and "Theirs" not in titles
    [parked] = Merger(svc, "t").parked()
    assert "its ref is a" in parked.reason


def test_an_answer_nested_absurdly_deep_is_one_error_and_the_push_goes_on(hostile: tuple[Kind, HostileTracker],
                                                                         tmp_path: Path) -> None:
    """JSON nested past what Python's parser can follow raised RecursionError (not ValueError) out of the round."""
    kind, server = hostile
    svc, relay = relay_on(tmp_path, kind, server)
    svc.open_incident("Deep", Impact.DEGRADED, Scope.LT25)
    deep = b"[" * 200_000 + b"]" * 200_000
    server.on("GET", r"/issues$|/search", rewrite=lambda call, answer: (200, answer[1], deep))
    report = relay.run_once()
    assert report.pushed == 2 and any("nested too deeply" in e for e in report.errors), report.errors


def test_a_number_too_large_for_an_integer_is_no_number_and_the_push_goes_on(
        hostile: tuple[Kind, HostileTracker], tmp_path: Path) -> None:
    """JSON reads 1e999 as infinity, and int(infinity) raised OverflowError (not ValueError) out of the round:
    a GitLab issue's number, a Jira search's total or a comment's id that big counts as no number."""
    kind, server = hostile
    other_svc, other = relay_on(tmp_path, kind, server, "lena", "bob")
    other_svc.open_incident("Theirs", Impact.DEGRADED, Scope.LT25)
    assert other.run_once().errors == []

    def huge(call: Call, answer: Answer) -> Answer:
        status, headers, body = answer
        for field in (b'"iid": ', b'"total": ', b'"id": '):
            body = re.sub(re.escape(field) + rb"\d+", field + b"1e999", body)
        return status, headers, body

    server.on("GET", r"/issues$|/search|/notes|/comment", rewrite=huge)
    svc, relay = relay_on(tmp_path, kind, server)
    svc.open_incident("Ours", Impact.DEGRADED, Scope.LT25)
    report = relay.run_once()
    assert report.pushed == 2, report.errors
