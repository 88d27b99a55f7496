"""Bad input and races found in review: each one is a clear sentence or a refusal, never a crash."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from cockpit.config import load_config
from cockpit.domain.comms import Template
from cockpit.domain.runbook import Position, RunbookStep, Walk
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput, NotFound, RuleViolation
from cockpit.service.commands import run_step_command
from cockpit.service.incidents import IncidentService
from cockpit.service.runbooks import load_runbook
from cockpit.service.runs import RunbookRuns
from cockpit.tui.themes import load_theme
from tests.conftest import ROOT, FakeClock, run_cli

BOOK = ROOT / "tests" / "data" / "walk_runbook.yaml"


def test_cli_time_and_path_mistakes_are_sentences(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    far = run_cli("--db", db, "incident", "open", "x", "--impact", "cosmetic", "--scope", "all",
                  "--started", "-9999999d")
    assert far.returncode == 2 and "too far in the past" in far.stderr and "Traceback" not in far.stderr
    home = run_cli("--db", "~nosuchuser-xyz/c.db", "incident", "list")
    assert home.returncode == 2 and "~user" in home.stderr
    nan = run_cli("--db", db, "incident", "list", env={"COCKPIT_BUSY_TIMEOUT": "nan"})
    assert nan.returncode == 0, nan.stderr
    target = tmp_path / "odd.yaml"
    made = run_cli("runbook", "new", str(target), "--title", 'C:\\xyz "quoted"', "--alert", "A\\B")
    assert made.returncode == 0 and run_cli("runbook", "validate", str(target)).returncode == 0
    assert load_runbook(target)[0].title == 'C:\\xyz "quoted"'  # type: ignore[union-attr]
    unwritable = run_cli("runbook", "new", "/proc/sys/cockpit-skeleton.yaml")
    assert unwritable.returncode == 2 and "Cannot write" in unwritable.stderr


def test_unknown_full_id_is_not_found(svc: IncidentService) -> None:
    with pytest.raises(NotFound, match="No incident has the id"):
        svc.get("01900000-0000-7000-8000-000000000099")


def test_listing_with_a_limit_keeps_open_incidents_first(svc: IncidentService, clock: FakeClock) -> None:
    old_open = svc.open_incident("Old but open", Impact.DEGRADED, Scope.LT25).ref
    clock.advance(minutes=5)
    closed = svc.open_incident("New and closed", Impact.DEGRADED, Scope.LT25).ref
    for _ in range(4):
        svc.advance_phase(closed)
    assert [s.ref for s in svc.list_incidents(include_closed=True, limit=1)] == [old_open]


def test_comms_logged_as_sent_is_exactly_what_was_copied(svc: IncidentService) -> None:
    ref = svc.open_incident("Payments down", Impact.CORE_DOWN, Scope.ALL).ref
    copied = svc.render_comms(ref, Template.INITIAL).text
    svc.assign_role(ref, __import__("cockpit.domain.roles", fromlist=["Role"]).Role.IC, "carol")
    entry = svc.record_comms_sent(ref, Template.INITIAL, copied)
    assert "IC: unassigned" in entry.text and "carol" not in entry.text


def test_a_stale_runbook_outcome_is_refused_and_edited_runbooks_do_not_crash(svc: IncidentService) -> None:
    book, _ = load_runbook(BOOK)
    assert book is not None
    ref = svc.open_incident("Pool", Impact.CORE_DOWN, Scope.ALL).ref
    runs = RunbookRuns(svc)
    state = runs.start(ref, book)
    runs.record(state.id, book, "expected", seen=Position("diagnosis", None, 0))
    with pytest.raises(RuleViolation, match="moved this runbook on"):
        runs.record(state.id, book, "expected", seen=Position("diagnosis", None, 0))  # a second walker, stale
    shorter = replace(book, mitigation=book.mitigation[:1])
    walk = Walk(shorter, Position("mitigation", 1, 0))  # the chosen option was deleted from the file
    assert walk.awaiting_option and walk.current() is None and walk.label() == "choose a mitigation"
    assert Walk(shorter, Position("diagnosis", None, 99)).awaiting_option


def test_commands_do_not_hang_on_escaped_children_or_fill_memory() -> None:
    started = time.monotonic()
    result = run_step_command(RunbookStep(step="x", command="setsid sleep 10 & sleep 30", shell=True,
                                          timeout_seconds=1))
    assert result.timed_out and time.monotonic() - started < 5
    big = run_step_command(RunbookStep(step="x", command="head -c 50000000 /dev/zero", timeout_seconds=20))
    assert big.truncated and len(big.output) == 64 * 1024 and big.exit_code == 0


def test_bad_theme_variable_and_config_values(tmp_path: Path) -> None:
    theme = tmp_path / "t.yaml"
    theme.write_text("name: t\nprimary: '#123456'\nvariables:\n  sev1: banana\n")
    made, problems = load_theme(theme)
    assert made is None and "variables.sev1: 'banana' is not a colour" in str(problems[0])
    config = tmp_path / "c.yaml"
    config.write_text("keymap:\n  main.status_update: null\n")
    with pytest.raises(InvalidInput, match=r"keymap\.main\.status_update: must be keys"):
        load_config(config)
    config.write_text("runbook_dirs: [null]\n")
    with pytest.raises(InvalidInput, match=r"runbook_dirs\[0\]: must be a folder path"):
        load_config(config)


def test_people_cannot_write_system_entries(svc: IncidentService) -> None:
    ref = svc.open_incident("x", Impact.COSMETIC, Scope.ONE_USER).ref
    with pytest.raises(InvalidInput, match="not an entry kind"):
        svc.add_entry(ref, "Phase DETECT → RESOLVE", "phase")
