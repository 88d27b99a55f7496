"""The replay as its user runs it: `cockpit replay REF --speed 60` in a real terminal (tmux, 80×24), the entries
arriving on the incident screen at the pace, the real database untouched, the scratch database gone afterwards."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_replay_cli import outbox_count, two_minute_incident
from tests.tui.test_tmux import ROOT, Tmux

pytestmark = [pytest.mark.tmux,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")]


def test_replay_in_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    ref = two_minute_incident(db)
    before = outbox_count(db)
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    env = {"COCKPIT_DB": str(db), "COCKPIT_RESPONDER": "trainee", "TZ": "UTC", "TMPDIR": str(scratch_root),
           "COCKPIT_CONFIG": str(tmp_path / "none.yaml"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    marker = tmp_path / "exited"
    command = (f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.quote(sys.executable)} -m cockpit replay {ref} "
               f"--speed 60; echo $? > {shlex.quote(str(marker))}; sleep 5")
    session = Tmux(command, 80, 24)
    try:
        first = session.wait_for("EXERCISE", timeout=30)
        assert "DETECT" in first or "TRIAGE" in first  # it starts as declared ...
        assert list(scratch_root.iterdir())  # ... in a scratch database under the temporary folder
        shown = session.wait_for("RESOLVE ", timeout=30)  # ... and moves on at 60×: two minutes in two seconds
        assert "replay" in shown
        session.wait_for("Phase MITIGATE → RESOLVE", timeout=10)
        session.keys("C-q")
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.read_text().strip() == "0"
    finally:
        session.close()
    assert list(scratch_root.iterdir()) == []  # the scratch database is gone
    assert outbox_count(db) == before  # and nothing was queued in the real one
