"""Safe at 3 AM in the real terminal: the cockpit in tmux, driven with send-keys, read with capture-pane."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from tests.tui.test_tmux import Tmux

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


def until(condition: Callable[[], object], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in time")
        time.sleep(0.05)


def cockpit_command(tmp_path: Path, db: Path, *args: str, env: dict[str, str] | None = None,
                    exec_: bool = False) -> str:
    """The shell command that runs the real cockpit with its own folders (``env`` adds or overrides)."""
    base = {"TZ": "UTC", "TERM": "xterm-256color", "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "XDG_DATA_HOME": str(tmp_path / "data")}
    base.update(env or {})
    unset = "" if "COCKPIT_RESPONDER" in base else "-u COCKPIT_RESPONDER "
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in base.items())
    argv = " ".join(shlex.quote(a) for a in args)
    run = f"{'exec ' if exec_ else ''}env {unset}{exports} {shlex.quote(sys.executable)} -m cockpit --db {db} {argv}"
    return f"cd {shlex.quote(str(ROOT))} && echo $$ > {shlex.quote(str(tmp_path / 'pid'))} && {run}; sleep 5"


def test_13_5_first_start_asks_who_is_typing_keeps_it_and_shows_it(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    IncidentService(Store.open(db), "alice").open_incident("Search slow", Impact.DEGRADED, Scope.LT25,
                                                           commander="alice")
    tmux = Tmux(cockpit_command(tmp_path, db), 80, 24)
    try:
        tmux.wait_for("Who are you?")
        tmux.type("Priya Raman")
        tmux.keys("Enter")
        tmux.wait_for("you: Priya Raman")
        tmux.keys("e")
        tmux.type("first note")
        tmux.keys("Enter")
        tmux.wait_for("first note")
        tmux.keys("C-q")
    finally:
        tmux.close()
    config = (tmp_path / "config" / "incident-cockpit" / "config.yaml").read_text()
    assert 'name: "Priya Raman"' in config
    svc = IncidentService(Store.open(db), "reader")
    assert svc.get(svc.list_incidents()[0].ref).timeline[-1].author == "Priya Raman"
    # the next start knows: no question
    tmux = Tmux(cockpit_command(tmp_path, db), 80, 24)
    try:
        screen = tmux.wait_for("you: Priya Raman")
        assert "Who are you?" not in screen
    finally:
        tmux.close()


def test_17_6_handoff_typing_survives_kill_9_within_a_tenth_of_a_second_of_the_last_key(tmp_path: Path) -> None:
    import signal

    from cockpit.service.handoffs import Handoffs

    db = tmp_path / "h.db"
    svc = IncidentService(Store.open(db), "priya")
    svc.open_incident("Search slow", Impact.DEGRADED, Scope.LT25, commander="priya")
    key = Handoffs(svc).draft().key
    command = cockpit_command(tmp_path, db, env={"COCKPIT_RESPONDER": "priya"}, exec_=True)
    tmux = Tmux(command, 100, 30)
    try:
        tmux.wait_for("[1] Timeline")
        tmux.keys("o")
        tmux.wait_for(f"On-call handoff {key}")
        tmux.keys("Down", "Down", "Down", "End", "Enter")  # below the prefilled items
        send_text(tmux, "DNS migration tonight | watch resolver errors")
        tmux.wait_for("watch resolver errors", timeout=10)  # the cockpit has the last key...
        os.kill(int((tmp_path / "pid").read_text()), signal.SIGKILL)  # ...and dies at once, before a debounced save
    finally:
        tmux.close()
    # the next start restores what was typed and stores it
    tmux = Tmux(cockpit_command(tmp_path, db, env={"COCKPIT_RESPONDER": "priya"}), 100, 30)
    try:
        tmux.wait_for("[1] Timeline")
        tmux.keys("o")
        tmux.wait_for("restored what you typed")
        until(lambda: {"issue": "DNS migration tonight", "status": "watch resolver errors", "next_steps": ""}
              in Handoffs(IncidentService(Store.open(db), "r")).get(key).sections["open_issues"],
              what="the restored handoff text stored")
        tmux.keys("C-q")
    finally:
        tmux.close()


def send_text(tmux: Tmux, text: str) -> None:
    """Type ``text`` with no pause after it (``Tmux.type`` waits a moment)."""
    subprocess.run(["tmux", "send-keys", "-t", tmux.name, "-l", text], check=True)


def tmux_option(name: str, value: str) -> None:
    subprocess.run(["tmux", "set-option", "-g", name, value], check=False, capture_output=True)


class PrivateTmux(Tmux):
    """A tmux server of its own (-L), so its options never touch anyone else's sessions."""

    def __init__(self, command: str, width: int, height: int, options: dict[str, str]) -> None:
        import uuid

        self.socket = f"cockpit-test-{uuid.uuid4().hex[:8]}"
        self.name = "main"
        conf = Path(tempfile_dir()) / f"{self.socket}.conf"
        conf.write_text("".join(f"set-option -g {k} {v}\n" for k, v in options.items()))
        subprocess.run(["tmux", "-L", self.socket, "-f", str(conf), "new-session", "-d", "-s", self.name,
                        "-x", str(width), "-y", str(height), command], check=True)

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name).stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def buffer(self) -> str:
        result = self._tmux("show-buffer")
        return result.stdout if result.returncode == 0 else ""

    def close(self) -> None:
        self._tmux("kill-server")


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


@pytest.mark.parametrize("clipboard", ["external", "on"])
def test_13_10_comms_copy_says_what_was_done_and_offers_the_text(tmp_path: Path, clipboard: str) -> None:
    db = tmp_path / "c.db"
    svc = IncidentService(Store.open(db), "alice")
    ref = svc.open_incident("Checkout \x1b[201~ 500s", Impact.CORE_DOWN, Scope.ALL, commander="alice").ref
    tmux = PrivateTmux(cockpit_command(tmp_path, db, env={"COCKPIT_RESPONDER": "priya"}), 80, 24,
                       {"set-clipboard": clipboard})
    try:
        tmux.wait_for("[1] Timeline")
        tmux.keys("c")
        tmux.wait_for("1 Initial notification")
        tmux.keys("y")
        shown = tmux.wait_for("sent to the terminal clipboard")
        assert "copied" not in shown.lower()  # it cannot know the terminal took it: it says what it did
        assert "INCIDENT: Checkout \\x1b[201~ 500s" in shown  # the text itself, to select by hand
        if clipboard == "on":  # tmux takes OSC 52 into its buffer: exactly the text, no control character
            until(lambda: "INCIDENT: Checkout" in tmux.buffer(), what="the tmux buffer set by OSC 52")
            pasted = tmux.buffer()
            assert "Checkout \\x1b[201~ 500s" in pasted and "\x1b" not in pasted
        else:
            assert "INCIDENT" not in tmux.buffer()  # dropped by tmux, as the screen warned
        tmux.keys("Escape", "Escape")
        tmux.wait_for("[1] Timeline")
        tmux.keys("C-q")
    finally:
        tmux.close()
    assert not [e for e in IncidentService(Store.open(db), "r").get(ref).timeline if e.kind == "comms"]
