"""Start and stop a real Roundup issue tracker (``roundup-server``) on 127.0.0.1 for integration tests.

A tracker is the "classic" template on SQLite with the cockpit's custom fields added to its schema:
``issue`` gets severity, phase, impact, scope, cockpit_uuid, cockpit_ref, roles and severity_reason (all
``String()``) and ``msg`` gets cockpit_uuid. Passwords use 1000 PBKDF2 rounds so that every Basic-auth request
is cheap. Outgoing mail is written to ``<tracker>/mail.log`` instead of being sent.

Roundup refuses to serve as root, so when the tests run as root the server runs as ``nobody`` and the tracker
lives in a world-traversable folder under /tmp that belongs to that user.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

BIN = Path(sys.executable).parent
ROUNDUP_ADMIN = BIN / "roundup-admin"
ROUNDUP_SERVER = BIN / "roundup-server"
#: roundup-server's own entry point, with Nagle's delay off (see the module).
ROUNDUP_QUICK = Path(__file__).with_name("roundup_quick.py")

ADMIN_USER = "admin"
ADMIN_PASSWORD = "adminpw"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0

ISSUE_FIELDS = ("severity", "phase", "impact", "scope", "cockpit_uuid", "cockpit_ref", "roles", "severity_reason")
MSG_FIELDS = ("cockpit_uuid",)

# The classic schema's last lines of the two class definitions we extend.
_ISSUE_TAIL = 'status=Link("status"))'
_MSG_TAIL = "inreplyto=String())"


class RoundupError(RuntimeError):
    """The tracker could not be created or the server did not come up."""


@dataclass
class RoundupTracker:
    """A running Roundup server with one tracker."""

    name: str
    port: int
    url: str  # http://127.0.0.1:PORT/NAME/  (tracker web root, trailing slash)
    rest: str  # url + "rest/"
    origin: str  # http://127.0.0.1:PORT  (what writes must send as Origin)
    admin: tuple[str, str]
    users: dict[str, str]  # username -> password (besides admin)
    directory: Path  # the tracker home
    base: Path  # the temporary folder holding the tracker home and the server log
    process: subprocess.Popen[bytes]
    log_path: Path
    timings: dict[str, float] = field(default_factory=dict)
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def write_headers(self) -> dict[str, str]:
        """Headers every REST write (POST/PUT/PATCH/DELETE) needs, or Roundup answers 400."""
        return {"X-Requested-With": "rest", "Origin": self.origin}

    def credentials(self, user: str | None = None) -> tuple[str, str]:
        """(username, password) of ``user``; the admin when None."""
        if user is None or user == self.admin[0]:
            return self.admin
        return user, self.users[user]

    def client(self, user: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on the REST root with Basic auth and the write headers preset."""
        headers = {**self.write_headers, **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.rest, auth=self.credentials(user), headers=headers,
                            timeout=kwargs.pop("timeout", 10.0), **kwargs)

    def admin_command(self, *args: str) -> str:
        """Run ``roundup-admin -i HOME ARGS...`` and return its output (files it makes go to the server's user)."""
        try:
            return _roundup_admin(self.directory, *args)
        finally:
            ids = _server_ids()
            if ids is not None:
                _chown_tree(self.directory, *ids)

    def log(self) -> str:
        """What the server wrote to stdout/stderr so far (its request log)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server's whole process group and remove the tracker's files. Safe to call twice."""
        _stop_process_group(self.process)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        shutil.rmtree(self.base, ignore_errors=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _server_ids() -> tuple[int, int] | None:
    """(uid, gid) the server must run as: ``nobody``/``nogroup`` when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam("nobody")
    except KeyError as exc:
        raise RoundupError("running as root but there is no 'nobody' user for roundup-server -u") from exc
    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        gid = user.pw_gid
    return user.pw_uid, gid


def _roundup_admin(home: Path, *args: str) -> str:
    # Runs as ourselves: the venv's interpreter may not be executable by nobody (e.g. under /root/.pyenv).
    done = subprocess.run([str(ROUNDUP_ADMIN), "-i", str(home), *args], capture_output=True, text=True,
                          timeout=60, cwd=home.parent, check=False)
    if done.returncode != 0:
        raise RoundupError(f"roundup-admin {' '.join(args[:2])} failed ({done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    return done.stdout


def _extend_schema(schema: Path) -> None:
    """Add the cockpit's String() properties to the classic ``issue`` and ``msg`` classes."""
    text = schema.read_text()
    for tail, names in ((_ISSUE_TAIL, ISSUE_FIELDS), (_MSG_TAIL, MSG_FIELDS)):
        if text.count(tail) != 1:
            raise RoundupError(f"unexpected classic schema: {tail!r} occurs {text.count(tail)} times in {schema}")
        extra = "".join(f",\n                {name}=String()" for name in names)
        text = text.replace(tail, tail[:-1] + extra + ")")
    schema.write_text(text)


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for folder, dirs, files in os.walk(root):
        for entry in (*dirs, *files):
            os.chown(os.path.join(folder, entry), uid, gid, follow_symlinks=False)


def _set_tracker_web(home: Path, url: str) -> None:
    config = home / "config.ini"
    text, count = re.subn(r"(?m)^web = .*$", f"web = {url}", config.read_text(), count=1)
    if count != 1:
        raise RoundupError(f"no 'web =' line in {config}")
    config.write_text(text)


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group led by ``process``, wait, SIGKILL whatever is left (forked children too)."""
    pgid = process.pid  # started with start_new_session=True: the pid is the group id
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)


def _normalise_users(users: Iterable[str] | Mapping[str, str]) -> dict[str, str]:
    if isinstance(users, Mapping):
        return dict(users)
    return {name: f"{name}pw" for name in users}


def start_roundup(name: str = "cockpit", rate_limit: int | None = None,
                  users: Iterable[str] | Mapping[str, str] = ("alice", "bob"), user_roles: str = "User",
                  rate_interval: int = 60) -> RoundupTracker:
    """Create a fresh tracker and start ``roundup-server`` for it; returns once the REST root answers 200.

    ``users``: names (password ``<name>pw``) or a name -> password mapping; each gets ``user_roles`` and the
    address ``<name>@localhost``. ``rate_limit``: switch on Roundup's REST rate limiter with this many calls
    per ``rate_interval`` seconds (per user). The caller must call ``stop()``.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"tracker name must be URL-safe: {name!r}")
    ids = _server_ids()
    base = Path(tempfile.mkdtemp(prefix="roundup-", dir="/tmp"))
    base.chmod(0o755)  # roundup-server runs as nobody when we are root: it must reach the tracker home
    home = base / name
    accounts = _normalise_users(users)
    timings: dict[str, float] = {}
    try:
        began = time.monotonic()
        port = free_port()
        options = [
            f"tracker_web=http://127.0.0.1:{port}/{name}/",
            "mail_domain=localhost",
            "mail_host=localhost",
            f"mail_debug={home / 'mail.log'}",
            "password_pbkdf2_default_rounds=1000",  # before initialise: the admin password uses it too
        ]
        if rate_limit is not None:
            options += [f"web_api_calls_per_interval={rate_limit}", f"web_api_interval_in_sec={rate_interval}"]
        _roundup_admin(home, "install", "classic", "sqlite", ",".join(options))
        _extend_schema(home / "schema.py")
        _roundup_admin(home, "initialise", ADMIN_PASSWORD)
        for user, password in accounts.items():
            _roundup_admin(home, "create", "user", f"username={user}", f"password={password}",
                           f"roles={user_roles}", f"address={user}@localhost")
        if ids is not None:
            _chown_tree(home, *ids)
        timings["create"] = time.monotonic() - began
        last_error = ""
        for _attempt in range(3):  # the port may be taken between free_port() and the server's bind
            started = time.monotonic()
            tracker = _launch(name, port, home, base, accounts, ids, timings)
            try:
                _wait_until_ready(tracker)
                timings["start"] = time.monotonic() - started
            except BaseException as exc:
                _stop_process_group(tracker.process)
                if tracker._log_file is not None:
                    tracker._log_file.close()
                if not isinstance(exc, RoundupError):
                    raise
                last_error = str(exc)
                if "already in use" not in tracker.log():  # "Unable to bind to port N, port already in use."
                    raise
                port = free_port()
                _set_tracker_web(home, f"http://127.0.0.1:{port}/{name}/")
                continue
            return tracker
        raise RoundupError(last_error)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


