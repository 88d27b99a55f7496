"""Running a runbook step from the walker (issue #17, item 2): the step gets none of the cockpit's secrets, and a
secret it prints (here one kept only in the OS keyring) is redacted before the outcome reaches the timeline and
the outbox."""

from __future__ import annotations

import subprocess
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.sync.settings import add_tracker
from cockpit.tui.screens.dialogs import Confirm
from cockpit.tui.screens.runbook import RunbookScreen
from tests.tui.conftest import settle, wait_until

KEYRING_SECRET = "bob:Keyr1ng-0nly-Secret"
ENV_SECRET = "ghp_EnvT0kenSecretValue42"

RUNBOOK = """\
runbook:
  id: leaky
  title: "A step that prints what it can find"
  alert_name: LeakyAlert
  last_updated: "2026-11-20"
  owner: sre
  overview: Prints the environment and a file holding a secret.
  impact: None.
  diagnosis:
    - step: "Print everything"
      command: "env; cat {leak}"
      shell: true
      expected: "no secret"
      if_unexpected: "Escalate"
  mitigation: []
  escalation:
    after_minutes: 15
    contact: "#sre"
    context_to_provide: "what was printed"
"""


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
        self.items.pop((service, username), None)


@pytest.fixture
def leaky_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tui_clock) -> Path:
    leak = tmp_path / "leak.txt"
    leak.write_text(f"from the keyring: {KEYRING_SECRET}\n")
    library = tmp_path / "runbooks"
    library.mkdir()
    (library / "leaky.yaml").write_text(RUNBOOK.format(leak=leak))
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(library))
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_GH", ENV_SECRET)
    add_tracker("team", "roundup", "http://127.0.0.1:9/t/")
    add_tracker("gh", "github", "https://api.github.com", "acme/incidents")
    db = tmp_path / "data" / "walk.db"
    db.parent.mkdir()
    svc = IncidentService(Store.open(db), "ic", clock=tui_clock)
    ref = svc.open_incident("Leaky", Impact.CORE_DOWN, Scope.ALL, commander="ic").ref
    svc.add_entry(ref, "LeakyAlert fired")
    return db


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    backend.set_password("incident-cockpit", "team", KEYRING_SECRET)
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static"))


async def test_a_step_run_from_the_walker_leaks_no_secret(make_app, leaky_db: Path, memory_keyring) -> None:
    app = make_app(leaky_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "IncidentScreen")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, RunbookScreen)
        await pilot.press("a", "ctrl+u", *"leaky", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "Print everything" in screen_text(app))
        await pilot.press("r")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot, rounds=3)
        await wait_until(pilot, lambda: "→ exit 0" in screen_text(app))
        shown = screen_text(app)
        assert "[redacted]" in shown and "Keyr1ng" not in shown and "EnvT0ken" not in shown
        await pilot.press("enter")  # the outcome, with the output, goes into the timeline and the outbox
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Keyr1ng" not in (app.screen.writes or "") and "EnvT0ken" not in (app.screen.writes or "")
        await pilot.press("y")
        await settle(pilot)
    svc = IncidentService(Store.open(leaky_db), "reader")
    recorded = [e.text for e in svc.get(svc.list_incidents()[0].ref).timeline if e.kind == "runbook"]
    assert any("from the keyring: [redacted]" in t for t in recorded)
    svc.store.close()
    found = subprocess.run(["grep", "-r", "-l", "-e", "Keyr1ng", "-e", "EnvT0ken", str(leaky_db.parent)],
                           capture_output=True, text=True)
    assert found.stdout == ""  # neither in the database nor its WAL: the outbox never carries it to a tracker
