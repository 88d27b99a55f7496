"""The alert journey in the real terminal (tmux, 80x24 and 120x40) against a real Alertmanager: an alert fires, the
on-call engineer opens the alerts (A), declares an incident from it (d, confirmed), acknowledges it (k, confirmed),
and Alertmanager holds exactly one silence naming the incident."""

from __future__ import annotations

import re
import shlex
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from cockpit.sources.local_alertmanager import alert
from tests.tui.test_tmux import ROOT, Tmux

pytestmark = pytest.mark.skipif(__import__("shutil").which("tmux") is None, reason="tmux is not installed")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_declare_and_acknowledge_from_an_alert_in_the_real_terminal(alertmanager_server: Any, tmp_path: Path,
                                                                     size: tuple[int, int]) -> None:
    tag = uuid.uuid4().hex[:12]
    alertmanager_server.post_alerts([alert(
        # a service of its own: a silence of another test (same Alertmanager, matchers alertname and service)
        # would otherwise silence this alert before it is acknowledged
        {"alertname": "CheckoutErrorRateHigh", "service": f"checkout-{tag}", "severity": "page", "test": tag},
        {"summary": "Checkout 5xx above 5 % [red]now[/]"})])
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "alerts.yaml").write_text(f"alertmanager:\n  url: {alertmanager_server.url}\n  refresh_seconds: 1\n"
                                        f"  filters: ['test=\"{tag}\"']\n", encoding="utf-8")
    env = {"COCKPIT_DB": str(tmp_path / "t.db"), "COCKPIT_RESPONDER": "dana", "TZ": "UTC",
           "COCKPIT_CONFIG": str(config / "config.yaml"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color",
           "COCKPIT_RUNBOOK_DIRS": str(ROOT / "sample_data" / "runbooks")}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.quote(sys.executable)} -m cockpit; sleep 5"
    tmux = Tmux(command, *size)
    try:
        tmux.wait_for("No incidents yet")
        tmux.keys("A")
        tmux.wait_for("Checkout 5xx above 5 % [red]now[/]", timeout=20)  # literally, markup and all
        screen = tmux.wait_for("(offered on declaring)")  # the details, once the runbook library is read
        assert "alertname=CheckoutErrorRateHigh,service=checkout" in screen and "P0" in screen
        tmux.keys("d")
        tmux.wait_for("Declare an incident from this alert?")
        tmux.keys("y")
        shown = tmux.wait_for("Suggested for this incident:", timeout=20)  # the runbook for the alert, offered
        assert "checkout-error-rate-high" in shown
        found = re.search(r"INC-[0-9A-Z]+", tmux.wait_for("INC-"))
        assert found is not None
        ref = found.group(0)
        tmux.keys("Escape")
        tmux.wait_for("[1] Timeline")  # the incident's own screen
        tmux.keys("A")
        tmux.wait_for("Alerts · level")
        tmux.wait_for(ref)  # the alert now shows its incident
        tmux.wait_for("P0/Page · respond")  # and the alert is selected (its details below): k acts on it
        tmux.keys("k")
        tmux.wait_for("Acknowledge: create a silence")
        tmux.keys("y")
        made: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not made:
            made = [s for s in alertmanager_server.silences() if ours(s, tmp_path)]
            time.sleep(0.2)
        assert len(made) == 1, alertmanager_server.silences()
        assert made[0]["createdBy"] == "dana" and "INC-" in made[0]["comment"]
        assert {m["name"] for m in made[0]["matchers"]} == {"alertname", "service"}
        tmux.keys("C-q")
    finally:
        tmux.close()


def ours(silence: dict[str, Any], tmp_path: Path) -> bool:
    """Whether the silence was made by this test's cockpit (its marker is in this test's database)."""
    import sqlite3

    db = sqlite3.connect(tmp_path / "t.db")
    try:
        ids = [row[0] for row in db.execute("SELECT id FROM alert_silence")]
    finally:
        db.close()
    return any(f"[cockpit:{i}]" in silence.get("comment", "") for i in ids)
