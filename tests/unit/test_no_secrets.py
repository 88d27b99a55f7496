"""No secret in anything the cockpit writes or runs (issue #17, item 2).

A runbook step runs without the cockpit's secret variables, and whatever a step prints that matches a known
secret is redacted before it reaches the timeline, the outbox and so the tracker; `tracker login` refuses a
plaintext keyring unless told otherwise; `tracker add` refuses credentials in the URL."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

from cockpit.domain.runbook import RunbookStep
from cockpit.domain.severity import Impact, Scope
from cockpit.service.commands import run_step_command
from cockpit.service.incidents import IncidentService
from cockpit.service.runbooks import load_runbook
from cockpit.service.runs import RunbookRuns
from tests.conftest import ROOT, run_cli

TRACKER_SECRET = "alice:Tr4cker-S3cret-Pa55"
PROMETHEUS_SECRET = "prom-T0ken-9f8e7d6c"


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring that rates itself like an OS keyring (priority 1 and up is "recommended")."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def secret_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", TRACKER_SECRET)
    monkeypatch.setenv("COCKPIT_PROMETHEUS_TOKEN_PROD", PROMETHEUS_SECRET)
    monkeypatch.setenv("SOME_TOOL_TOKEN", TRACKER_SECRET)  # the same secret under a name the cockpit does not own
    monkeypatch.setenv("KUBE_CONTEXT", "prod-eu")  # an ordinary variable a runbook step may need


def secret_free(text: str) -> None:
    for secret in (TRACKER_SECRET, "Tr4cker-S3cret-Pa55", PROMETHEUS_SECRET,
                   base64.b64encode(TRACKER_SECRET.encode()).decode()):
        assert secret not in text, f"{secret!r} leaked"


def test_a_step_runs_without_the_cockpits_secret_variables(secret_environment: None) -> None:
    result = run_step_command(RunbookStep(step="Show the environment", command="env"))
    assert result.exit_code == 0
    names = {line.split("=", 1)[0] for line in result.output.splitlines() if "=" in line}
    assert "COCKPIT_TRACKER_TOKEN_TEAM" not in names and "COCKPIT_PROMETHEUS_TOKEN_PROD" not in names
    assert "SOME_TOOL_TOKEN" not in names  # it holds a known secret
    assert "KUBE_CONTEXT=prod-eu" in result.output and "PATH" in names  # the rest of the environment is kept
    secret_free(result.output)


def test_known_secrets_printed_by_a_step_are_redacted(secret_environment: None, tmp_path: Path) -> None:
    keyring_only = "ghp_KeyringOnlyToken0123456789abcdef"
    leaky = tmp_path / "leaky.txt"
    leaky.write_text(f"token={TRACKER_SECRET}\npassword part: Tr4cker-S3cret-Pa55\n"
                     f"basic: {base64.b64encode(TRACKER_SECRET.encode()).decode()}\nprom {PROMETHEUS_SECRET}\n"
                     f"from the keyring: {keyring_only}\n")
    result = run_step_command(RunbookStep(step="Leak", command=f"cat {leaky}"), secrets=[keyring_only])
    secret_free(result.output)
    assert keyring_only not in result.output
    assert result.output.count("[redacted]") == 5 and "token=[redacted]" in result.output
    # a secret cut in half by the 64 KiB cap is redacted too
    cut = run_step_command(RunbookStep(step="Cut", command=f"printf '%65530s{TRACKER_SECRET}' x", shell=True))
    assert cut.truncated and "Tr4c" not in cut.output[-30:] and cut.output.endswith("[redacted]")


def test_neither_the_timeline_nor_the_outbox_holds_a_secret_a_step_printed(secret_environment: None,
                                                                            svc: IncidentService,
                                                                            db_path: Path) -> None:
    book, _ = load_runbook(ROOT / "tests" / "data" / "walk_runbook.yaml")
    assert book is not None
    ref = svc.open_incident("Pool exhausted", Impact.CORE_DOWN, Scope.ALL).ref
    runs = RunbookRuns(svc)
    state = runs.start(ref, book)
    step = RunbookStep(step="Env", command="sh -c 'env; echo $SOME_TOOL_TOKEN; printenv COCKPIT_TRACKER_TOKEN_TEAM'")
    runs.record(state.id, book, "expected", command=run_step_command(step))
    svc.store.close()
    found = subprocess.run(["grep", "-r", "-l", "-e", "S3cret", "-e", "T0ken", str(db_path.parent)],
                           capture_output=True, text=True)
    assert found.stdout == ""  # not in the database, its WAL, or anything else written


def test_stored_secrets_include_the_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.keyring_store import plaintext_keyring
    from cockpit.sync.settings import stored_secrets

    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    assert run_cli("tracker", "add", "team", "--kind", "roundup", "--url", "http://127.0.0.1:9/t/",
                   env={"COCKPIT_CONFIG": str(tmp_path / "config.yaml")}).returncode == 0
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        assert stored_secrets() == []
        memory.set_password("incident-cockpit", "team", "bob:from-the-keyring")
        assert stored_secrets() == ["bob:from-the-keyring"]
        monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", "carol:from-the-variable")  # wins for sync, but both are
        assert stored_secrets() == ["carol:from-the-variable", "bob:from-the-keyring"]  # secrets to keep out
        assert plaintext_keyring() is None
        keyring.set_keyring(PlaintextKeyring())
        assert plaintext_keyring() == "keyrings.alt.file.PlaintextKeyring"
    finally:
        keyring.set_keyring(previous)


def test_login_refuses_a_plaintext_keyring_unless_told_otherwise(tmp_path: Path) -> None:
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "XDG_DATA_HOME": str(tmp_path / "keyring-home"),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    assert run_cli("tracker", "add", "team", "--kind", "roundup", "--url", "http://127.0.0.1:9/t/",
                   env=env).returncode == 0
    refused = run_cli("tracker", "login", "team", "--no-check", env=env, input_text=TRACKER_SECRET + "\n")
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert "keyrings.alt.file.PlaintextKeyring" in refused.stderr and "unencrypted" in refused.stderr
    assert "COCKPIT_TRACKER_TOKEN_TEAM" in refused.stderr and "--allow-plaintext-keyring" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stderr.count("\n") == 1
    listed = json.loads(run_cli("tracker", "list", "--json", env=env).stdout)
    assert listed[0]["login"] == "login needed"
    found = subprocess.run(["grep", "-r", "-l", "-e", "S3cret", "-e", base64.b64encode(TRACKER_SECRET.encode()),
                            str(tmp_path)], capture_output=True, text=True)
    assert found.stdout == ""

    allowed = run_cli("tracker", "login", "team", "--no-check", "--allow-plaintext-keyring", env=env,
                      input_text=TRACKER_SECRET + "\n")
    assert allowed.returncode == 0 and "possibly unencrypted" in allowed.stdout, allowed.stderr
    assert json.loads(run_cli("tracker", "list", "--json", env=env).stdout)[0]["login"] == "logged in"


@pytest.mark.parametrize("url", [
    "https://tracker.example.com/cockpit/?token=abc123",
    "https://tracker.example.com/cockpit/?@token=abc123",
    "https://api.example.com/api/v1?access_token=abc123",
    "https://tracker.example.com/cockpit?x=1&Password=abc123",
    "https://tracker.example.com/cockpit?api_key=abc123",
    "https://tracker.example.com/cockpit?apikey=abc123",
    "https://tracker.example.com/cockpit?private-token=abc123",
    "https://tracker.example.com/cockpit/#access_token=abc123",
    "https://abc123@tracker.example.com/cockpit/",
    "https://alice:abc123@tracker.example.com/cockpit/",
    "https://tracker.example.com/cockpit/?",
])
def test_tracker_add_refuses_credentials_in_the_url(url: str, tmp_path: Path) -> None:
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml")}
    result = run_cli("tracker", "add", "team", "--kind", "roundup", "--url", url, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cockpit tracker login" in result.stderr and "abc123" not in result.stderr + result.stdout
    assert not (tmp_path / "trackers.yaml").exists()
