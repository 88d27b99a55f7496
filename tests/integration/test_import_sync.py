"""An imported incident syncs without duplicating anything already on the tracker: the relay looks for each create
by its cockpit id (issue marker, comment marker) and links what it finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope
from cockpit.service.exchange import Exchange
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.store.models import OutboxOp, RemoteLink
from cockpit.sync.github import GitHubAdapter
from cockpit.sync.relay import Relay
from tests.integration.fake_github import FakeGitHub
from tests.integration.test_github import entry_markers


def cockpit(tmp_path: Path, name: str, server: FakeGitHub) -> tuple[IncidentService, Relay]:
    svc = IncidentService(Store.open(tmp_path / f"{name}.db"), name)
    adapter = GitHubAdapter("gh", server.base, f"{server.owner}/{server.repo}", "tok-alice",
                            transport=server.transport(), write_interval=0)
    adapter.settle_seconds = 0
    return svc, Relay(svc, adapter)


@pytest.mark.parametrize("pull_first", [True, False], ids=["sync-round", "push-only"])
def test_an_imported_incident_links_to_what_is_on_the_tracker(tmp_path: Path, pull_first: bool) -> None:
    """A full round pulls first (the merge links what it reads back); a push alone must find each create on the
    tracker by its cockpit id before sending it (``find_incident``, ``find_entry``)."""
    github = FakeGitHub()
    a_svc, a = cockpit(tmp_path, "priya", github)
    ref = a_svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref
    a_svc.add_entry(ref, "pgbouncer at 160/160", "note")
    assert a.run_once().errors == []
    [issue] = github.incident_issues()
    on_tracker = entry_markers(github, issue["number"])
    assert len(on_tracker) == 3  # declared, role, note
    # written after the last sync: on this cockpit only, so the import must send exactly this one
    late = a_svc.add_entry(ref, "Rolled back v2.14.2", "action")
    Exchange(a_svc).export(ref, tmp_path / "out")

    b_svc, b = cockpit(tmp_path, "marcus", github)
    imported = Exchange(b_svc).import_folder(tmp_path / "out")
    assert imported.queued == 6  # the incident, four entries, its fields
    report = b.run_once() if pull_first else b.push()
    assert report.errors == []
    assert len(github.incident_issues()) == 1  # the issue was found by its cockpit id, not created again
    after = entry_markers(github, issue["number"])
    assert sorted(after) == sorted([*on_tracker, late.id])  # one copy of each, the new entry once
    with b_svc.store.read() as session:
        assert session.exec(select(OutboxOp).where(OutboxOp.state == "pending")).all() == []
        links = {link.local_id: link.remote_id for link in session.exec(select(RemoteLink)).all()}
    assert links[imported.incident_id] == str(issue["number"])
    assert set(on_tracker) | {late.id} <= set(links)
    # and the role board the tracker shows is the imported one
    b_svc.assign_role(ref, Role.OPS, "kwame")
    assert b.run_once().errors == []
    assert len(github.incident_issues()) == 1
    assert len(entry_markers(github, issue["number"])) == 5


def test_an_imported_incident_pushed_to_roundup_is_not_created_twice(roundup, tmp_path: Path) -> None:
    """Roundup's creates carry a Post-Once-Exactly token, which would not stop a second copy of something another
    cockpit created: the look-first (``filter cockpit_uuid:``) is what finds it."""
    from cockpit.sync.roundup import RoundupAdapter
    from tests.integration.test_sync_e2e import tracker_messages

    def roundup_cockpit(name: str, user: str) -> tuple[IncidentService, Relay]:
        svc = IncidentService(Store.open(tmp_path / f"{name}.db"), name)
        return svc, Relay(svc, RoundupAdapter("team", roundup.url, user, roundup.users[user]))

    a_svc, a = roundup_cockpit("priya", "alice")
    ref = a_svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref
    a_svc.add_entry(ref, "pgbouncer at 160/160", "note")
    assert a.run_once().errors == []
    Exchange(a_svc).export(ref, tmp_path / "out")
    b_svc, b = roundup_cockpit("marcus", "bob")
    Exchange(b_svc).import_folder(tmp_path / "out")
    assert b.push().errors == []
    with roundup.client("alice") as client:
        issues = client.get("data/issue", params={"@fields": "cockpit_uuid"}).json()["data"]["collection"]
    assert len(issues) == 1
    assert len(tracker_messages(roundup, issues[0]["id"])) == 3  # declared, role, note: once each
