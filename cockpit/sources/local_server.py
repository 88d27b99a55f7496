"""Starting a server of our own on loopback (Prometheus, Alertmanager) for `cockpit demo` and the tests: a free
port, a scratch folder, no ``COCKPIT_*`` variable (no secret) in its environment, stopped with the cockpit even
after kill -9 (Linux), and waited for until its ``/-/ready`` answers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cockpit.errors import CockpitError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """In the child, before exec: on Linux, ask the kernel to stop the server when the cockpit dies (a closed
    terminal, kill -9), so a demo never leaves one running."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class LocalServer:
    url: str
    process: subprocess.Popen[bytes]
    work: Path  # the scratch folder (removed when the server stops)


@contextmanager
def run_local(name: str, argv: Callable[[int, Path], list[str]], port: int | None = None,
              ready_timeout: float = 30.0, ready_codes: tuple[int, ...] = (200,)) -> Iterator[LocalServer]:
    """Start ``argv(port, work)`` on 127.0.0.1 and stop it afterwards, even on failure."""
    port = port or free_port()
    work = Path(tempfile.mkdtemp(prefix=f"cockpit-{name}-"))
    log_path = work / f"{name}.log"
    log = log_path.open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}  # no secret in its environment
    process = subprocess.Popen(argv(port, work), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work,
                               start_new_session=True, preexec_fn=die_with_parent)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                log.flush()
                raise CockpitError(f"{name} exited at start: {log_path.read_text()[-600:]}")
            try:
                if httpx.get(f"{url}-/ready", timeout=1.0).status_code in ready_codes:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise CockpitError(f"{name} did not become ready on port {port} within {ready_timeout:g} s")
            time.sleep(0.05)
        yield LocalServer(url, process, work)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
