"""Running a runbook step's command: only after confirmation, with a timeout, without a shell unless the
runbook's author marked the step ``shell: true``. Output is capped; the caller shows it literally.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass

from cockpit.domain.runbook import RunbookStep
from cockpit.errors import InvalidInput

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


def run_step_command(step: RunbookStep, timeout: float | None = None) -> CommandResult:
    argv = command_line(step)
    limit = timeout if timeout is not None else step.timeout_seconds
    started = time.monotonic()
    try:
        proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        return CommandResult(argv, 127, f"could not start {argv[0]}: {exc.strerror or exc}", False, False,
                             time.monotonic() - started)
    try:
        raw, _ = proc.communicate(timeout=limit)
        timed_out = False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raw, _ = proc.communicate()
        timed_out = True
    truncated = len(raw) > OUTPUT_CAP
    text = raw[:OUTPUT_CAP].decode("utf-8", errors="replace")
    return CommandResult(argv, None if timed_out else proc.returncode, text, timed_out, truncated,
                         time.monotonic() - started)
