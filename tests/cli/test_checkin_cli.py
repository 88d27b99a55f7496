"""``cockpit checkin REF ROLE MINUTES NOTE`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def opened(db: Path) -> str:
    result = run_cli("incident", "open", "Checkout 500s", "--impact", "core-down", "--scope", "all", "--ic", "priya",
                     db=db)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_checkin_is_written_and_cleared(db_path: Path) -> None:
    ref = opened(db_path)
    result = run_cli("checkin", ref, "ops", "5", "checking the replica", db=db_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == ("Check-in set: Operations Lead, back to you in 5 minutes: checking the "
                                             "replica")
    done = run_cli("checkin", ref, "ops-lead", "0", "back", "--json", db=db_path)
    assert json.loads(done.stdout)["text"] == "Check-in done: Operations Lead: back"
    shown = json.loads(run_cli("incident", "show", ref, "--json", db=db_path).stdout)
    checkins = [(e["kind"], e["author"]) for e in shown["timeline"] if e["kind"] == "checkin"]
    assert checkins == [("checkin", "tester"), ("checkin", "tester")]


def test_checkin_refusals_are_one_sentence(db_path: Path) -> None:
    ref = opened(db_path)
    bad_role = run_cli("checkin", ref, "chef", "5", "x", db=db_path)
    assert bad_role.returncode != 0 and bad_role.stderr.startswith("error: 'chef' is not a role")
    bad_minutes = run_cli("checkin", ref, "ops", "5m", "x", db=db_path)
    assert bad_minutes.returncode == 2 and "MINUTES" in bad_minutes.stderr and "Traceback" not in bad_minutes.stderr
    too_long = run_cli("checkin", ref, "ops", "1441", "x", db=db_path)
    assert too_long.returncode == 2
    markup = run_cli("checkin", ref, "ops", "3", "[bold]x\x1b[2J", db=db_path)
    assert markup.returncode != 0 and "control character" in markup.stderr
    for phase in ("triage", "respond", "mitigate", "resolve"):
        assert run_cli("incident", "phase", ref, phase, db=db_path).returncode == 0
    closed = run_cli("checkin", ref, "ops", "3", "x", db=db_path)
    assert closed.returncode != 0
    assert closed.stderr.strip() == "error: The incident is closed: check-ins are for an open incident."
