"""Start-up of the everyday commands: ``cockpit incident list`` and ``cockpit note`` import only what they use (a
command group's module is imported when one of its commands runs), and ``--help`` still lists every command."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.cli.main import GROUPS
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from tests.conftest import ROOT, run_cli

#: Libraries the two everyday commands have no use for, and the other command groups' modules.
HEAVY = {"sqlalchemy", "sqlmodel", "alembic", "pydantic", "httpx", "rich", "textual", "yaml", "keyring", "hashlib",
         "logging", *(f"cockpit.cli.{name}" for name in GROUPS if name != "incidents")}


def modules_after(*argv: str) -> set[str]:
    """The modules a fresh interpreter holds once the command has run."""
    code = ("import sys\nfrom cockpit.cli.main import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


@pytest.fixture
def incident_db(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "c.db"
    svc = IncidentService(Store.open(db), "alice")
    ref = svc.open_incident("Checkout slow", Impact.DEGRADED, Scope.LT25).ref
    svc.store.close()
    return db, ref


@pytest.mark.parametrize("command", ["list", "note"])
def test_the_everyday_commands_import_nothing_heavy(incident_db: tuple[Path, str], command: str) -> None:
    db, ref = incident_db
    args = ["incident", "list"] if command == "list" else ["note", ref, "Restarted the pod"]
    modules = modules_after("--db", str(db), "--as", "bob", *args)
    assert "cockpit.cli.incidents" in modules  # the check sees the command's own module
    assert HEAVY & modules == set()


def test_every_group_module_is_named_with_exactly_its_commands() -> None:
    for name, commands in GROUPS.items():
        module = importlib.import_module(f"cockpit.cli.{name}")
        assert tuple(c.name for c in module.COMMANDS) == commands, name
    every = [c for commands in GROUPS.values() for c in commands]
    assert len(every) == len(set(every))


def test_help_lists_every_command_with_its_one_line_help() -> None:
    out = run_cli("--help").stdout
    listed = {}
    for line in out.split("Commands:\n", 1)[1].splitlines():
        name, _, text = line.strip().partition(" ")
        listed[name] = text.strip()
    for name in GROUPS:
        for command in importlib.import_module(f"cockpit.cli.{name}").COMMANDS:
            assert command.name is not None
            short = command.get_short_help_str(limit=200)
            assert short.startswith(listed[command.name].removesuffix("...")), command.name
    assert sorted(listed) == sorted(c for commands in GROUPS.values() for c in commands)


def test_comms_keeps_the_status_page_options_and_an_unknown_command_is_refused() -> None:
    assert "--publish" in run_cli("comms", "--help").stdout
    wrong = run_cli("incidnet", "list")
    assert wrong.returncode == 2 and "No such command 'incidnet'. Did you mean 'incident'?" in wrong.stderr
