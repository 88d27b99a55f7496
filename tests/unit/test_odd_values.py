"""Impossible dates and odd values (issue #17, item 9): each is one plain sentence with a place to look, never a
crash, and one bad file never takes the rest of the library (or the handoff) down with it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cockpit.config import load_config
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentService
from cockpit.service.runbooks import load_library
from cockpit.store.models import Conflict, OutboxOp
from cockpit.tui.themes import load_theme, load_themes
from cockpit.yamldoc import MAX_YAML_BYTES, read_yaml
from tests.conftest import ROOT, run_cli

SAMPLE_RUNBOOKS = ROOT / "sample_data" / "runbooks"


def cockpit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real command's entry point in process: its exit code, standard output and standard error."""
    from cockpit.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def plain(code: int, err: str, expected_code: int = 2) -> None:
    assert code == expected_code, err
    assert "Traceback" not in err and "a bug" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err


@pytest.fixture
def library_with_an_impossible_date(tmp_path: Path) -> Path:
    folder = tmp_path / "runbooks"
    shutil.copytree(SAMPLE_RUNBOOKS, folder)
    broken = folder / "disk-usage-high.yaml"
    lines = broken.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("last_updated:"))
    lines[at] = "  last_updated: 2026-02-30"
    broken.write_text("\n".join(lines) + "\n")
    return folder


def test_an_impossible_date_in_a_runbook_is_file_line_field_and_the_rest_still_loads(
        library_with_an_impossible_date: Path) -> None:
    library = load_library([library_with_an_impossible_date])
    broken = library_with_an_impossible_date / "disk-usage-high.yaml"
    line = 1 + next(i for i, text in enumerate(broken.read_text().splitlines()) if "2026-02-30" in text)
    assert [str(p) for p in library.problems] == [
        f"{broken}:{line}:17: last_updated: '2026-02-30' is not a real date (day is out of range for month)"]
    assert len(library.runbooks) == len(list(SAMPLE_RUNBOOKS.glob("*.yaml"))) - 1


def test_handoff_draft_survives_a_runbook_with_an_impossible_date(
        library_with_an_impossible_date: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(library_with_an_impossible_date))
    code, out, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "handoff", "draft")
    assert code == 0, err
    assert out.splitlines()[-1] == "H-001"
    assert "disk-usage-high.yaml" in err and "last_updated" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["responder:\n  name: 2026-02-30\n", "theme: 2026-02-30\n",
                                  "runbook_dirs:\n  - 2026-13-01T00:00:00Z\n"])
def test_an_impossible_date_in_the_config_file_is_file_line(tmp_path: Path, text: str,
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    with pytest.raises(InvalidInput, match=rf"^Config file {config}:\d+:\d+: [a-z_.\[\]0-9]+: '.*' is not a real"):
        load_config(config)
    monkeypatch.setenv("COCKPIT_CONFIG", str(config))
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "incident", "list")
    plain(code, err)
    assert f"{config}:" in err


def test_a_theme_with_an_impossible_date_is_skipped_with_file_line(tmp_path: Path) -> None:
    folder = tmp_path / "themes"
    folder.mkdir()
    (folder / "dated.yaml").write_text("name: dated\nprimary: '#123456'\nvariables:\n  sev1: 2026-02-30\n")
    (folder / "fine.yaml").write_text("name: fine\nprimary: '#654321'\n")
    theme, problems = load_theme(folder / "dated.yaml")
    assert theme is None
    assert [str(p) for p in problems] == [
        f"{folder / 'dated.yaml'}:4:9: variables.sev1: '2026-02-30' is not a real date (day is out of range for "
        f"month)"]
    themes, problems = load_themes([folder])
    assert "fine" in {t.name for t in themes} and len(problems) == 1


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "0001-01"])
def test_months_the_calendar_cannot_hold_are_bad_input(month: str, capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "report", "monthly", "--month", month)
    plain(code, err)
    assert month in err and "YYYY-MM" in err


