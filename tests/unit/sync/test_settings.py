"""Tracker settings and credentials: the keyring or an environment variable, never a file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from cockpit.sync.settings import (
    LoginNeeded,
    add_tracker,
    delete_secret,
    get_tracker,
    load_trackers,
    secret_for,
    store_secret,
    token_variable,
)
from tests.conftest import run_cli


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.items:
            raise PasswordDeleteError(username)
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    return tmp_path


def test_add_list_and_refuse_bad_settings(config_home: Path) -> None:
    add_tracker("team-roundup", "roundup", "http://127.0.0.1:8080/cockpit")
    assert [t.name for t in load_trackers()] == ["team-roundup"]
    assert get_tracker("team-roundup").url == "http://127.0.0.1:8080/cockpit/"
    with pytest.raises(Exception, match="not a tracker kind"):
        add_tracker("x", "bugzilla", "https://x")
    with pytest.raises(Exception, match="no user name or password in the URL"):
        add_tracker("x", "roundup", "https://alice:secret@tracker.example.com/")
    with pytest.raises(Exception, match="needs --project"):
        add_tracker("gh", "github", "https://api.github.com")
    assert token_variable("team-roundup") == "COCKPIT_TRACKER_TOKEN_TEAM_ROUNDUP"


def test_kind_options_are_checked_saved_and_read_back(config_home: Path) -> None:
    with pytest.raises(Exception, match="'issue_type' is not an option of a roundup tracker"):
        add_tracker("team", "roundup", "http://127.0.0.1:8080/cockpit", options={"issue_type": "Incident"})
    with pytest.raises(Exception, match="A roundup tracker needs --url"):
        add_tracker("team", "roundup")
    assert load_trackers() == []  # nothing saved by a refused add
    gh = add_tracker("gh", "github", project="acme/incidents")
    assert gh.url == "https://api.github.com/" and gh.options == ()
    (config_home / "trackers.yaml").write_text("trackers:\n- name: gh\n  kind: github\n  url: https://x/\n"
                                               "  options: [a, b]\n")
    with pytest.raises(Exception, match=r"trackers.yaml:5:.*options.*must map names to text"):
        load_trackers()
    (config_home / "trackers.yaml").write_text("trackers:\n- name: gh\n  kind: github\n  url: https://x/\n"
                                               "  options: {b: '2', a: 1}\n")
    assert load_trackers()[0].options == (("a", "1"), ("b", "2"))
    assert load_trackers()[0].option("a") == "1" and load_trackers()[0].option("zz", "d") == "d"
    cli = run_cli("tracker", "add", "t", "--kind", "roundup", "--url", "http://127.0.0.1:9/t", "--option", "novalue",
                  env={"COCKPIT_CONFIG": str(config_home / "config.yaml")}, db=config_home / "c.db")
    assert cli.returncode != 0 and "'novalue' is not KEY=VALUE" in cli.stderr and "Traceback" not in cli.stderr


def test_secret_from_keyring_then_environment(config_home: Path, memory_keyring: MemoryKeyring,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = add_tracker("team", "roundup", "http://127.0.0.1:8080/cockpit")
    with pytest.raises(LoginNeeded, match="cockpit tracker login team"):
        secret_for(tracker)
    store_secret(tracker, "alice:s3cret-Pa55")
    assert secret_for(tracker) == "alice:s3cret-Pa55"
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", "bob:from-env")
    assert secret_for(tracker) == "bob:from-env"  # the variable wins
    assert delete_secret(tracker) and memory_keyring.items == {}


def test_no_keyring_says_how_to_use_the_variable(config_home: Path, no_keyring: None) -> None:
    tracker = add_tracker("team", "roundup", "http://127.0.0.1:8080/cockpit")
    with pytest.raises(LoginNeeded, match=r"No usable OS keyring.*COCKPIT_TRACKER_TOKEN_TEAM"):
        secret_for(tracker)
    with pytest.raises(LoginNeeded, match="COCKPIT_TRACKER_TOKEN_TEAM"):
        store_secret(tracker, "alice:pw")


def test_cli_login_without_keyring_and_the_secret_is_nowhere(tmp_path: Path) -> None:
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    db = tmp_path / "c.db"
    assert run_cli("tracker", "add", "team", "--kind", "roundup", "--url", "http://127.0.0.1:9/t", env=env,
                   db=db).returncode == 0
    secret = "alice:Very-S3cret-Token-42"
    login = run_cli("tracker", "login", "team", env=env, input_text=secret + "\n", db=db)
    assert login.returncode == 7 and "COCKPIT_TRACKER_TOKEN_TEAM" in login.stderr
    listed = json.loads(run_cli("tracker", "list", "--json", db=db,
                                env={**env, "COCKPIT_TRACKER_TOKEN_TEAM": secret}).stdout)
    assert listed[0]["login"] == "logged in"
    run_cli("incident", "open", "x", "--impact", "cosmetic", "--scope", "all", db=db,
            env={**env, "COCKPIT_TRACKER_TOKEN_TEAM": secret})
    found = subprocess.run(["grep", "-r", "-l", "S3cret", str(tmp_path)], capture_output=True, text=True)
    assert found.stdout == ""  # not in the config, the database, or anything else written


def test_a_redmine_tracker_needs_a_project_identifier_and_takes_its_options(config_home: Path) -> None:
    with pytest.raises(Exception, match="A redmine tracker needs --url"):
        add_tracker("ops", "redmine", project="incidents")
    with pytest.raises(Exception, match="A redmine tracker needs --project IDENTIFIER"):
        add_tracker("ops", "redmine", "https://redmine.example.com")
    with pytest.raises(Exception, match=r"'Our Incidents' is not a project: give it as IDENTIFIER, e\.g\. incidents"):
        add_tracker("ops", "redmine", "https://redmine.example.com", "Our Incidents")
    with pytest.raises(Exception, match=r"'issue_type' is not an option of a redmine tracker .*tracker, "
                                        r"severity_field, phase_field"):
        add_tracker("ops", "redmine", "https://redmine.example.com", "incidents", {"issue_type": "Bug"})
    ops = add_tracker("ops", "redmine", "https://redmine.example.com", "incidents",
                      {"tracker": "Incident", "severity_field": " Severity "})
    assert load_trackers() == [ops]
    assert (ops.url, ops.project, ops.option("tracker"), ops.option("severity_field"), ops.option("phase_field")) == (
        "https://redmine.example.com/", "incidents", "Incident", "Severity", "")
