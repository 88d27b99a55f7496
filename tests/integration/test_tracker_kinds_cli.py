"""``cockpit tracker add/login`` and ``sync --once`` for Jira and GitLab, through the CLI, against the in-memory APIs
served on 127.0.0.1: bad input gets one clear sentence, nothing is lost, and the secret is never printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.integration.fake_api import ScriptedApi
from tests.integration.fake_gitlab import FakeGitLab
from tests.integration.fake_jira import FakeJira
from tests.integration.hostile_tracker import HostileTracker


class Served:
    """One in-memory API on loopback, and what `tracker add` and `tracker login` take for it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        api = "3" if kind == "jira-cloud" else "2"
        types = ("Task", "Incident")
        self.fake: ScriptedApi = FakeGitLab() if kind == "gitlab" else FakeJira(api=api, issue_types=types)
        self.server = HostileTracker(fake=self.fake)
        origin = self.server.origin
        if isinstance(self.fake, FakeGitLab):
            self.fake.base = f"{origin}/api/v4"
        else:
            self.fake.base = origin
        self.secret = {"gitlab": "glpat-alice", "jira-cloud": "alice@example.com:atok-alice",
                       "jira-dc": "pat-alice"}[kind]
        self.project = "acme/ops" if kind == "gitlab" else "OPS"
        self.wrong_project = "acme/nope" if kind == "gitlab" else "NOPE"
        self.bad_project = "justaname" if kind == "gitlab" else "ops key"

    def add(self, env: dict[str, str], *extra: str, project: str | None = None, url: str | None = None) -> list[str]:
        options = ["--option", "api=3"] if self.kind == "jira-cloud" else []
        return ["tracker", "add", "team", "--kind", self.kind.partition("-")[0], "--url", url or self.fake.base,
                "--project", self.project if project is None else project, *options, *extra]


@pytest.fixture(params=["gitlab", "jira-cloud", "jira-dc"])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    served = Served(request.param)
    yield served
    served.server.close()


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "XDG_DATA_HOME": str(tmp_path / "keyring-home"),
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}


def test_bad_settings_are_refused_in_one_sentence(served: Served, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    kind = served.kind.partition("-")[0]
    cases = [
        (["tracker", "add", "team", "--kind", kind, "--url", served.fake.base], "needs --project"),
        (served.add(env, project=served.bad_project), "is not a project"),
        (served.add(env, "--option", "colour=blue"), "'colour' is not an option of a"),
        (served.add(env, "--option", "issue_type=" if kind == "jira" else "issue_type=epic"),
         "is not a value of --option issue_type"),
    ]
    if kind == "jira":
        cases.append((served.add(env, "--option", "severity=urgency"), "is not a value of --option severity"))
    for args, words in cases:
        result = run_cli(*args, env=env)
        assert result.returncode != 0 and words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert run_cli("tracker", "list", "--json", env=env).stdout.strip() == "[]"  # nothing half-saved


def test_login_checks_the_secret_the_project_and_the_address_first(served: Served, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    login = ("tracker", "login", "team", "--allow-plaintext-keyring")
    assert run_cli(*served.add(env), env=env).returncode == 0

    def state() -> str:
        return str(json.loads(run_cli("tracker", "list", "--json", env=env).stdout)[0]["login"])

    wrong = "glpat-mallory" if served.kind == "gitlab" else "mallory@example.com:nope" \
        if served.kind == "jira-cloud" else "pat-mallory"
    refused = run_cli(*login, env=env, input_text=wrong + "\n")
    assert refused.returncode == 7 and "refused that secret (401)" in refused.stderr
    assert wrong not in refused.stdout + refused.stderr and state() == "login needed"  # not kept, not printed

    if served.kind == "jira-cloud":  # a token without the email: said before anything is sent
        bare = run_cli(*login, env=env, input_text="atok-alice\n")
        assert bare.returncode != 0 and "For Jira Cloud, type email:api-token" in bare.stderr
        assert "atok-alice" not in bare.stdout + bare.stderr and state() == "login needed"

    accepted = run_cli(*login, env=env, input_text=served.secret + "\n")
    assert accepted.returncode == 0 and "accepted it" in accepted.stdout, accepted.stderr
    assert state() == "logged in" and served.secret not in accepted.stdout + accepted.stderr

    run_cli(*served.add(env, project=served.wrong_project), env=env)
    elsewhere = run_cli(*login, env=env, input_text=served.secret + "\n")
    assert elsewhere.returncode == 0 and f"project {served.wrong_project} not found" in elsewhere.stderr
    assert served.secret not in elsewhere.stdout + elsewhere.stderr

    if served.kind != "gitlab":
        run_cli(*served.add(env, "--option", "issue_type=Outage"), env=env)
        typed = run_cli(*login, env=env, input_text=served.secret + "\n")
        assert "has no issue type 'Outage' (its types: Task, Incident)" in typed.stderr

    served.server.on("*", ".*", answer=lambda call: (200, {"Content-Type": "text/html"},
                                                     b"<html><body>Welcome to our wiki</body></html>"))
    html = run_cli(*login, env=env, input_text=served.secret + "\n")
    assert "did not answer like a" in html.stderr and served.secret not in html.stdout + html.stderr


def test_sync_once_through_the_cli_leaves_the_secret_nowhere(served: Served, tmp_path: Path) -> None:
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "COCKPIT_TRACKER_TOKEN_TEAM": served.secret}
    db = tmp_path / "c.db"
    assert run_cli(*served.add(env, "--option", "issue_type=incident" if served.kind == "gitlab"
                               else "issue_type=Incident"), env=env).returncode == 0
    run_cli("incident", "open", "Through the CLI", "--impact", "degraded", "--scope", "lt25", env=env, db=db)
    once = run_cli("sync", "--once", env=env, db=db)
    assert once.returncode == 0 and "pushed 2" in once.stdout, once.stdout + once.stderr
    issues = served.fake.issues  # type: ignore[attr-defined]
    assert len(issues) == 1
    if isinstance(served.fake, FakeGitLab):
        assert issues[1]["issue_type"] == "incident"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert served.secret.encode() not in path.read_bytes(), path
