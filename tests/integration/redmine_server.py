"""Start and stop a real Redmine (Debian's ``redmine`` + ``redmine-sqlite``) on 127.0.0.1 for the tests.

The package's own SQLite database (migrated, default data loaded) is copied to a temporary folder and Rails is
pointed at the copy with ``DATABASE_URL``, so the tests never touch the system's Redmine and start from the same
state every session. One ``bin/rails runner`` script enables the REST API and creates what the tests use: users
alice and bob (Managers, with API keys), the project ``incidents`` with the trackers Bug and Incident, and the
issue custom fields Severity (SEV1..SEV4) and Phase (the cockpit's phases). ``bin/rails server -u webrick`` then
serves it (Debian's Gemfile names no web server: ``scripts/install-system-deps.sh`` adds webrick in
``Gemfile.local``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REDMINE_HOME = Path("/usr/share/redmine")
PACKAGE_DB = Path("/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default")
START_TIMEOUT = 120.0  # a loaded 2-core machine: Rails takes 10-20 s alone
PROJECT = "incidents"

SETUP_SCRIPT = r"""
require "json"
Setting.rest_api_enabled = "1"
Setting.text_formatting = "common_mark"
admin = User.find_by_login("admin")
manager = Role.find_by_name("Manager")
incident = Tracker.find_by_name("Incident") || Tracker.create!(name: "Incident",
  default_status: IssueStatus.first, core_fields: Tracker::CORE_FIELDS)
trackers = [incident, Tracker.find_by_name("Bug")]
severity = IssueCustomField.find_by_name("Severity") || IssueCustomField.create!(name: "Severity",
  field_format: "list", possible_values: %w[SEV1 SEV2 SEV3 SEV4], is_for_all: false, trackers: trackers,
  is_filter: true)
phase = IssueCustomField.find_by_name("Phase") || IssueCustomField.create!(name: "Phase", field_format: "list",
  possible_values: %w[DETECT TRIAGE RESPOND MITIGATE RESOLVE REVIEW], is_for_all: false, trackers: trackers)
project = Project.find_by_identifier("incidents") || Project.create!(name: "Incidents", identifier: "incidents",
  is_public: false, tracker_ids: trackers.map(&:id), enabled_module_names: %w[issue_tracking],
  issue_custom_field_ids: [severity.id, phase.id])
keys = {"admin" => admin.api_key}
%w[alice bob].each do |login|
  user = User.find_by_login(login) || User.create!(firstname: login.capitalize, lastname: "Tester",
    mail: "#{login}@example.com", password: "#{login}-password-123") { |u| u.login = login }
  next if project.members.where(user_id: user.id).exists?
  Member.create!(project: project, principal: user, roles: [manager])
end
%w[alice bob].each { |login| keys[login] = User.find_by_login(login).api_key }
puts "COCKPIT-SETUP " + JSON.generate({"keys" => keys, "severity" => severity.id, "phase" => phase.id,
  "tracker" => incident.id, "trackers" => trackers.map(&:id), "manager" => manager.id,
  "members" => %w[alice bob].map { |login| User.find_by_login(login).id }})
