"""Cockpits for integration tests: a real SQLite file, a relay in this process, and the environment its CLI
runs with (config folder, tracker settings, the secret in the environment variable)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import select

from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.store.models import OutboxOp
from cockpit.sync.github import GitHubAdapter
from cockpit.sync.redmine import RedmineAdapter
from cockpit.sync.relay import Relay
from cockpit.sync.roundup import RoundupAdapter
from cockpit.sync.settings import Tracker, save_trackers
from tests.conftest import run_cli
from tests.integration.hostile_tracker import HostileTracker
from tests.integration.redmine_server import PROJECT, RedmineServer
from tests.integration.roundup_server import RoundupTracker


@dataclass
class Cockpit:
    """One cockpit: its database, its relay (in this process) and the environment its CLI runs with."""

    svc: IncidentService
    relay: Relay
    env: dict[str, str]

    @property
    def db(self) -> Path:
        return self.svc.store.path

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, db=self.db, env=self.env, timeout=timeout)

    def status(self) -> dict[str, Any]:
        done = self.cli("sync", "status", "--json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout)[0])

    def pending(self) -> list[OutboxOp]:
        with self.svc.store.read() as session:
            return list(session.exec(select(OutboxOp).where(OutboxOp.state == "pending")).all())


def outbox(svc: IncidentService) -> list[OutboxOp]:
    with svc.store.read() as session:
        return list(session.exec(select(OutboxOp)).all())


def release_queue(svc: IncidentService) -> None:
    """Make every queued change due now (skip the backoff a test is not about)."""
    with svc.store.write() as session:
        for row in session.exec(select(OutboxOp).where(OutboxOp.state == "pending")).all():
            row.next_attempt_at = None
            session.add(row)


def roundup_cockpit(tmp_path: Path, hostile: HostileTracker, tracker: RoundupTracker, name: str = "priya",
                    user: str = "alice", tracker_name: str = "team") -> Cockpit:
    """A cockpit syncing with ``tracker`` through ``hostile`` (which shows it only the issues it created)."""
    url = f"{hostile.origin}/{tracker.name}/"
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    save_trackers([Tracker(tracker_name, "roundup", url)], path=folder / "trackers.yaml")
    variable = "COCKPIT_TRACKER_TOKEN_" + tracker_name.upper().replace("-", "_")
    env = {"COCKPIT_CONFIG": str(folder / "config.yaml"), variable: f"{user}:{tracker.users[user]}"}
    svc = IncidentService(Store.open(folder / "cockpit.db"), name)
    return Cockpit(svc, Relay(svc, RoundupAdapter(tracker_name, url, user, tracker.users[user])), env)


def github_cockpit(tmp_path: Path, hostile: HostileTracker, name: str = "priya", token: str = "tok-alice") -> Cockpit:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    save_trackers([Tracker("gh", "github", hostile.origin + "/", "acme/incidents")], path=folder / "trackers.yaml")
    env = {"COCKPIT_CONFIG": str(folder / "config.yaml"), "COCKPIT_TRACKER_TOKEN_GH": token}
    svc = IncidentService(Store.open(folder / "cockpit.db"), name)
    adapter = GitHubAdapter("gh", hostile.origin, "acme/incidents", token, write_interval=0)
    adapter.settle_seconds = 0.0
    return Cockpit(svc, Relay(svc, adapter), env)




REDMINE_OPTIONS = {"tracker": "Incident", "severity_field": "Severity", "phase_field": "Phase"}


def redmine_cockpit(tmp_path: Path, server: RedmineServer, name: str = "priya", user: str = "alice",
                    url: str = "", options: dict[str, str] | None = None, project: str = PROJECT) -> Cockpit:
    """A cockpit syncing with the real Redmine as ``user`` (its API key in the environment variable)."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    url = url or server.url
    options = REDMINE_OPTIONS if options is None else options
    save_trackers([Tracker("rm", "redmine", url, project, tuple(sorted(options.items())))],
                  path=folder / "trackers.yaml")
    env = {"COCKPIT_CONFIG": str(folder / "config.yaml"), "COCKPIT_TRACKER_TOKEN_RM": server.keys[user]}
    svc = IncidentService(Store.open(folder / "cockpit.db"), name)
    adapter = RedmineAdapter("rm", url, project, server.keys[user], options)
    adapter.settle_seconds = 0.0
    return Cockpit(svc, Relay(svc, adapter), env)
