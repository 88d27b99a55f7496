"""The readiness review walked end to end in the real terminal at 80x24: V, a service, r, every item answered with
one key (and its evidence typed where asked), ctrl+s asks before it writes the file."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cockpit.domain import readiness as rd
from cockpit.service.catalog import load_catalog
from cockpit.service.sample import SAMPLE_DIR, load_sample_data
from cockpit.store.db import Store
from tests.tui.test_tmux import Tmux
from tests.tui.test_tmux_3am import cockpit_command

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


def wait_any(tmux: Tmux, *texts: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux.screen()
        for text in texts:
            if text in screen:
                return text
        time.sleep(0.05)
    raise AssertionError(f"none of {texts} appeared; the screen shows:\n{tmux.screen()}")


def typed_in(tmux: Tmux, text: str) -> None:
    """Type into the evidence prompt until the text shows: keys sent while the prompt is still taking focus (a
    loaded machine) reach no field, so they are sent again, never assumed."""
    for _ in range(5):
        tmux.keys("C-u")  # the old evidence is offered: replace it
        tmux.type(text)
        try:
            wait_any(tmux, text, timeout=3)
            return
        except AssertionError:
            continue
    raise AssertionError(f"'{text}' never reached the evidence field")


def test_readiness_walk_in_the_real_terminal(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    store = Store.open(db)
    load_sample_data(store, now=datetime.now(UTC))
    store.close()
    services = tmp_path / "services"
    shutil.copytree(SAMPLE_DIR / "services", services)
    env = {"COCKPIT_RESPONDER": "priya", "COCKPIT_SERVICE_DIRS": str(services),
           "COCKPIT_SLO_DIRS": str(SAMPLE_DIR / "slos"), "COCKPIT_RUNBOOK_DIRS": str(SAMPLE_DIR / "runbooks")}
    tmux = Tmux(cockpit_command(tmp_path, db, env=env), 80, 24)
    try:
        tmux.wait_for("you: priya", timeout=30)
        tmux.keys("V")
        tmux.wait_for("Services ·")
        tmux.wait_for("checkout-api")
        tmux.keys("Down")
        tmux.wait_for("checkout-api (critical)")
        tmux.keys("r")
        tmux.wait_for("item 1/28")
        for index, check in enumerate(rd.CHECKLIST):
            if check.id == "incidents.top5_runbooks":  # pre-filled from the store, with what it found
                assert "Evidence: runbooks for top 5 failure modes: 3 found" in tmux.screen()
            tmux.keys("f" if check.id == "deploy.canary" else "n" if check.id.startswith("data.") else "p")
            if index == len(rd.CHECKLIST) - 1:  # the last: its verdict shows before its evidence prompt opens
                tmux.wait_for("Evidence for")
                typed_in(tmux, f"checked {index + 1}")
                tmux.keys("Enter")
                tmux.wait_for(f"Evidence: checked {index + 1}")  # stored, the prompt closed
                continue
            following = f"item {index + 2}/28"
            if wait_any(tmux, "Evidence for", following) == "Evidence for":
                typed_in(tmux, f"checked {index + 1}")
                tmux.keys("Enter")
                tmux.wait_for(following)
        tmux.keys("C-s")
        tmux.wait_for("Write the readiness review of checkout-api")
        tmux.keys("y")
        tmux.wait_for("Written to")
        tmux.keys("C-q")
    finally:
        tmux.close()
    review = load_catalog([services]).latest_review("checkout-api")
    assert review is not None and review.reviewer == "priya"
    assert len(review.answers) == 28 and [c.id for c in review.failing] == ["deploy.canary"]
    assert review.answers["data.retention"].status == "n/a"
    # a confirmed pre-filled item keeps the store's evidence; a stored one keeps the file's
    assert review.answers["incidents.escalation"].evidence == "3 of 3 runbook(s) name an escalation contact"
    assert review.answers["slos.targets_agreed"].evidence == "99.95% availability agreed with product (OPS-402)"
