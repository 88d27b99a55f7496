"""The real ``cockpit`` command in a child process: the issue's scenario and its bad-input cases."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from tests.conftest import run_cli, without_root_powers


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def dump(db: Path) -> list[str]:
    """Every row of the database, as SQL: equal dumps mean an unchanged database."""
    raw = sqlite3.connect(db)
    try:
        return list(raw.iterdump())
    finally:
        raw.close()


def test_the_scenario_from_the_issue(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    out = ok(run_cli("incident", "open", "Checkout latency", "--impact", "degraded", "--scope", "lt25",
                     "--data-loss", "--service", "checkout-api", db=db))
    ref = out.strip().splitlines()[-1]
    assert ref.startswith("INC-") and len(ref) == 12
    assert "SEV1" in out and "data loss" in out
    ok(run_cli("note", ref[4:9], "p99 latency 4.2 s on checkout-api", db=db))
    ok(run_cli("note", ref, "Roll back v2.14.2", "--kind", "decision", db=db))
    ok(run_cli("role", "assign", ref, "ic", "priya", db=db))
    for phase in ("triage", "RESPOND", "Mitigate"):
        ok(run_cli("incident", "phase", ref, phase, db=db))
    data = json.loads(ok(run_cli("incident", "show", ref, "--json", db=db)))
    assert data["ref"] == ref and data["title"] == "Checkout latency"
    assert data["severity"] == "SEV1" and "data loss" in data["severity_reason"]
    assert data["phase"] == "MITIGATE"
    assert data["roles"]["ic"][0]["holder"] == "priya"
    kinds = [e["kind"] for e in data["timeline"]]
    assert kinds == ["declared", "note", "decision", "role", "phase", "phase", "phase"]
    assert all({"id", "at", "kind", "author", "text"} <= set(e) for e in data["timeline"])
    assert data["timeline"][1]["text"] == "p99 latency 4.2 s on checkout-api"
    assert data["timeline"][1]["author"] == "tester"  # COCKPIT_RESPONDER from the fixture
    assert data["metrics"]["time_to_mitigate_minutes"] is not None
    listed = json.loads(ok(run_cli("incident", "list", "--json", db=db)))
    assert [i["ref"] for i in listed] == [ref]


def test_responder_name_comes_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCKPIT_RESPONDER")
    config = tmp_path / "config.yaml"
    config.write_text("responder:\n  name: Dana Scully\n")
    db = tmp_path / "c.db"
    env = {"COCKPIT_CONFIG": str(config)}
    ref = ok(run_cli("incident", "open", "X", "--impact", "cosmetic", "--scope", "one-user", db=db,
                     env=env)).splitlines()[-1]
    data = json.loads(ok(run_cli("incident", "show", ref, "--json", db=db, env=env)))
    assert data["timeline"][0]["author"] == "Dana Scully"
    ok(run_cli("--as", "Fox", "note", ref, "hello", db=db, env=env))
    data = json.loads(ok(run_cli("incident", "show", ref, "--json", db=db, env=env)))
    assert data["timeline"][-1]["author"] == "Fox"


def test_a_broken_config_file_points_at_line_and_field(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("responder:\n  name: alice\ncolour: blue\n")
    result = run_cli("incident", "list", db=tmp_path / "c.db", env={"COCKPIT_CONFIG": str(config),
                                                                    "COCKPIT_RESPONDER": ""})
    assert result.returncode != 0
    assert f"{config}:3:1: colour: unknown setting" in result.stderr
    config.write_text("responder: [unclosed\n")
    result = run_cli("incident", "list", db=tmp_path / "c.db", env={"COCKPIT_CONFIG": str(config),
                                                                    "COCKPIT_RESPONDER": ""})
    assert result.returncode != 0 and f"{config}:2:1" in result.stderr and "Traceback" not in result.stderr


def test_db_from_environment_variable(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    ok(run_cli("incident", "open", "Env", "--impact", "cosmetic", "--scope", "all",
               env={"COCKPIT_DB": str(db)}))
    assert db.exists()


@pytest.fixture
def populated(tmp_path: Path) -> tuple[Path, list[str]]:
    db = tmp_path / "c.db"
    store = Store.open(db)
    svc = IncidentService(store, "alice")
    refs = [svc.open_incident(f"Incident {i}", Impact.DEGRADED, Scope.LT25).ref for i in range(40)]
    store.close()
    return db, refs


def _shared_prefix(refs: list[str]) -> str:
    firsts = [r[4] for r in refs]
    return next(c for c in firsts if firsts.count(c) > 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("incident", "show", "ZZZZZZZZ"), "No incident matches 'ZZZZZZZZ'"),
        (("incident", "show", "{shared}"), "matches several incidents"),
        (("incident", "phase", "{ref}", "fixing"), "'fixing' is not a phase: use one of detect"),
        (("incident", "phase", "{ref}", "resolve"), "Cannot go from DETECT to RESOLVE directly"),
        (("role", "assign", "{ref}", "captain", "bob"), "'captain' is not a role"),
        (("incident", "open", "  ", "--impact", "degraded", "--scope", "all"), "title is empty"),
        (("incident", "open", "X", "--impact", "broken", "--scope", "all"), "Invalid value for '--impact'"),
        (("incident", "severity", "{ref}", "--sev", "2"), "needs a reason"),
        (("incident", "severity", "{ref}", "--sev", "7", "--reason", "x"), "Invalid value for '--sev'"),
        (("note", "{ref}", ""), "entry text is empty"),
        (("incident", "show", "{ref}", "--colour"), "No such option '--colour'"),
        (("incident", "frobnicate"), "No such command 'frobnicate'"),
    ],
)
def test_bad_input_gives_one_sentence_and_changes_nothing(populated: tuple[Path, list[str]],
                                                          args: tuple[str, ...], message: str) -> None:
    db, refs = populated
    before = dump(db)
    argv = [a.format(ref=refs[0], shared=_shared_prefix(refs)) for a in args]
    result = run_cli(*argv, db=db)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert dump(db) == before


def test_unusable_database_files(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n")
    result = run_cli("incident", "list", db=text_file)
    assert result.returncode == 5 and "is not an SQLite database" in result.stderr
    assert text_file.read_text() == "not a database\n"

    result = run_cli("incident", "list", db=tmp_path)
    assert result.returncode == 5 and "is a directory" in result.stderr

    newer = tmp_path / "newer.db"
    Store.open(newer).close()
    raw = sqlite3.connect(newer)
    raw.execute("UPDATE alembic_version SET version_num = '0099'")
    raw.commit()
    raw.close()
    before = dump(newer)
    result = run_cli("incident", "list", db=newer)
    assert result.returncode == 5 and "newer Incident Cockpit (schema 0099)" in result.stderr
    assert dump(newer) == before
    for r in (result,):
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_an_unreadable_database_file(tmp_path: Path) -> None:
    import os

    db = tmp_path / "c.db"
    Store.open(db).close()
    before = dump(db)
    os.chmod(db, 0)
    try:
        result = run_cli("incident", "list", db=db, prefix=without_root_powers())
    finally:
        os.chmod(db, 0o600)
    assert result.returncode == 5 and "Cannot read" in result.stderr and "permission denied" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert dump(db) == before


def test_a_locked_database_says_so(populated: tuple[Path, list[str]]) -> None:
    db, refs = populated
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_cli("note", refs[0], "blocked", db=db, env={"COCKPIT_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 6
    assert "busy" in result.stderr and "Traceback" not in result.stderr


def test_text_is_printed_literally(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = ok(run_cli("incident", "open", "Evil \x1b[2J title", "--impact", "cosmetic", "--scope", "all",
                     db=db)).splitlines()[-1]
    ok(run_cli("note", ref, "[bold red]not markup[/] \x1b]52;c;ZXZpbA==\x07 \u202eevil \x9b31m", db=db))
    shown = ok(run_cli("incident", "show", ref, db=db))
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown and "\x9b" not in shown
    assert "[bold red]not markup[/] \\x1b]52;c;ZXZpbA==\\x07 \\u202eevil \\x9b31m" in shown
    as_json = ok(run_cli("incident", "show", ref, "--json", db=db))
    assert "\x1b" not in as_json and "\x9b" not in as_json
    assert json.loads(as_json)["timeline"][-1]["text"].startswith("[bold red]not markup[/] \x1b]52")


def test_comms_templates_and_recording(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = ok(run_cli("incident", "open", "Payments failing", "--impact", "core-down", "--scope", "all",
                     "--ic", "priya", "--service", "payments-api", db=db)).splitlines()[-1]
    initial = ok(run_cli("comms", ref, "initial", db=db))
    assert initial.startswith("🔴 INCIDENT: Payments failing\nSeverity: SEV1\n")
    assert "IC: priya" in initial and "#inc-" in initial and "-payments-failing" in initial
    customer = ok(run_cli("comms", ref, "customer", "--record", db=db))
    assert customer.startswith("payments-api - Investigating")
    data = json.loads(ok(run_cli("incident", "show", ref, "--json", db=db)))
    assert data["timeline"][-1]["kind"] == "comms"
    draft = run_cli("comms", ref, "resolution", db=db)
    assert draft.returncode == 0 and "draft" in draft.stderr and "✅ RESOLVED: Payments failing" in draft.stdout


def test_help_lists_every_command() -> None:
    out = ok(run_cli("--help"))
    for command in ("incident", "role", "note", "comms", "demo"):
        assert command in out
    out = ok(run_cli("incident", "--help"))
    for command in ("open", "list", "show", "phase", "severity"):
        assert command in out
