"""`runbook validate` on files that are not files (issue #17, item 9): the real command in a child process,
bounded in time and memory, so the old behaviour (reading /dev/zero for ever, waiting on a pipe) fails the test
instead of taking the machine down with it."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

MEMORY_LIMIT = 1 << 30  # far above what validating a runbook needs, far below what reading /dev/zero takes


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    try:
        return subprocess.run([sys.executable, "-m", "cockpit", "runbook", "validate", *map(str, paths)],
                              capture_output=True, text=True, timeout=30, cwd=ROOT, preexec_fn=bounded,
                              env=dict(os.environ))
    except subprocess.TimeoutExpired:
        pytest.fail(f"runbook validate {' '.join(map(str, paths))} did not finish in 30 s")


def test_validate_refuses_a_device_without_reading_it() -> None:
    result = validate(Path("/dev/zero"))
    assert result.returncode == 1, result.stderr
    assert "/dev/zero:1:1: not a regular file (a device); refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_refuses_a_named_pipe_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "runbook.yaml"
    os.mkfifo(fifo)
    good = ROOT / "tests" / "data" / "walk_runbook.yaml"
    result = validate(fifo, good)
    assert result.returncode == 1, result.stderr
    assert f"{fifo}:1:1: not a regular file (a named pipe); refused" in result.stderr
    assert "1 of 2 runbook(s) valid" in result.stderr  # the rest is still checked
