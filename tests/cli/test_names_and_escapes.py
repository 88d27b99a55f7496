"""Names and text on the command line (issue #17, item 8): a name with a control character or NUL is refused
where it is typed, and whatever a store or a settings file already holds (an older release's data, merged tracker
data, a hand-edited trackers.yaml) reaches the terminal escaped, never as a raw escape sequence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.store.models import HandoffRow
from tests.conftest import run_cli

ESC = "\x1b]0;pwned\x07\x1b[2J"  # retitle the terminal window, then clear the screen
NASTY = ["a\x1b[31mb", "nul\x00name", "bell\x07", "del\x7f", "c1\x9b31m", "rlo\u202etxt.exe", "cr\rover"]


def cockpit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from cockpit.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def no_raw_controls(text: str) -> None:
    assert not any((ord(c) < 32 and c not in "\n") or 0x7f <= ord(c) <= 0x9f or c == "\u202e" for c in text), \
        repr(text)


@pytest.fixture
def incident(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "c.db"
    store = Store.open(db)
    ref = IncidentService(store, "alice").open_incident("Checkout down", Impact.CORE_DOWN, Scope.ALL).ref
    store.close()
    return db, ref


def timeline_authors_and_holders(db: Path, ref: str) -> list[str]:
    store = Store.open(db)
    try:
        detail = IncidentService(store, "reader").get(ref)
        return [e.author for e in detail.timeline] + [h.holder for h in detail.snapshot.roles]
    finally:
        store.close()


@pytest.mark.parametrize("name", NASTY)
def test_names_with_control_characters_are_refused_where_typed(name: str, incident: tuple[Path, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    db, ref = incident
    attempts = [
        ("--as", name, "note", ref, "hello"),
        ("role", "assign", ref, "ic", name),
        ("incident", "open", "Another", "--impact", "cosmetic", "--scope", "all", "--ic", name),
        ("action", "add", "Add an index", "--owner", name),
    ]
    for args in attempts:
        code, out, err = cockpit(capsys, "--db", str(db), *args)
        assert code == 2, (args, out, err)
        assert "control character" in err and "Traceback" not in err
        no_raw_controls(err)
    assert set(timeline_authors_and_holders(db, ref)) == {"alice"}  # nothing was written


@pytest.mark.parametrize("name", ["a\x1b[31mb", "nul\x00name"])
def test_a_responder_name_with_control_characters_in_the_environment_or_config_is_refused(
        name: str, incident: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    db, ref = incident
    if "\x00" not in name:  # no environment can hold a NUL
        monkeypatch.setenv("COCKPIT_RESPONDER", name)
        code, _, err = cockpit(capsys, "--db", str(db), "note", ref, "hello")
        assert code == 2 and "COCKPIT_RESPONDER" in err and "control character" in err, err
        no_raw_controls(err)
    monkeypatch.delenv("COCKPIT_RESPONDER")
    config = tmp_path / "config.yaml"
    escaped = name.replace("\x1b", "\\e").replace("\x00", "\\0")
    config.write_text(f'responder:\n  name: "{escaped}"\n')
    monkeypatch.setenv("COCKPIT_CONFIG", str(config))
    code, _, err = cockpit(capsys, "--db", str(db), "note", ref, "hello")
    assert code == 2 and f"{config}:2:9: responder.name:" in err and "control character" in err, err
    assert set(timeline_authors_and_holders(db, ref)) == {"alice"}


def test_the_service_refuses_such_names_whichever_screen_calls_it(incident: tuple[Path, str]) -> None:
    db, ref = incident
    store = Store.open(db)
    try:
        with pytest.raises(InvalidInput, match="control character"):
            IncidentService(store, "eve\x1b[8m")
        svc = IncidentService(store, "alice")
        with pytest.raises(InvalidInput, match="control character"):
            svc.assign_role(ref, __import__("cockpit.domain.roles", fromlist=["Role"]).Role.SME, "bob\x00")
    finally:
        store.close()


def stored_handoff(db: Path, author: str, acknowledged_by: str | None = None) -> None:
    """A handoff as an older release, or another cockpit's data, may have stored it."""
    store = Store.open(db)
    try:
        with store.write() as session:
            now = datetime.now(UTC)
            session.add(HandoffRow(id=str(uuid.uuid4()), number=1, author=author, created_at=now, updated_at=now,
                                   sections={}, signed_at=now if acknowledged_by else None,
                                   acknowledged_by=acknowledged_by, acknowledged_at=now if acknowledged_by else None))
    finally:
        store.close()


def test_handoff_lines_show_stored_names_escaped(incident: tuple[Path, str], capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    db, _ = incident
    stored_handoff(db, f"mallory{ESC}")
    code, out, err = cockpit(capsys, "--db", str(db), "handoff", "list")
    assert code == 0, err
    no_raw_controls(out)
    assert "mallory\\x1b]0;pwned\\x07\\x1b[2J" in out
    code, out, err = cockpit(capsys, "--db", str(db), "handoff", "sign", "1")
    assert code == 0, err
    no_raw_controls(out)
    assert out == "H-001 signed off by mallory\\x1b]0;pwned\\x07\\x1b[2J.\n"
    code, out, err = cockpit(capsys, "--db", str(db), "handoff", "ack", "1")
    assert code == 0 and out == "H-001 acknowledged by tester.\n", err


def test_tracker_list_shows_a_hand_edited_settings_file_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    (tmp_path / "trackers.yaml").write_text(
        'trackers:\n  - name: "team\\e[1m"\n    kind: roundup\n    url: "https://t.example/\\e]0;x\\a/"\n'
        '    project: "a\\u202eb"\n')
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    code, out, err = cockpit(capsys, "tracker", "list")
    assert code == 0, err
    no_raw_controls(out)
    assert "team\\x1b[1m" in out and "https://t.example/\\x1b]0;x\\x07/" in out and "a\\u202eb" in out


def test_usage_errors_quote_what_was_typed_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "incident", "list", ESC)  # an extra argument
    assert code == 2 and "unexpected extra argument" in err, err
    no_raw_controls(err)
    assert "\\x1b]0;pwned\\x07" in err
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "c.db"), "incident", "open", "x", "--impact", ESC,
                           "--scope", "all")
    assert code == 2 and "--impact" in err, err
    no_raw_controls(err)


@pytest.mark.parametrize("error", [RecursionError("maximum recursion depth exceeded"), RuntimeError("odd"),
                                   KeyError("x")])
def test_an_unexpected_error_is_one_sentence_and_exit_70_never_a_traceback(error: Exception, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A RecursionError is a RuntimeError: the CLI's branch for '~user' paths re-raised every other one as a raw
    traceback instead of the crash sentence every other bug gets."""
    from cockpit.service.incidents import IncidentService

    def broken(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(IncidentService, "list_incidents", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    result = run_cli("incident", "list", db=tmp_path / "c.db")
    assert result.returncode == 70, result.stderr
    assert result.stderr.startswith("error: an unexpected problem stopped the cockpit (a bug)")
    assert "Traceback" not in result.stderr + result.stdout and len(result.stderr.splitlines()) == 1