"""


class RedmineError(RuntimeError):
    """Redmine could not be set up or did not come up; the message says why."""


def missing_redmine() -> str | None:
    """Why Redmine cannot run here, or None when it can."""
    if not (REDMINE_HOME / "bin" / "rails").exists():
        return f"Redmine is not installed ({REDMINE_HOME}/bin/rails is missing): run scripts/install-system-deps.sh"
    if not PACKAGE_DB.exists():
        return f"Redmine's SQLite database {PACKAGE_DB} is missing: reinstall redmine-sqlite"
    local = REDMINE_HOME / "Gemfile.local"
    if not local.exists() or "webrick" not in local.read_text(encoding="utf-8", errors="replace"):
        return f"{REDMINE_HOME}/Gemfile.local does not add webrick: run scripts/install-system-deps.sh"
    return None


@dataclass
class RedmineServer:
    port: int
    url: str  # http://127.0.0.1:PORT/
    keys: dict[str, str]  # login -> API key (admin, alice, bob)
    severity_field: int
    phase_field: int
    tracker_id: int
    base: Path
    process: subprocess.Popen[bytes]
    setup: dict[str, Any] = field(default_factory=dict)  # what the set-up script made (ids)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    def client(self, user: str = "admin") -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-Redmine-API-Key": self.keys[user]}, timeout=30)

    def new_project(self) -> str:
        """A fresh project like ``incidents`` (both trackers, both custom fields, alice and bob as Managers), for
        a test that must see only its own incidents in a pull."""
        identifier = "t" + uuid.uuid4().hex[:12]
        with self.client() as client:
            made = client.post("projects.json", json={"project": {
                "name": identifier, "identifier": identifier, "is_public": False,
                "tracker_ids": self.setup["trackers"], "enabled_module_names": ["issue_tracking"],
                "issue_custom_field_ids": [self.severity_field, self.phase_field]}})
            assert made.status_code == 201, made.text
            for member in self.setup["members"]:
                joined = client.post(f"projects/{identifier}/memberships.json", json={"membership": {
                    "user_id": member, "role_ids": [self.setup["manager"]]}})
                assert joined.status_code == 201, joined.text
        return identifier

    def journals(self, issue_id: str) -> list[dict[str, object]]:
        with self.client() as client:
            answer = client.get(f"issues/{issue_id}.json", params={"include": "journals"})
            answer.raise_for_status()
            return list(answer.json()["issue"]["journals"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redmine() -> RedmineServer:
    reason = missing_redmine()
    if reason is not None:
        raise RedmineError(reason)
    base = Path(tempfile.mkdtemp(prefix="cockpit-redmine-"))
    shutil.copy(PACKAGE_DB, base / "redmine.sqlite3")
    env = {**os.environ, "RAILS_ENV": "production", "DATABASE_URL": f"sqlite3:{base / 'redmine.sqlite3'}"}
    timings: dict[str, float] = {}
    began = time.monotonic()
    setup = subprocess.run([str(REDMINE_HOME / "bin" / "rails"), "runner", SETUP_SCRIPT], cwd=REDMINE_HOME, env=env,
                           capture_output=True, text=True, timeout=START_TIMEOUT)
    timings["setup_s"] = time.monotonic() - began
    line = next((x for x in setup.stdout.splitlines() if x.startswith("COCKPIT-SETUP ")), None)
    if setup.returncode != 0 or line is None:
        shutil.rmtree(base, ignore_errors=True)
        raise RedmineError(f"bin/rails runner failed ({setup.returncode}): {(setup.stderr or setup.stdout)[-2000:]}")
    data = json.loads(line.removeprefix("COCKPIT-SETUP "))
    port = _free_port()
    log = (base / "server.log").open("wb")
    process = subprocess.Popen(
        [str(REDMINE_HOME / "bin" / "rails"), "server", "-u", "webrick", "-b", "127.0.0.1", "-p", str(port),
         "-P", str(base / "server.pid")], cwd=REDMINE_HOME, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = RedmineServer(port, f"http://127.0.0.1:{port}/", data["keys"], int(data["severity"]),
                           int(data["phase"]), int(data["tracker"]), base, process, data, timings)
    began = time.monotonic()
    deadline = began + START_TIMEOUT
    while True:
        if process.poll() is not None:
            text = (base / "server.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise RedmineError(f"bin/rails server exited ({process.returncode}): {text}")
        try:
            with server.client() as client:
                if client.get("users/current.json").status_code == 200:
                    break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            text = (base / "server.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise RedmineError(f"Redmine did not answer within {START_TIMEOUT:g} s: {text}")
        time.sleep(0.2)  # polling a starting server: the condition is its first answer
    timings["start_s"] = time.monotonic() - began
    return server


@contextlib.contextmanager
def running_redmine() -> Iterator[RedmineServer]:
    server = start_redmine()
    try:
        yield server
    finally:
        server.stop()
