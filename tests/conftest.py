"""Shared fixtures: every test gets its own home folders and a real SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for var, sub in [("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_STATE_HOME", "state")]:
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("COCKPIT_DB", raising=False)
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("COCKPIT_RESPONDER", "tester")
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cockpit.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = Store.open(db_path)
    yield opened
    opened.close()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 18, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def svc(store: Store, clock: FakeClock) -> IncidentService:
    return IncidentService(store, "alice", clock=clock)


#: Commands that keep a real child process: servers and loops stopped by signals. Everything else runs in this
#: process (the same ``main``, the same exit codes, typed input fed to its prompts), which saves each run the
#: second of CPU a fresh interpreter spends importing the cockpit.
REAL_PROCESS_COMMANDS = frozenset({"serve", "demo"})


def _keeps_running(args: tuple[str, ...]) -> bool:
    """``cockpit sync`` without --once or a subcommand: the loop a signal stops."""
    if not args or args[0] != "sync":
        return False
    words = [a for a in args[1:] if not a.startswith("-")]
    return "--once" not in args and not (set(words) & {"conflicts", "restore", "failed", "retry", "status"})


def run_cli(*args: str, db: Path | None = None, env: dict[str, str] | None = None,
            input_text: str | None = None, timeout: float = 60,
            prefix: tuple[str, ...] = (), real_process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the ``cockpit`` command: in this process through its real entry point, or the real command in a child
    process (``prefix``: a wrapper such as setpriv; the commands above; ``real_process``)."""
    argv = [*(["--db", str(db)] if db is not None else []), *args]
    if real_process or prefix or (args and args[0] in REAL_PROCESS_COMMANDS) or _keeps_running(args):
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.run([*prefix, sys.executable, "-m", "cockpit", *argv], capture_output=True, text=True,
                              env=full_env, input=input_text, timeout=timeout, cwd=ROOT)
    return _run_in_process(argv, env or {}, input_text)


def _run_in_process(argv: list[str], env: dict[str, str], input_text: str | None) -> subprocess.CompletedProcess[str]:
    import keyring
    from click.testing import CliRunner

    from cockpit.cli.main import main

    here, backend = os.getcwd(), keyring.get_keyring()
    os.chdir(ROOT)
    try:
        with CliRunner().isolation(input=input_text, env=env) as (out, err, _):
            keyring.core.init_backend()  # chosen afresh from this run's environment, as a new process would
            try:
                main(argv)
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    finally:
        os.chdir(here)
        keyring.set_keyring(backend)
    return subprocess.CompletedProcess(["cockpit", *argv], code, stdout, stderr)


def without_root_powers() -> tuple[str, ...]:
    """A command prefix under which file permissions apply even to root (drops CAP_DAC_*)."""
    import shutil

    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file permissions cannot be tested")
    caps = "-dac_override,-dac_read_search"
    return ("setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}")


def seeded_rand(seed: str = "tests"):
    """Deterministic randomness for ids and references (stable snapshots)."""
    import hashlib
    import itertools

    counter = itertools.count()

    def rand(count: int) -> bytes:
        return hashlib.sha256(f"{seed}:{next(counter)}".encode()).digest()[:count]

    return rand


@pytest.fixture(scope="session")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real Prometheus (Debian's package) on a free loopback port, started once per test session (per xdist
    worker), over backfilled blocks: the known-ratio test series and the sample shop's data set."""
    from cockpit.sources import local_prometheus

    if not local_prometheus.available():
        pytest.skip("Debian's prometheus (prometheus + promtool) is not installed; scripts/install-system-deps.sh "
                    "installs it when run as root")
    from tests.prometheus_data import build

    folder = tmp_path_factory.mktemp("prometheus")
    with local_prometheus.run_prometheus(build(folder)) as running:
        yield running


@pytest.fixture(scope="session")
def alertmanager_server() -> Iterator[object]:
    """A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, no gossip, a temporary storage
    path; started once per test session (per xdist worker). Tests tell their alerts apart by a label of their own."""
    from cockpit.sources import local_alertmanager

    if not local_alertmanager.available():
        pytest.skip("Debian's prometheus-alertmanager is not installed; scripts/install-system-deps.sh installs it "
                    "when run as root")
    with local_alertmanager.run_alertmanager() as running:
        yield running


# Markers by place, so `make unit` (``-m "not slow"``) leaves out what starts real terminals, trackers and browsers,
# while `make test` (what CI runs) runs everything. A test file that starts such a thing belongs in this table.
SLOW_PLACES = {
    "tmux": ("tests/tui/test_tmux", "tests/tui/test_demo_journey"),
    "tracker": ("tests/integration/test_github", "tests/integration/test_roundup_server",
                "tests/integration/test_sync_", "tests/integration/test_hostile_tracker", "tests/chaos/",
                "tests/integration/test_redmine"),
    "browser": ("tests/web/test_browser",),
}
TESTS_ROOT = Path(__file__).resolve().parent.parent


#: The tests that run longest (a minute or more each): they start first, so that no worker is still running one
#: when the others have run out of tests.
LONGEST = ("tests/tui/test_tmux_3am.py", "tests/chaos/")


def uses_redmine(item: pytest.Item, where: str) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return where.startswith("tests/integration/test_redmine") or "redmine" in params.values()


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    places = {}
    for item in items:
        where = places[item.nodeid] = Path(str(item.fspath)).resolve().relative_to(TESTS_ROOT).as_posix()
        for marker, prefixes in SLOW_PLACES.items():
            if where.startswith(prefixes):
                item.add_marker(marker)
                item.add_marker("slow")
        if uses_redmine(item, where):  # one Redmine per session (each takes 10-20 s of both cores to start)
            item.add_marker(pytest.mark.xdist_group("redmine"))
    items.sort(key=lambda item: not places[item.nodeid].startswith(LONGEST) and not uses_redmine(
        item, places[item.nodeid]))


def interruptible() -> None:
    """``preexec_fn`` for a child the test stops with SIGINT, as Ctrl-C would: the default handling, even when the
    test run itself was started in the background (a shell starts background jobs with SIGINT ignored, children
    inherit that, and Python then never raises KeyboardInterrupt: the child ran on and the test timed out)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def refresh_children() -> list[int]:
    """This process's SLO refresh children running now (found by parent and command line, as `ps` would): another
    test process may run one of its own meanwhile."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"cockpit.sources.refresh_child" in cmdline and parent == os.getpid():
            found.append(int(entry.name))
    return found
