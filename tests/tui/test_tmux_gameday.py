"""A Game Day in the real terminal (tmux, 80×24) with no Prometheus: the steady state and the abort checked by
hand. The checklist, each step asked before it is written, the abort with the rollback plan in its prompt, the
results; then the database holds a resolved exercise, nothing for the tracker and no incident in the figures."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cockpit.service.aftercare import Aftercare
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from tests.tui.test_tmux import Tmux

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


def test_a_game_day_by_hand_in_the_real_terminal(tmp_path: Path) -> None:
    db = tmp_path / "gameday.db"
    chaos = tmp_path / "chaos"
    chaos.mkdir()
    experiment = chaos / "checkout-db-latency.yaml"
    shutil.copy(ROOT / "sample_data" / "chaos" / experiment.name, experiment)
    env = {"COCKPIT_DB": str(db), "COCKPIT_RESPONDER": "dana", "TZ": "UTC", "COCKPIT_CHAOS_DIRS": str(chaos),
           "COCKPIT_TOIL_DIRS": str(ROOT / "sample_data" / "toil"), "COCKPIT_PROMETHEUS_URL": "none",
           "COCKPIT_CAPACITY_DIRS": str(ROOT / "sample_data" / "capacity"), "COCKPIT_SLO_DIRS": str(tmp_path / "none"),
           "COCKPIT_CONFIG": str(tmp_path / "none.yaml"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    marker = tmp_path / "exited"
    command = (f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.quote(sys.executable)} -m cockpit; "
               f"echo $? > {shlex.quote(str(marker))}; sleep 5")
    tmux = Tmux(command, 80, 24)
    try:
        tmux.wait_for("No incidents yet")
        tmux.keys("G")
        tmux.wait_for("1 Experiments & Game Days")
        tmux.wait_for("Add 200ms latency to DB calls on checkout-api")
        tmux.keys("Enter")
        tmux.wait_for("GAME DAY (exercise)")
        tmux.wait_for("[ ] Experiment designed and reviewed")
        for _ in range(6):
            tmux.keys("Space")
        tmux.wait_for("[x] Stakeholders notified")
        tmux.keys("s")
        tmux.wait_for("Start the Game Day?")
        tmux.keys("y")
        tmux.wait_for("no Prometheus configured")  # the baseline falls back to a check by hand
        tmux.keys("Enter")
        tmux.wait_for("Record: steady state")
        tmux.keys("y")
        tmux.wait_for("y copies the text")
        tmux.keys("Enter")
        tmux.wait_for("Record the announcement?")
        tmux.keys("y")
        tmux.wait_for("Enter records that the fault is injected")
        tmux.keys("Enter")
        tmux.wait_for("Record that the fault is injected?")
        tmux.keys("y")
        tmux.wait_for("Fault ON")
        tmux.wait_for("NOT WATCHED: no Prometheus: watch by hand, X aborts")
        tmux.keys("X")
        tmux.wait_for("Which abort condition hit?")
        tmux.keys("Down", "Enter")  # "Customer-visible errors detected"
        screen = tmux.wait_for("ABORT the Game Day?")
        assert "toxiproxy-cli toxic remove orders-db" in screen  # the prompt shows the rollback plan
        tmux.keys("y")
        tmux.wait_for("Verify recovery to steady state")
        tmux.wait_for("Enter records what the check found")
        tmux.keys("Enter")
        tmux.wait_for("Record: recovery to steady state?")
        tmux.keys("y")
        tmux.wait_for("Post-game: results")
        tmux.keys("3")
        tmux.wait_for("Outcome: inconclusive")
        tmux.keys("C-s")
        tmux.wait_for("Save the results to")
        tmux.keys("y")
        tmux.wait_for("This Game Day is over")
        tmux.keys("C-q")
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists() and marker.read_text().strip() == "0"
    finally:
        tmux.close()
    saved = yaml.safe_load(experiment.read_text(encoding="utf-8"))["experiment"]["results"]
    assert saved == {"outcome": "inconclusive", "observations": [], "action_items": []}
    svc = IncidentService(Store.open(db), "checker")
    try:
        assert svc.list_incidents() == []  # the exercise is resolved: nothing open
        month = f"{datetime.now(UTC):%Y-%m}"
        report = Aftercare(svc).monthly_report(month, datetime.now(UTC).date())["monthly_report"]
        assert report["incidents"]["total"] == 0 and report["incidents"]["mttr_minutes"] is None  # type: ignore[index]
        assert svc.pending_outbox() == 0
        from cockpit.service.gamedays import GameDays

        (day,) = GameDays(svc).all()
        assert day.state.aborted and day.state.abort_reason == "Customer-visible errors detected"
        assert day.state.stage is None
    finally:
        svc.store.close()
