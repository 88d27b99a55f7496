"""Fixtures that run a real Roundup issue tracker (``roundup-server``) on 127.0.0.1.

``roundup``          a started tracker for one test, always stopped (and its files removed) afterwards.
``redmine``          one real Redmine (Debian's package) for the whole session; a test that cannot have it fails
                     with the reason (CI installs it: scripts/install-system-deps.sh), it is never skipped.
``roundup_factory``  ``roundup_factory(name="cockpit", rate_limit=None, users=("alice", "bob"), ...)`` starts
                     as many trackers as a test needs; all are stopped at teardown.

Every test in this folder gets the ``roundup`` marker and is skipped when Roundup is not installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.fake_github import FakeGitHub
from tests.integration.hostile_http import ScriptedServers
from tests.integration.hostile_tracker import HostileTracker, Witness
from tests.integration.redmine_server import RedmineServer, running_redmine
from tests.integration.roundup_server import ROUNDUP_ADMIN, ROUNDUP_SERVER, RoundupPool, RoundupTracker

HERE = Path(__file__).resolve().parent


def _missing_roundup() -> str | None:
    """Why Roundup cannot be used here, or None when it can."""
    try:
        importlib.import_module("roundup")
    except ImportError as exc:
        return f"Roundup cannot be imported ({exc}); install the dev extras (roundup==2.6.0)"
    for program in (ROUNDUP_ADMIN, ROUNDUP_SERVER):
        if not program.exists():
            return f"Roundup is installed but {program} is missing"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "roundup: needs a real Roundup tracker (roundup-server on 127.0.0.1)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing_roundup()
    for item in items:
        if HERE not in item.path.resolve().parents:
            continue
        item.add_marker(pytest.mark.roundup)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def roundup_factory() -> Iterator[RoundupPool]:
    """Call it to start a tracker: ``roundup_factory(rate_limit=5)``; every tracker is stopped at teardown."""
    with RoundupPool() as pool:
        yield pool


@pytest.fixture
def roundup(roundup_factory: RoundupPool) -> RoundupTracker:
    """A fresh tracker "cockpit" with users admin/adminpw, alice/alicepw and bob/bobpw."""
    return roundup_factory.start()


@pytest.fixture(scope="session")
def shared_roundup() -> Iterator[RoundupTracker]:
    """One real Roundup for the whole session (per test worker), for tests that isolate themselves (the hostile
    tracker shows each test only the issues it created)."""
    with RoundupPool() as pool:
        yield pool.start(name="shared")


@pytest.fixture
def witness() -> Iterator[Witness]:
    server = Witness()
    yield server
    server.close()


@pytest.fixture
def hostile_roundup(shared_roundup: RoundupTracker) -> Iterator[HostileTracker]:
    server = HostileTracker(upstream=shared_roundup.origin)
    yield server
    server.close()


@pytest.fixture
def hostile_github() -> Iterator[HostileTracker]:
    server = HostileTracker(github=FakeGitHub())
    yield server
    server.close()


@pytest.fixture(scope="session")
def redmine() -> Iterator[RedmineServer]:
    """One real Redmine for the session (per test worker), with the project ``incidents``, the tracker Incident,
    the custom fields Severity and Phase, and users alice and bob. Starting it costs 10-20 s, so tests share it
    and isolate themselves by the incidents they create."""
    with running_redmine() as server:
        yield server


@pytest.fixture
def hostile() -> Iterator[ScriptedServers]:
    """``hostile(reply(status, body))``: a loopback server answering as scripted; its URL (see hostile_http)."""
    servers = ScriptedServers()
    yield servers
    servers.close()