def _launch(name: str, port: int, home: Path, base: Path, accounts: dict[str, str],
            ids: tuple[int, int] | None, timings: dict[str, float]) -> RoundupTracker:
    log_path = base / f"server-{port}.log"
    log_file = log_path.open("wb")
    argv = [sys.executable, str(ROUNDUP_QUICK), "-n", "127.0.0.1", "-p", str(port), "-t", "fork"]
    if ids is not None:
        argv += ["-u", str(ids[0]), "-g", str(ids[1])]
    argv.append(f"{name}={home}")
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                               cwd=base, start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    origin = f"http://127.0.0.1:{port}"
    url = f"{origin}/{name}/"
    return RoundupTracker(name=name, port=port, url=url, rest=f"{url}rest/", origin=origin,
                          admin=(ADMIN_USER, ADMIN_PASSWORD), users=dict(accounts), directory=home, base=base,
                          process=process, log_path=log_path, timings=timings, _log_file=log_file)


def _wait_until_ready(tracker: RoundupTracker) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer yet"
    with httpx.Client(auth=tracker.admin, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if tracker.process.poll() is not None:
                raise RoundupError(f"roundup-server exited with {tracker.process.returncode} before answering; "
                                   f"log:\n{tracker.log()}")
            try:
                answer = client.get(tracker.rest)
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if answer.status_code == 200:
                    return
                last = f"HTTP {answer.status_code}: {answer.text[:500]}"
            time.sleep(0.05)
    raise RoundupError(f"roundup-server did not answer 200 on {tracker.rest} within {START_TIMEOUT:.0f} s "
                       f"(last: {last}); log:\n{tracker.log()}")


@contextlib.contextmanager
def running_roundup(**options: Any) -> Iterator[RoundupTracker]:
    """``start_roundup(**options)`` as a context manager that always stops the tracker."""
    tracker = start_roundup(**options)
    try:
        yield tracker
    finally:
        tracker.stop()


class RoundupPool:
    """Starts any number of trackers and stops them all on ``close()`` (or at the end of a ``with``)."""

    def __init__(self) -> None:
        self.trackers: list[RoundupTracker] = []

    def start(self, name: str = "cockpit", rate_limit: int | None = None,
              users: Iterable[str] | Mapping[str, str] = ("alice", "bob"), **options: Any) -> RoundupTracker:
        tracker = start_roundup(name=name, rate_limit=rate_limit, users=users, **options)
        self.trackers.append(tracker)
        return tracker

    __call__ = start

    def close(self) -> None:
        errors: list[BaseException] = []
        while self.trackers:
            try:
                self.trackers.pop().stop()
            except Exception as exc:  # stop the others anyway
                errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> RoundupPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
