"""Entries that never leave the machine, and redaction before sync, against a real Roundup and the GitHub fake.

Everything is written through the ``cockpit`` command (with a config that adds a customer-id pattern); the relay
then pushes; the test reads back every message the tracker holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.sync.github import GitHubAdapter
from cockpit.sync.relay import Relay
from cockpit.sync.roundup import RoundupAdapter
from tests.conftest import run_cli
from tests.integration.fake_github import FakeGitHub
from tests.integration.roundup_server import RoundupTracker

SECRET_NOTE = "Customer CUST-884211 called: their card ends 4242"
PRIVATE = ("bob@example.com", "10.20.30.40", "2001:db8::7", "CUST-123456", "CUST-884211", "4242")


def write_through_cli(tmp_path: Path) -> tuple[Path, str, dict[str, str]]:
    config = tmp_path / "config.yaml"
    config.write_text("redact_patterns:\n  customer: 'CUST-\\d{6}'\n", encoding="utf-8")
    env = {"COCKPIT_CONFIG": str(config)}
    db = tmp_path / "priya.db"
    opened = run_cli("incident", "open", "Login failures", "--impact", "degraded", "--scope", "lt25", db=db, env=env)
    assert opened.returncode == 0, opened.stderr
    ref = opened.stdout.strip().splitlines()[-1]
    local = run_cli("note", ref, "--local-only", SECRET_NOTE, db=db, env=env)
    assert local.returncode == 0, local.stderr
    assert "local only: never sent to a tracker" in local.stdout
    sent = run_cli("note", ref, "bob@example.com sees 502s from 10.20.30.40 and 2001:db8::7 (CUST-123456)",
                   db=db, env=env)
    assert sent.returncode == 0, sent.stderr
    assert "sent to tracker with 4 redactions: customer, email, ip" in sent.stdout
    evidence = tmp_path / "events.txt"
    evidence.write_text("LAST SEEN   TYPE      REASON\n2m   Warning   BackOff  pod/login-1\n", encoding="utf-8")
    assert run_cli("note", ref, "--file", str(evidence), db=db, env=env).returncode == 0
    local_evidence = run_cli("note", ref, "--file", str(evidence), "--local-only", db=db, env=env)
    assert local_evidence.returncode == 0
    return db, ref, env


def assert_nothing_private(bodies: list[str]) -> None:
    together = "\n".join(bodies)
    for private in PRIVATE:
        assert private not in together
    assert "[email] sees 502s from [ip] and [ip] ([customer])" in together
    assert "```text\nLAST SEEN   TYPE      REASON\n2m   Warning   BackOff  pod/login-1\n```" in together
    assert together.count("LAST SEEN") == 1  # the local-only copy stayed home


def test_nothing_local_only_or_unredacted_reaches_roundup(roundup: RoundupTracker, tmp_path: Path) -> None:
    db, ref, env = write_through_cli(tmp_path)
    svc = IncidentService(Store.open(db), "priya")
    relay = Relay(svc, RoundupAdapter("team", roundup.url, "alice", roundup.users["alice"]))
    report = relay.run_once()
    assert report.errors == [] and svc.pending_outbox() == 0
    remote = relay.adapter.find_incident(svc.get(ref).snapshot.id)
    with roundup.client("alice") as client:
        issue = client.get(f"data/issue/{remote}").json()["data"]["attributes"]
        bodies = [client.get(f"data/msg/{link['id']}", params={"@verbose": 3}).json()["data"]["attributes"]
                  ["content"] for link in issue["messages"]]
    assert len(bodies) == 3  # declared, the redacted note, the evidence
    assert_nothing_private(bodies)
    # the responder sees here what was kept back
    shown = run_cli("incident", "show", ref, db=db, env=env).stdout
    assert "⌂ " + SECRET_NOTE in shown
    assert "(local only: never sent to a tracker)" in shown
    assert "(sent to tracker with 4 redactions: customer, email, ip)" in shown
    timeline = json.loads(run_cli("incident", "show", ref, "--json", db=db, env=env).stdout)["timeline"]
    assert [e.get("local_only", False) for e in timeline] == [False, True, False, False, True]
    assert timeline[2]["redacted"] == {"customer": 1, "email": 1, "ip": 2}
    # another cockpit reads the evidence back as it was written: unfenced, its kind kept
    other = IncidentService(Store.open(tmp_path / "marcus.db"), "marcus")
    Relay(other, RoundupAdapter("team", roundup.url, "bob", roundup.users["bob"])).run_once()
    [pulled] = [e for e in other.get(ref).timeline if e.kind == "evidence"]
    assert pulled.text == "LAST SEEN   TYPE      REASON\n2m   Warning   BackOff  pod/login-1"


@pytest.mark.tracker
def test_nothing_local_only_or_unredacted_reaches_github(tmp_path: Path) -> None:
    github = FakeGitHub()
    db, _, _ = write_through_cli(tmp_path)
    svc = IncidentService(Store.open(db), "priya")
    adapter = GitHubAdapter("gh", github.base, f"{github.owner}/{github.repo}", "tok-alice",
                            transport=github.transport(), write_interval=0)
    assert Relay(svc, adapter).run_once().errors == []
    [issue] = github.incident_issues()
    bodies = [comment["body"] for comment in github.comments_on(issue["number"])]
    assert len(bodies) == 3
    assert_nothing_private([issue["title"], issue["body"], *bodies])