@pytest.mark.parametrize("started", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "1066-10-14T09:00Z"])
def test_impact_start_times_outside_the_calendar_are_bad_input(started: str, capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "incident", "open", "x", "--impact", "cosmetic",
                           "--scope", "all", "--started", started)
    plain(code, err)
    assert started in err


@pytest.mark.parametrize("key", ["99999999999999999999", "H-99999999999999999999", "9" * 400])
def test_a_huge_handoff_number_is_bad_input(key: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for command in (("handoff", "show", key), ("handoff", "sign", key), ("handoff", "export", key)):
        code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), *command)
        plain(code, err)
        assert "handoff id" in err


@pytest.mark.parametrize("key", ["AI-99999999999999999999", "AI-²", "１"])
def test_a_huge_or_odd_action_item_id_is_bad_input(key: str, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "action", "done", key)
    plain(code, err)
    assert "action item id" in err
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "handoff", "show", key.replace("AI-", "H-"))
    plain(code, err)


@pytest.mark.parametrize("interval", ["-5", "nan", "inf", "0", "-inf", "1e400"])
def test_sync_intervals_that_make_no_sense_are_bad_input(interval: str, tmp_path: Path) -> None:
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "COCKPIT_TRACKER_TOKEN_TEAM": "alice:pw"}
    assert run_cli("tracker", "add", "team", "--kind", "roundup", "--url", "http://127.0.0.1:9/t/",
                   env=env).returncode == 0
    try:  # a child process: an interval of 0 used to spin forever against the unreachable tracker
        result = run_cli("sync", "--interval", interval, db=tmp_path / "c.db", env=env, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sync --interval {interval} kept running instead of refusing the value")
    assert result.returncode == 2 and "--interval" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_yaml_reads_only_regular_files_and_only_up_to_the_cap(tmp_path: Path) -> None:
    doc, problems = read_yaml(Path("/dev/null"))
    assert doc is None and [p.message for p in problems] == ["not a regular file (a device); refused"]
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    finished = threading.Event()

    def writer_after_a_deadline() -> None:  # so a reader that blocks on the pipe fails the test, not hangs it
        if not finished.wait(5):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    watchdog = threading.Thread(target=writer_after_a_deadline, daemon=True)
    watchdog.start()
    try:
        doc, problems = read_yaml(fifo)
    finally:
        finished.set()
        watchdog.join()
    assert doc is None and [p.message for p in problems] == ["not a regular file (a named pipe); refused"]
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_YAML_BYTES + b"\n")
    doc, problems = read_yaml(big)
    assert doc is None and "the limit is" in problems[0].message


def test_sync_retry_and_restore_take_percent_and_underscore_literally(svc: IncidentService,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      db_path: Path) -> None:
    ref = svc.open_incident("x", Impact.COSMETIC, Scope.ALL).ref
    incident_id = svc.get(ref).snapshot.id
    with svc.store.write() as session:
        for op in session.exec(select(OutboxOp)).all():
            op.state, op.last_error = "dead", "refused"
            session.add(op)
        session.add(Conflict(id=str(uuid.uuid4()), incident_id=incident_id, field="severity", local_value="SEV4",
                             remote_value="SEV2", kept="remote", at=datetime.now(UTC)))
    for wildcard in ("%", "_", "%_%"):
        code, out, err = cockpit(capsys, "--db", str(db_path), "sync", "retry", wildcard)
        assert code == 3 and "No dead letter" in err, out + err
        code, out, err = cockpit(capsys, "--db", str(db_path), "sync", "restore", wildcard)
        assert code == 3 and "No conflict" in err, out + err
    with svc.store.read() as session:
        assert {op.state for op in session.exec(select(OutboxOp)).all()} == {"dead"}
        assert not session.exec(select(Conflict)).one().restored


HUGE = "9" * 400  # an int YAML reads whole, past what a float holds


