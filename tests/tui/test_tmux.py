"""One user journey through the real terminal: the cockpit in tmux, driven with send-keys, read with capture-pane."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope, Severity
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


#: The command runs without COLUMNS and LINES: a tmux server keeps the environment it started with, and one
#: started from a test process can carry COLUMNS=80 LINES=24, which Textual (shutil.get_terminal_size) believes
#: over the pane's real size.
SIZED_BY_THE_PANE = ("env", "-u", "COLUMNS", "-u", "LINES", "sh", "-c")


class Tmux:
    def __init__(self, command: str, width: int, height: int) -> None:
        self.name = f"cockpit-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        *SIZED_BY_THE_PANE, command], check=True)

    def screen(self) -> str:
        result = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return result.stdout

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"'{text}' did not appear; the screen shows:\n{self.screen()}")

    def send(self, *args: str) -> None:
        """tmux send-keys to this session."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, *args], check=True)

    def keys(self, *keys: str) -> None:
        for key in keys:
            if key == "Escape":
                self.escape()
            else:
                self.send(key)
            time.sleep(0.15)

    def escape(self) -> None:
        """Esc, with F12 (bound to nothing) right behind it: a lone Esc is only taken as the Escape key once the
        terminal parser has waited for the rest of a possible escape sequence (ESCDELAY, 100 ms, checked every 100
        ms), and a key sent in that window reads as alt+key (on a busy machine the window is longer); the next
        escape sequence ends that wait at once."""
        self.send("Escape", "F12")

    def type(self, text: str) -> None:
        self.send("-l", text)
        time.sleep(0.2)

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def cockpit_command(tmp_path: Path, db: Path, args: str = "", responder: str = "dana",
                    **more_env: str) -> tuple[str, Path]:
    """The shell command that runs ``cockpit ARGS`` on ``db`` with its own folders, and the file its exit code is
    written to."""
    env = {"COCKPIT_DB": str(db), "COCKPIT_RESPONDER": responder, "TZ": "UTC",
           "COCKPIT_CONFIG": str(tmp_path / "none.yaml"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color", **more_env}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    marker = tmp_path / "exited"
    command = (f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.quote(sys.executable)} -m cockpit {args}; "
               f"echo $? > {shlex.quote(str(marker))}; sleep 5")
    return command, marker


@pytest.fixture
def cockpit_in_tmux(tmp_path: Path):
    db = tmp_path / "journey.db"
    command, marker = cockpit_command(tmp_path, db)
    session = Tmux(command, 80, 24)
    yield session, db, marker
    session.close()


def test_a_whole_incident_in_the_real_terminal(cockpit_in_tmux) -> None:
    tmux, db, marker = cockpit_in_tmux
    tmux.wait_for("No incidents yet")
    # declare a SEV2: degraded performance for more than 25% of users
    tmux.keys("n")
    tmux.wait_for("Declare an incident")
    tmux.type("Login latency for EU users")
    tmux.keys("Tab")
    tmux.type("auth-api")
    tmux.keys("Tab", "Tab")
    tmux.wait_for("› Scope")
    tmux.keys("Enter")  # scope: <25% -> >25%, once its menu is open (a loaded machine opens it late)
    tmux.wait_for("all users")
    tmux.keys("Down", "Enter")
    tmux.wait_for("SEV2 because: degraded performance × >25% of users")
    tmux.keys("C-s")
    screen = tmux.wait_for("SEV2  INC-")
    assert "DETECT" in screen and "Login latency" in screen
    # assign an IC (handed over from the declarer) and a scribe
    tmux.keys("2")
    tmux.wait_for("┏━ [2] Roles")  # focus moved before the next key (a loaded machine is slow to draw)
    tmux.keys("a")
    tmux.wait_for("Assign Incident Commander")
    tmux.type("priya")
    tmux.keys("Enter")
    tmux.wait_for("priya since")
    tmux.keys("Down", "Down", "Down", "Down")
    tmux.wait_for("›Scribe")
    tmux.keys("a")
    tmux.wait_for("Assign Scribe")
    tmux.type("lena")
    tmux.keys("Enter")
    tmux.wait_for("lena since")
    # three timeline entries
    tmux.keys("e")
    tmux.wait_for("writing as dana")
    for line in ("/d Fail over auth to us-east", "/a Add EU latency SLO alert", "p99 at 2.4 s on auth-api"):
        tmux.type(line)
        tmux.keys("Enter")
    tmux.wait_for("p99 at 2.4 s on auth-api")
    tmux.keys("Escape")
    time.sleep(0.3)
    # raise it to SEV1 through the matrix: degraded × all users
    tmux.keys("3")
    tmux.wait_for("┏━ [3] Severity")
    tmux.keys("Right", "Enter")
    tmux.wait_for("Apply SEV1 from the matrix?")  # it says what it writes, and asks
    tmux.keys("y")
    tmux.wait_for("SEV1  INC-")
    # post a status update and quit
    tmux.keys("s")
    tmux.wait_for("Status update")
    tmux.type("Failover under way; EU logins recovering")
    tmux.keys("Enter")
    tmux.wait_for("Failover under way")
    tmux.keys("C-q")
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists() and marker.read_text().strip() == "0"

    svc = IncidentService(Store.open(db), "checker")
    summary = svc.list_incidents()[0]
    detail = svc.get(summary.ref)
    snap = detail.snapshot
    assert snap.title == "Login latency for EU users" and snap.services == ("auth-api",)
    assert snap.severity is Severity.SEV1
    assert snap.commander == "priya" and snap.holders(Role.SCRIBE) == ["lena"]
    kinds = [(e.kind, e.text) for e in detail.timeline]
    assert ("decision", "Fail over auth to us-east") in kinds
    assert ("action", "Add EU latency SLO alert") in kinds
    assert ("note", "p99 at 2.4 s on auth-api") in kinds
    assert ("status", "Failover under way; EU logins recovering") in kinds
    assert any(k == "severity" and t.startswith("Severity SEV2 → SEV1") for k, t in kinds)
    assert any(k == "handover" and "dana → priya" in t for k, t in kinds)
    assert all(e.author == "dana" for e in detail.timeline)
    assert os.path.getsize(db) > 0


def test_walk_a_runbook_in_the_real_terminal(tmp_path: Path) -> None:
    library = tmp_path / "runbooks"
    library.mkdir()
    (library / "walk-test.yaml").write_text((ROOT / "tests" / "data" / "walk_runbook.yaml").read_text())
    db = tmp_path / "walk.db"
    svc = IncidentService(Store.open(db), "ic")
    ref = svc.open_incident("Checkout pool exhausted", Impact.CORE_DOWN, Scope.ALL, commander="ic").ref
    env = {"COCKPIT_DB": str(db), "COCKPIT_RESPONDER": "oncall", "TZ": "UTC", "COCKPIT_RUNBOOK_DIRS": str(library),
           "COCKPIT_CONFIG": str(tmp_path / "none.yaml"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "TERM": "xterm-256color"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.quote(sys.executable)} -m cockpit; sleep 5"

    def session(resume: bool = False) -> Tmux:
        tmux = Tmux(command, 80, 24)
        tmux.wait_for("[1] Timeline")
        tmux.keys("b")
        tmux.wait_for("Escalate to" if resume else "no runbook running")
        return tmux

    tmux = session()
    try:
        tmux.keys("a")
        tmux.wait_for("Attach a runbook")
        tmux.keys("Enter")  # the top suggestion is highlighted
        tmux.wait_for("Print the pool state")
        tmux.keys("Enter")
        tmux.wait_for("Writes to the timeline")
        tmux.keys("y")
        tmux.wait_for("Show that no shell")
        tmux.keys("Enter")
        tmux.wait_for("Writes to the timeline")
        tmux.keys("y")
        tmux.wait_for("A shell step")
        tmux.keys("u")
        tmux.wait_for("What did you see instead?")
        tmux.type("no red")
        tmux.keys("Enter")
        tmux.wait_for("A slow step")
        tmux.keys("x")
        tmux.wait_for("Why skip this step?")
        tmux.type("too slow")
        tmux.keys("Enter")
        tmux.wait_for("Choose a mitigation")
        tmux.keys("1")
        tmux.wait_for("Start mitigation 'Rollback'")
        tmux.keys("y")
        tmux.wait_for("mitigation 'Rollback' 1/2")
        tmux.keys("C-q")
    finally:
        tmux.close()
    tmux = session(resume=True)  # reopen: the walk resumes at the same step
    try:
        tmux.wait_for("mitigation 'Rollback' 1/2")
        tmux.keys("Enter")
        tmux.wait_for("Writes to the timeline")
        tmux.keys("y")
        tmux.wait_for("mitigation 'Rollback' 2/2")
        tmux.keys("C-q")
    finally:
        tmux.close()
    recorded = [e.text for e in IncidentService(Store.open(db), "r").get(ref).timeline if e.kind == "runbook"]
    assert len(recorded) == 7 and recorded[3].endswith("unexpected — no red") and recorded[4].endswith("too slow")
    assert recorded[6].endswith("Roll back: expected")


def test_a_handoff_being_edited_survives_kill_9(tmp_path: Path) -> None:
    import signal

    from cockpit.service.handoffs import Handoffs

    db = tmp_path / "h.db"
    IncidentService(Store.open(db), "ic").open_incident("Search slow", Impact.DEGRADED, Scope.LT25, commander="ic")
    pidfile = tmp_path / "pid"
    env = {"COCKPIT_DB": str(db), "COCKPIT_RESPONDER": "priya", "TZ": "UTC", "TERM": "xterm-256color",
           "COCKPIT_CONFIG": str(tmp_path / "none.yaml"), "XDG_STATE_HOME": str(tmp_path / "state")}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = (f"cd {shlex.quote(str(ROOT))} && echo $$ > {shlex.quote(str(pidfile))} && "
               f"exec env {exports} {shlex.quote(sys.executable)} -m cockpit")
    tmux = Tmux(command, 100, 30)
    try:
        tmux.wait_for("[1] Timeline")
        tmux.keys("o")
        tmux.wait_for("No handoff in progress")
        tmux.keys("C-n")  # a new handoff is an explicit choice
        tmux.wait_for("On-call handoff H-001")
        tmux.keys("Down", "Down", "Down", "End", "Enter")  # below the prefilled items
        tmux.type("DNS migration tonight | watch resolver errors")
        tmux.wait_for("watch resolver errors")
        svc = IncidentService(Store.open(db), "reader")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the editor saves a moment after each keystroke
            issues = Handoffs(svc).get("H-001").sections["open_issues"]
            if any(i["issue"] == "DNS migration tonight" for i in issues):
                break
            time.sleep(0.1)
        os.kill(int(pidfile.read_text()), signal.SIGKILL)
    finally:
        tmux.close()
    issues = Handoffs(IncidentService(Store.open(db), "reader")).get("H-001").sections["open_issues"]
    assert {"issue": "DNS migration tonight", "status": "watch resolver errors", "next_steps": ""} in issues
    assert any(i["issue"].endswith("SEV3 DETECT: Search slow") for i in issues)  # the prefilled item kept
