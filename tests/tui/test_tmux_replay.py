"""The replay as its user runs it: `cockpit replay REF --speed 60` in a real terminal (tmux, 80×24), the entries
arriving on the incident screen at the pace, the real database untouched, the scratch database gone afterwards."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.cli.test_replay_cli import outbox_count, two_minute_incident
from tests.tui.test_tmux import Tmux, cockpit_command

pytestmark = [pytest.mark.tmux,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")]


def test_replay_in_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    ref = two_minute_incident(db)
    before = outbox_count(db)
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    command, marker = cockpit_command(tmp_path, db, f"replay {ref} --speed 60", responder="trainee",
                                      TMPDIR=str(scratch_root))
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
