"""Stored values the read-only commands cannot read (a time that is not a time, a JSON column that is not JSON,
an action item's deadline that is not a date: a file edited by hand or by another tool) are one plain sentence
naming the table and column, exit 5, never "an unexpected problem (a bug)"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cockpit.store.db import Store
from tests.conftest import run_cli
from tests.unit.service.test_plain_reports import build

MONTH = ("report", "monthly", "--month", "2026-11")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "base.db"
    build(db).store.close()
    return db


def spoilt(sample: Path, tmp_path: Path, statement: str) -> Path:
    db = tmp_path / "spoilt.db"
    source = sqlite3.connect(sample)
    target = sqlite3.connect(db)
    source.backup(target)
    source.close()
    target.execute(statement)
    target.commit()
    target.close()
    Store.open(db).close()
    return db


@pytest.mark.parametrize(("statement", "args", "where"), [
    ("UPDATE handoff SET created_at = 'yesterday'", ("handoff", "list"), "handoff.created_at"),
    ("UPDATE handoff SET updated_at = 12345", ("handoff", "show", "1"), "handoff.updated_at"),
    ("UPDATE handoff SET sections = 'not json {'", ("handoff", "export", "1"), "handoff.sections"),
    ("UPDATE handoff SET sections = '" + "[" * 100_000 + "'", ("handoff", "list"), "handoff.sections"),
    ("UPDATE action_item SET created_at = 'x'", ("action", "list"), "action_item.created_at"),
    ("UPDATE action_item SET created_at = 'x'", MONTH, "action_item.created_at"),
    ("UPDATE action_item SET deadline = 'soon'", ("action", "list"), "action_item.deadline"),
    ("UPDATE action_item SET deadline = 'soon'", MONTH, "action_item.deadline"),
], ids=["time-word", "time-number", "json-broken", "json-deep", "action-time", "report-time", "deadline-list",
        "deadline-report"])
def test_a_stored_value_that_cannot_be_read_is_one_sentence(sample: Path, tmp_path: Path, statement: str,
                                                             args: tuple[str, ...], where: str) -> None:
    result = run_cli(*args, db=spoilt(sample, tmp_path, statement))
    assert result.returncode == 5, result.stderr
    assert "a bug" not in result.stderr and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and where in lines[0] and "cannot be read" in lines[0], lines


def test_hostile_text_in_the_unreadable_value_is_shown_literally(sample: Path, tmp_path: Path) -> None:
    db = spoilt(sample, tmp_path, "UPDATE handoff SET created_at = '[red]x\x1b]52;c;aGk=\x07\u202e'")
    result = run_cli("handoff", "list", db=db)
    assert result.returncode == 5
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr and "\x07" not in result.stderr
