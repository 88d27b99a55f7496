"""The Roundup fixture runs a real tracker whose REST API behaves as the cockpit's adapter expects."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import httpx
import pytest

from tests.integration import roundup_server
from tests.integration.roundup_server import RoundupPool, RoundupTracker, port_accepts


def read_item(client: httpx.Client, path: str, **params: Any) -> tuple[dict[str, Any], str]:
    """GET one item: (its "attributes", the ETag header)."""
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["attributes"], answer.headers["ETag"]


def create(client: httpx.Client, path: str, payload: dict[str, Any]) -> str:
    answer = client.post(path, json=payload)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


def test_issue_with_cockpit_fields_round_trips_and_carries_an_etag(roundup: RoundupTracker):
    marker = str(uuid.uuid4())
    with roundup.client("alice") as alice:
        answer = alice.post("data/issue", json={"title": "Checkout returns 502", "severity": "SEV2",
                                                "phase": "triage", "cockpit_uuid": marker, "cockpit_ref": "INC-7",
                                                "roles": '{"incident_commander": "alice"}'})
        assert answer.status_code == 201, answer.text
        created = answer.json()["data"]
        assert created["link"] == f"{roundup.rest}data/issue/{created['id']}"
        assert answer.headers["Location"] == created["link"]

        fetched = alice.get(f"data/issue/{created['id']}", params={"@verbose": 3})
    assert fetched.status_code == 200
    data = fetched.json()["data"]
    attributes = data["attributes"]
    assert (data["id"], data["type"]) == (created["id"], "issue")
    assert attributes["title"] == "Checkout returns 502"
    assert attributes["severity"] == "SEV2"
    assert attributes["phase"] == "triage"
    assert attributes["cockpit_uuid"] == marker
    assert attributes["cockpit_ref"] == "INC-7"
    assert attributes["roles"] == '{"incident_commander": "alice"}'
    assert attributes["impact"] is None  # custom fields never sent read back as null
    assert attributes["status"]["name"] == "unread"  # the classic template's default
    # The ETag header is the body's "@etag", with "-gzip" appended when the answer was compressed.
    etag = fetched.headers["ETag"]
    assert etag in (data["@etag"], data["@etag"][:-1] + '-gzip"')


def test_creator_is_the_authenticated_user_and_writes_need_the_csrf_headers(roundup: RoundupTracker):
    with roundup.client("bob") as bob:
        issue = create(bob, "data/issue", {"title": "by bob"})
        attributes, _ = read_item(bob, f"data/issue/{issue}", **{"@fields": "creator,activity", "@verbose": 3})
    assert attributes["creator"]["username"] == "bob"
    assert len(attributes["activity"]) == len("2026-11-22.21:02:07")  # YYYY-MM-DD.HH:MM:SS, UTC

    with httpx.Client(base_url=roundup.rest, auth=roundup.credentials("bob"), timeout=10) as bare:
        missing = bare.post("data/issue", json={"title": "no headers"})
        wrong_origin = bare.post("data/issue", json={"title": "x"},
                                 headers={"X-Requested-With": "rest", "Origin": "http://localhost:1"})
        listed = bare.get("data/issue")
    assert missing.status_code == 400
    assert missing.json()["error"]["msg"] == "Required Header Missing"
    assert wrong_origin.status_code == 400
    assert listed.json()["data"]["@total_size"] == 1  # reads need no extra headers; nothing else was created


def test_post_once_exactly_link_creates_exactly_one_issue(roundup: RoundupTracker):
    marker = str(uuid.uuid4())
    with roundup.client("alice") as alice:
        token = alice.post("data/issue/@poe", json={})  # send a body: without Content-Length the server waits
        assert token.status_code == 200, token.text
        link = token.json()["data"]["link"]
        assert link.startswith(f"{roundup.rest}data/issue/@poe/")

        first = alice.post(link, json={"title": "created once", "cockpit_uuid": marker})
        again = alice.post(link, json={"title": "created once", "cockpit_uuid": marker})
        found = alice.get("data/issue", params={"cockpit_uuid:": marker})
        everything = alice.get("data/issue")

    assert first.status_code == 201, first.text
    assert again.status_code == 400
    assert "not valid" in again.json()["error"]["msg"]
    assert [item["id"] for item in found.json()["data"]["collection"]] == [first.json()["data"]["id"]]
    assert everything.json()["data"]["@total_size"] == 1


def test_message_is_attached_with_if_match_and_a_stale_etag_is_refused(roundup: RoundupTracker):
    with roundup.client("alice") as alice:
        issue = create(alice, "data/issue", {"title": "timeline", "cockpit_uuid": str(uuid.uuid4())})
        note_uuid = str(uuid.uuid4())
        msg = create(alice, "data/msg", {"content": "Rolled back the deploy", "author": "alice",
                                         "cockpit_uuid": note_uuid})
        message, _ = read_item(alice, f"data/msg/{msg}", **{"@verbose": 3})
        assert message["content"] == "Rolled back the deploy"
        assert message["author"]["username"] == "alice"
        assert message["cockpit_uuid"] == note_uuid

        before, etag = read_item(alice, f"data/issue/{issue}")
        no_precondition = alice.patch(f"data/issue/{issue}", json={"@op": "add", "messages": [msg]})
        attached = alice.patch(f"data/issue/{issue}", json={"@op": "add", "messages": [msg]},
                               headers={"If-Match": etag})
        stale = alice.patch(f"data/issue/{issue}", json={"severity": "SEV1"}, headers={"If-Match": etag})
        after, new_etag = read_item(alice, f"data/issue/{issue}")

        second = create(alice, "data/msg", {"content": "Error rate back to normal", "author": "alice"})
        replaced = alice.put(f"data/issue/{issue}", json={"messages": [msg, second]},
                             headers={"If-Match": new_etag})
        final, _ = read_item(alice, f"data/issue/{issue}", **{"@verbose": 2})

    assert before["messages"] == []
    assert no_precondition.status_code == 412
    assert attached.status_code == 200, attached.text
    assert attached.json()["data"]["attribute"]["messages"] == [msg]  # write answers list what changed
    assert stale.status_code == 412
    assert "If-Match" in stale.json()["error"]["msg"]
    assert new_etag != etag  # attaching a message changes the issue's ETag
    assert [m["id"] for m in after["messages"]] == [msg]
    assert after["severity"] is None  # the stale write changed nothing
    assert after["status"]["id"] == "3"  # classic auditor: the first message moves "unread" to "chatting"
    assert replaced.status_code == 200, replaced.text
    assert [m["id"] for m in final["messages"]] == [msg, second]
    assert final["status"]["name"] == "chatting"


def test_filter_by_cockpit_uuid_is_exact_only_with_the_colon_operator(roundup: RoundupTracker):
    marker = str(uuid.uuid4())
    with roundup.client("alice") as alice:
        wanted = create(alice, "data/issue", {"title": "wanted", "cockpit_uuid": marker})
        create(alice, "data/issue", {"title": "longer", "cockpit_uuid": marker + "-2"})
        create(alice, "data/issue", {"title": "upper", "cockpit_uuid": marker.upper()})
        create(alice, "data/issue", {"title": "other", "cockpit_uuid": str(uuid.uuid4())})
        exact = alice.get("data/issue", params={"cockpit_uuid:": marker, "@fields": "title,cockpit_uuid"})
        loose = alice.get("data/issue", params={"cockpit_uuid": marker})
        nothing = alice.get("data/issue", params={"cockpit_uuid:": "no-such-uuid"})

    assert exact.status_code == 200
    assert exact.headers["X-Count-Total"] == "1"
    assert exact.json()["data"]["collection"] == [
        {"id": wanted, "link": f"{roundup.rest}data/issue/{wanted}", "title": "wanted", "cockpit_uuid": marker},
    ]
    assert loose.json()["data"]["@total_size"] == 3  # without ":" it is a case-insensitive word match
    assert nothing.json()["data"] == {"collection": [], "@total_size": 0}


def test_rate_limiter_can_be_switched_on_per_tracker(roundup_factory: RoundupPool):
    tracker = roundup_factory(rate_limit=2)
    with tracker.client("alice") as alice, tracker.client("bob") as bob:
        allowed = [alice.get("data/issue") for _ in range(2)]
        refused = alice.get("data/issue")
        other_user = bob.get("data/issue")

    assert [answer.status_code for answer in allowed] == [200, 200]
    assert allowed[0].headers["X-RateLimit-Limit"] == "2"
    assert allowed[0].headers["X-RateLimit-Limit-Period"] == "60"
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"]["source"] == "ApiRateLimiter"
    assert other_user.status_code == 200  # the budget is per user


def test_trackers_are_stopped_and_removed_even_when_the_test_fails():
    """The fixtures use RoundupPool: closing it (also on an exception) stops every server and removes its files."""
    with pytest.raises(RuntimeError, match="test body failed"), RoundupPool() as pool:
        first = pool.start()
        second = pool.start(name="other", users={"carol": "secret"})
        assert first.port != second.port
        with httpx.Client(timeout=5) as client:
            assert client.get(second.rest, auth=("carol", "secret")).status_code == 200
            assert client.get(first.rest, auth=("carol", "secret")).status_code == 401  # separate trackers
        assert port_accepts(first.port) and port_accepts(second.port)
        raise RuntimeError("test body failed")

    for tracker in (first, second):
        assert tracker.process.returncode is not None
        assert not port_accepts(tracker.port)
        assert not tracker.base.exists()
    first.stop()  # stopping twice is harmless


def test_start_retries_when_the_chosen_port_is_taken(monkeypatch: pytest.MonkeyPatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        real_free_port = roundup_server.free_port
        ports = iter([taken])
        monkeypatch.setattr(roundup_server, "free_port", lambda: next(ports, None) or real_free_port())

        with roundup_server.running_roundup(users=()) as tracker:
            assert tracker.port != taken
            assert tracker.url == f"http://127.0.0.1:{tracker.port}/cockpit/"
            with tracker.client() as admin:  # the Origin check follows the rewritten tracker web address
                created = admin.post("data/issue", json={"title": "after a port clash"})
            assert created.status_code == 201, created.text
            assert "GET /cockpit/rest/ " in tracker.log()  # the request log of the server that came up
            clash = (tracker.base / f"server-{taken}.log").read_text()
        assert "port already in use" in clash
