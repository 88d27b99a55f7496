"""The web commands as a person runs them: the real ``cockpit`` in a child process (issue #15)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, interruptible, run_cli, without_root_powers


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def one_sentence(stderr: str) -> None:
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr and "a bug" not in stderr


def declare(db: Path, title: str = "Checkout 500s") -> str:
    result = run_cli("incident", "open", title, "--impact", "core-down", "--scope", "gt25", "--service",
                     "checkout-api", db=db)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_an_unwritable_out_dir_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.db"
    declare(db)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        inside = run_cli("status-page", "build", str(locked), db=db, prefix=without_root_powers())
        below = run_cli("status-page", "build", str(locked / "site"), db=db, prefix=without_root_powers())
    finally:
        locked.chmod(0o755)
    assert inside.returncode == 2, inside.stderr
    one_sentence(inside.stderr)
    assert f"Cannot write the status page to {locked}: permission denied" in inside.stderr
    assert below.returncode == 2
    one_sentence(below.stderr)
    assert f"Cannot create the folder {locked / 'site'}" in below.stderr
    assert list(locked.iterdir()) == []  # no temporary file left behind
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = run_cli("status-page", "build", str(a_file), db=db)
    assert result.returncode == 2
    one_sentence(result.stderr)
    assert "is a file, not a folder" in result.stderr


def test_bad_options_are_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.db"
    ref = declare(db)
    cases = [
        (("status-page", "build"), "Give the folder"),
        (("status-page", "build", str(tmp_path / "s"), "--base-url", "ftp://x/"), "--base-url must be"),
        (("status-page", "build", str(tmp_path / "s"), "--base-url", "https://u:p@x/"), "user name or password"),
        (("status-page", "build", str(tmp_path / "s"), "--title", "a\x1bb"), "control character"),
        (("comms", ref, "initial", "--publish"), "internal and is never published"),
        (("comms", ref, "resolution", "--publish"), "resolve it before publishing"),
        (("comms", ref, "customer", "--publish", "--record"), "not both"),
        (("comms", ref, "customer", "--public-title", "x"), "goes with --publish"),
    ]
    for args, words in cases:
        result = run_cli(*args, db=db)
        assert result.returncode == 2, (args, result.stderr)
        one_sentence(result.stderr)
        assert words in result.stderr, (args, result.stderr)
    assert "Published" not in run_cli("incident", "show", ref, db=db).stdout


def test_publish_from_the_cli_rebuilds_the_configured_page(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.db"
    ref = declare(db)
    site = tmp_path / "site"
    result = run_cli("comms", ref, "customer", "--publish", "--public-title", "Checkout errors", db=db,
                     env={"COCKPIT_STATUS_PAGE_DIR": str(site)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("checkout-api - Investigating checkout 500s")
    assert "status page rebuilt" in result.stderr
    html = (site / "index.html").read_text()
    assert "Checkout errors" in html and "We are currently investigating reports of checkout 500s" in html
    assert "Published to the status page" in run_cli("incident", "show", ref, db=db).stdout


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_watch_rebuilds_on_every_published_update_without_spinning(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.db"
    ref = declare(db)
    site = tmp_path / "site"
    watcher = subprocess.Popen([sys.executable, "-m", "cockpit", "--db", str(db), "status-page", "build", str(site),
                                "--watch", "--interval", "0.2"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    try:
        index = site / "index.html"
        wait_for(index.exists, what="the first build")
        assert "No incidents are in progress." in index.read_text()  # declared, not published: not on the page
        assert run_cli("note", ref, "internal only", db=db).returncode == 0
        assert run_cli("comms", ref, "customer", "--publish", db=db).returncode == 0
        wait_for(lambda: "We are currently investigating" in index.read_text(), what="the rebuild after publishing")
        for phase in ("triage", "respond"):  # a published incident's state is on the page too
            assert run_cli("incident", "phase", ref, phase, db=db).returncode == 0
        wait_for(lambda: '<span class="status">Identified</span>' in index.read_text(), what="the new state")
        # idle: it sleeps between looks instead of spinning
        before = cpu_seconds(watcher.pid)
        started = time.monotonic()
        wait_for(lambda: time.monotonic() - started > 1.5, what="an idle second and a half")
        assert cpu_seconds(watcher.pid) - before < 0.5
    finally:
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 0, err
    assert "Stopped watching" in out and out.count("Rebuilt") >= 2
    assert "internal only" not in (site / "index.html").read_text()


def test_a_port_in_use_and_a_foreign_address_are_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "cockpit.db"
    declare(db)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), db=db)
    assert result.returncode == 2, result.stderr
    one_sentence(result.stderr)
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert result.stdout == ""  # nothing claims to be serving
    result = run_cli("serve", "--host", "192.0.2.1", "--port", str(port), db=db)  # TEST-NET: not this machine
    assert result.returncode == 2
    one_sentence(result.stderr)
    assert "not an address of this machine" in result.stderr
    result = run_cli("serve", "--port", "70000", db=db)
    assert result.returncode == 2 and "70000" in result.stderr


@pytest.mark.parametrize("args", [("status-page", "build", "--help"), ("serve", "--help"), ("comms", "--help")])
def test_help_says_what_the_commands_do(args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert {"status-page": "Only published incidents and published text appear",
            "serve": "There is no authentication", "comms": "the internal initial notification is never published",
            }[args[0]] in text
