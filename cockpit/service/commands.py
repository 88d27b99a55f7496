"""Running a runbook step's command: only after confirmation, with a timeout, without a shell unless the
runbook's author marked the step ``shell: true``. Output is capped; the caller shows it literally.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shlex
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass

from cockpit.domain.runbook import RunbookStep
from cockpit.errors import InvalidInput
from cockpit.redact import child_environment, redact, secret_variables

OUTPUT_CAP = 64 * 1024


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_code: int | None  # None when it timed out
    output: str
    timed_out: bool
    truncated: bool
    seconds: float

    @property
    def summary(self) -> str:
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s"
        return f"exit {self.exit_code} in {self.seconds:.1f} s"


def command_line(step: RunbookStep) -> tuple[str, ...]:
    """The exact argv that would run: split like a POSIX shell would, or ``/bin/sh -c`` for a shell step."""
    if not step.command.strip():
        raise InvalidInput("This step has no command to run.")
    if step.shell:
        return ("/bin/sh", "-c", step.command)
    try:
        return tuple(shlex.split(step.command))
    except ValueError as exc:
        raise InvalidInput(f"The step's command cannot be split into words ({exc}); fix the runbook.") from None


def run_step_command(step: RunbookStep, timeout: float | None = None, secrets: Iterable[str] = ()) -> CommandResult:
    """Run the step's command; keep at most ``OUTPUT_CAP`` bytes of its output (the rest is read and dropped,
    so a chatty command cannot fill memory), and kill its whole process group at the deadline.

    The command runs without the cockpit's secret variables (``COCKPIT_TRACKER_TOKEN_*`` and the like) or any
    variable holding one of their values or ``secrets`` (the caller adds those it knows, e.g. from the keyring),
    and each of them is redacted from the result, which goes into the timeline and so to the tracker."""
    known = [*secret_variables(os.environ), *secrets]
    environment = child_environment(os.environ, known)
    argv = command_line(step)
    limit = timeout if timeout is not None else step.timeout_seconds
    started = time.monotonic()
    deadline = started + limit
    try:
        proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=environment)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return CommandResult(_redacted(argv, known), 127, redact(f"could not start {argv[0]}: {reason}", known),
                             False, False, time.monotonic() - started)
    assert proc.stdout is not None
    kept = bytearray()
    dropped = 0
    timed_out = False
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if not selector.select(timeout=min(remaining, 0.5)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:  # every writer closed the pipe
                break
            room = OUTPUT_CAP - len(kept)
            kept += chunk[:room]
            dropped += max(0, len(chunk) - room)
    if timed_out:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.stdout.close()
    try:
        code: int | None = proc.wait(timeout=2)
    except subprocess.TimeoutExpired:  # a process that escaped the group: give up waiting, never hang
        code = None
    output = redact(kept.decode("utf-8", errors="replace"), known, cut=timed_out or dropped > 0)
    return CommandResult(_redacted(argv, known), None if timed_out else code, output, timed_out, dropped > 0,
                         time.monotonic() - started)


def _redacted(argv: tuple[str, ...], secrets: Iterable[str]) -> tuple[str, ...]:
    """The command line as recorded: a secret a runbook wrote into it is not copied into the timeline."""
    return tuple(redact(word, secrets) for word in argv)
