"""``cockpit shell REF``: run the responder's shell with a hook that hands each command line back to the cockpit.

The hook writes to a FIFO in a private temporary folder (mode 0700); this process reads it, takes out every known
secret and every configured pattern, and only then writes a ``command`` entry. No secret is passed to the shell (the
cockpit's secret variables, and any variable holding a known secret, are left out of its environment) and none is
written to its start-up file, which holds only the FIFO's path and the reference.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.domain import shell_hook
from cockpit.errors import CockpitError, InvalidInput
from cockpit.redact import Redactor, child_environment, redact
from cockpit.service.incidents import IncidentService


@dataclass
class Capture:
    ref: str
    recorded: int = 0
    redacted: int = 0  # recorded lines that had something taken out
    refused: list[str] = field(default_factory=list)  # why a line could not be written
    shell: str = ""


def clean_line(line: str, secrets: Iterable[str], patterns: Redactor) -> tuple[str, bool]:
    """A command line with the known secrets and the configured patterns replaced; and whether anything was."""
    known = redact(line, secrets)
    cleaned, counts = patterns.apply(known)
    return cleaned, bool(counts) or known != line


def run_shell(svc: IncidentService, ref: str, secrets: list[str], patterns: Redactor,
              exit_codes: bool = False, environ: Mapping[str, str] | None = None,
              started: Callable[[Capture], None] = lambda _capture: None) -> Capture:
    """Run the shell until it exits, recording every command line into the incident ``ref``."""
    environ = dict(os.environ if environ is None else environ)
    snapshot = svc.get(ref, with_timeline=False).snapshot  # an unknown reference fails before any shell starts
    name = shell_hook.shell_name(environ.get("SHELL", ""))
    given = environ.get("SHELL", "")
    executable = given if given.startswith("/") and shell_hook.shell_name(given) == name and os.access(given, os.X_OK) \
        else shutil.which(name, path=environ.get("PATH"))
    if executable is None:
        raise InvalidInput(f"No {name} found on PATH: `cockpit shell` runs bash or zsh.")
    capture = Capture(snapshot.ref, shell=name)
    folder = Path(tempfile.mkdtemp(prefix="cockpit-shell-"))
    try:
        fifo = folder / "commands"
        os.mkfifo(fifo, 0o600)
        env = child_environment(environ, secrets)
        if name == "bash":
            rc = folder / "bashrc"
            rc.write_text(shell_hook.bash_rc(str(fifo), snapshot.ref), encoding="utf-8")
            argv = [executable, "--rcfile", str(rc), "-i"]
        else:
            user_dir = environ.get("ZDOTDIR") or environ.get("HOME", "~")
            for file_name, text in shell_hook.zsh_rc(str(fifo), snapshot.ref, user_dir).items():
                (folder / file_name).write_text(text, encoding="utf-8")
            env["ZDOTDIR"] = str(folder)
            argv = [executable, "-i"]
        reading = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        keep_open = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # the shell's writes never meet a closed pipe
        try:
            _record_while_running(svc, capture, argv, env, reading, secrets, patterns, exit_codes, started)
        finally:
            os.close(keep_open)
            os.close(reading)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return capture


def _record_while_running(svc: IncidentService, capture: Capture, argv: list[str], env: dict[str, str],
                          reading: int, secrets: list[str], patterns: Redactor, exit_codes: bool,
                          started: Callable[[Capture], None]) -> None:
    reader = shell_hook.RecordReader()

    def store(chunk: bytes) -> None:
        for record in reader.feed(chunk):
            if not record.line.strip():
                continue
            line, changed = clean_line(record.line, secrets, patterns)
            cwd, _ = clean_line(record.cwd, secrets, patterns)
            try:
                svc.add_command(capture.ref, line, cwd, record.status if exit_codes else None)
            except CockpitError as exc:
                capture.refused.append(str(exc))
                continue
            capture.recorded += 1
            capture.redacted += changed

    def drain() -> None:
        while True:
            try:
                chunk = os.read(reading, 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            store(chunk)

    # Ctrl-C and Ctrl-\ belong to the shell and what runs in it, never to this process
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGQUIT)}
    try:
        started(capture)
        child = subprocess.Popen(argv, env=env)
        while child.poll() is None:
            ready, _, _ = select.select([reading], [], [], 0.25)
            if ready:
                drain()
        drain()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