@pytest.mark.parametrize(("group", "sample", "line"), [
    ("toil", "toil/sre-platform.yaml", "team_hours_per_month: 640   # 4 SREs x 160 hours"),
    ("capacity", "capacity/checkout-api.yaml", "    peak_utilization_pct: 62"),
    ("slo", "slos/checkout-api.yaml", "      target: 99.95"),
])
def test_a_number_too_large_for_the_cockpit_is_file_line_column_not_a_crash(
        group: str, sample: str, line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = (ROOT / "sample_data" / sample).read_text()
    assert line in original
    broken = tmp_path / Path(sample).name
    broken.write_text(original.replace(line, line.split(":")[0] + f": {HUGE}"))
    row = next(i for i, text in enumerate(original.splitlines(), 1) if text == line)
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), group, "validate", str(broken))
    assert code == 1 and "Traceback" not in err and "a bug" not in err, err
    column = len(line.split(":")[0]) + 3
    assert f"{broken}:{row}:{column}: " in err and "is too large a number" in err, err
    assert HUGE not in err  # the 400 digits are shortened


@pytest.mark.parametrize("value", ["[]", "{a: 1}"])
def test_an_slo_policy_that_is_not_text_is_file_line_column_not_a_crash(
        value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = (ROOT / "sample_data" / "slos" / "checkout-api.yaml").read_text()
    assert "\npolicy: platform\n" in original
    broken = tmp_path / "checkout-api.yaml"
    broken.write_text(original.replace("\npolicy: platform\n", f"\npolicy: {value}\n"))
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "slo", "validate", str(broken))
    assert code == 1 and "a bug" not in err, err
    assert f"{broken}:4:9: policy: a {'list' if value == '[]' else 'mapping'} is not a policy: use platform" in err, err


def test_aliases_that_expand_a_small_file_into_a_billion_values_are_refused_quickly(tmp_path: Path) -> None:
    """72 aliases (under the alias cap) nest nine lists of nine nine times: 387 million values once expanded; the
    month check printed the value and never returned."""
    levels = ["x-a: &a [x, x, x, x, x, x, x, x, x]"]
    for depth in range(1, 9):
        name, inner = chr(ord("a") + depth), chr(ord("a") + depth - 1)
        levels.append(f"x-{name}: &{name} [{', '.join([f'*{inner}'] * 9)}]")
    broken = tmp_path / "checkout-api.yaml"
    broken.write_text("\n".join(levels) + "\nservice: checkout-api\nas_of: *i\n")
    done = run_cli("capacity", "validate", str(broken), db=tmp_path / "c.db", real_process=True, timeout=30)
    assert done.returncode == 1, done.stderr
    # x-a is 10 values, x-b 1 + 9 x 10 = 91, then 820, 7,381, 66,430, and x-f (line 6) 597,871: past 100,000
    assert f"{broken}:6:6: " in done.stdout + done.stderr
    assert "aliases (*name) expand the document past" in done.stdout + done.stderr


@pytest.mark.parametrize(("change", "expected"), [
    (lambda text: text.replace("  name: Manual deployments", "  name: Manual \x1b[31mdeployments"),
     ":7:20: a control character (\\x1b) is not allowed in YAML; remove it"),  # column: 6 + 6 + 7 characters before it
    (lambda text: text.replace("  - toil_item:", "\t- toil_item:"),
     ":6:1: YAML syntax error: a tab character is not allowed for indentation in YAML; use spaces"),
], ids=["escape", "tab"])
def test_a_control_character_or_a_tab_in_a_yaml_file_is_named_at_its_line(
        change: Any, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "toil.yaml"
    broken.write_text(change((ROOT / "sample_data" / "toil" / "sre-platform.yaml").read_text()))
    code, out, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "toil", "validate", str(broken))
    assert code == 1 and f"{broken}{expected}" in out + err, out + err
    assert "\x1b" not in out + err
