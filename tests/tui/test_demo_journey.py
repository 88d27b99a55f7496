"""`cockpit demo` as a person runs it (`make demo`), in tmux: with Debian's prometheus installed it starts one
on a free loopback port over the sample data, the error-budget pane shows the SEV1 burning the checkout budget,
and quitting stops that Prometheus."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.tui.test_tmux import ROOT, Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("prometheus") is None,
                                reason="needs tmux and Debian's prometheus (scripts/install-system-deps.sh)")


def test_make_demo_shows_the_checkout_budget_burning_and_stops_its_prometheus(tmp_path: Path) -> None:
    env = {"COCKPIT_RESPONDER": "dana", "TZ": "UTC", "COCKPIT_CONFIG": str(tmp_path / "none.yaml"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "TERM": "xterm-256color"}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    marker = tmp_path / "exited"
    command = (f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.quote(sys.executable)} -m cockpit demo; "
               f"echo done > {shlex.quote(str(marker))}; sleep 30")
    tmux = Tmux(command, 120, 40)
    try:
        tmux.wait_for("[5] Error budget", timeout=60)
        shown = tmux.wait_for("EXHAUSTED", timeout=60)  # figures read from the demo's own Prometheus
        assert "checkout-api availability" in shown
        assert "SLA breach imminent" in shown  # proposed in the severity pane
        assert (tmp_path / "cache" / "incident-cockpit" / "demo-prometheus").is_dir()
        tmux.keys("C-q")
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert time.monotonic() < deadline, tmux.screen()
            time.sleep(0.1)
        # back on the normal screen: the demo said where its Prometheus ran; it is gone now
        line = next(x for x in tmux.screen().splitlines() if x.startswith("Demo Prometheus on "))
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        with pytest.raises(httpx.TransportError):
            httpx.get(url + "-/ready", timeout=2)
        assert not (tmp_path / "cache" / "incident-cockpit" / "demo-prometheus").exists()
    finally:
        tmux.close()
