"""``cockpit shell REF`` with a real bash in a pseudo-terminal: commands are typed, each is recorded; a token from
the keyring and one from the environment are stored redacted, and neither reaches the shell."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cockpit.domain.shell_hook import RecordReader, shell_name
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

KEYRING_TOKEN = "kr-Secret-7f3a9c2e"
ENV_TOKEN = "env-Secret-51d0b8aa"


class Terminal:
    """The cockpit in a pseudo-terminal: type lines, wait for what the screen shows."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                        start_new_session=True)
        os.close(slave)
        self.seen = ""

    def wait_for(self, text: str, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.seen.count(text) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r} x{count}; the terminal showed:\n{self.seen}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", errors="replace")
                except OSError:  # the other side closed
                    break
        assert self.seen.count(text) >= count, self.seen

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def finish(self, timeout: float = 30) -> int:
        try:
            code = self.process.wait(timeout=timeout)
            self.wait_for("Recorded", timeout=5)
            return code
        finally:
            os.close(self.master)


def test_typed_commands_are_recorded_with_secrets_redacted(tmp_path: Path) -> None:
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    (home / ".bashrc").write_text("export FROM_USER_RC=yes\nHISTCONTROL=ignoreboth\n", encoding="utf-8")
    env = {**os.environ, "HOME": str(home), "SHELL": "/bin/bash", "TMPDIR": str(temp), "TERM": "dumb",
           "COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "XDG_DATA_HOME": str(tmp_path / "keyring"),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring", "COCKPIT_PROMETHEUS_TOKEN": ENV_TOKEN}
    db = tmp_path / "c.db"
    cli_env = {k: env[k] for k in ("COCKPIT_CONFIG", "XDG_DATA_HOME", "PYTHON_KEYRING_BACKEND")}
    assert run_cli("tracker", "add", "team", "--kind", "roundup", "--url", "http://127.0.0.1:9/t/",
                   db=db, env=cli_env).returncode == 0
    login = run_cli("tracker", "login", "team", "--allow-plaintext-keyring", db=db, env=cli_env,
                    input_text=f"alice:{KEYRING_TOKEN}\n")
    assert login.returncode == 0, login.stderr
    opened = run_cli("incident", "open", "Disk full", "--impact", "degraded", "--scope", "lt25", db=db, env=cli_env)
    ref = opened.stdout.strip().splitlines()[-1]

    term = Terminal([sys.executable, "-m", "cockpit", "--db", str(db), "shell", ref, "--exit-codes"], env, ROOT)
    prompt = f"(rec {ref}) "
    term.wait_for(prompt)
    commands = [
        'echo "$FROM_USER_RC" user-rc-read',
        f"true alice:{KEYRING_TOKEN}",
        f"true {ENV_TOKEN} && echo 'Authorization: Bearer abcdef0123456789' > /dev/null",
        'echo "prometheus=${COCKPIT_PROMETHEUS_TOKEN:-absent}"',
        "cd /tmp && false",
        "cd /tmp && false",  # the same line again: recorded again
    ]
    for number, command in enumerate(commands, start=2):
        term.type(command)
        term.wait_for(prompt, count=number)
    term.wait_for("yes user-rc-read")  # the user's own rc file was read
    term.wait_for("prometheus=absent")  # the token was not passed to the shell
    term.type("exit")
    assert term.finish() == 0
    assert "Recorded 6 commands into " + ref + "; 2 with secrets redacted." in term.seen

    timeline = json.loads(run_cli("incident", "show", ref, "--json", db=db, env=cli_env).stdout)["timeline"]
    recorded = [e["text"] for e in timeline if e["kind"] == "command"]
    where = f"(in {ROOT}, exit 0)"
    assert recorded == [
        f'$ echo "$FROM_USER_RC" user-rc-read  {where}',
        f"$ true [redacted]  {where}",  # the keyring holds "alice:<token>": both parts are known
        f"$ true [redacted] && echo 'Authorization: Bearer [redacted]' > /dev/null  {where}",
        f'$ echo "prometheus=${{COCKPIT_PROMETHEUS_TOKEN:-absent}}"  {where}',
        f"$ cd /tmp && false  (in {ROOT}, exit 1)",  # where it was typed
        "$ cd /tmp && false  (in /tmp, exit 1)",
    ]
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("c.db*"))
    assert KEYRING_TOKEN.encode() not in stored and ENV_TOKEN.encode() not in stored
    assert list(temp.iterdir()) == []  # the rc file and the FIFO are gone


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (scripts/install-system-deps.sh)")
def test_zsh_records_through_its_preexec_and_precmd_hooks(tmp_path: Path) -> None:
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    (home / ".zshrc").write_text("export FROM_USER_RC=yes\n", encoding="utf-8")
    env = {**os.environ, "HOME": str(home), "SHELL": str(shutil.which("zsh")), "TMPDIR": str(temp), "TERM": "dumb",
           "COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "COCKPIT_ALERTMANAGER_TOKEN": ENV_TOKEN}
    env.pop("ZDOTDIR", None)
    db = tmp_path / "c.db"
    cli_env = {"COCKPIT_CONFIG": env["COCKPIT_CONFIG"]}
    ref = run_cli("incident", "open", "Disk full", "--impact", "degraded", "--scope", "lt25", db=db,
                  env=cli_env).stdout.strip().splitlines()[-1]
    term = Terminal([sys.executable, "-m", "cockpit", "--db", str(db), "shell", ref], env, ROOT)
    prompt = f"(rec {ref}) "
    term.wait_for(prompt)
    for number, command in enumerate(['echo "$FROM_USER_RC" user-rc-read', f"print -r -- {ENV_TOKEN} >/dev/null",
                                      "cd /tmp", "pwd"], start=2):
        term.type(command)
        term.wait_for(prompt, count=number)
    term.wait_for("yes user-rc-read")
    term.type("exit")
    assert term.finish() == 0
    assert f"Recorded 4 commands into {ref}; 1 with secrets redacted." in term.seen
    timeline = json.loads(run_cli("incident", "show", ref, "--json", db=db, env=cli_env).stdout)["timeline"]
    assert [e["text"] for e in timeline if e["kind"] == "command"] == [
        f'$ echo "$FROM_USER_RC" user-rc-read  (in {ROOT})',
        f"$ print -r -- [redacted] >/dev/null  (in {ROOT})",
        f"$ cd /tmp  (in {ROOT})",  # where it was typed
        "$ pwd  (in /tmp)",
    ]
    assert list(temp.iterdir()) == []


def test_an_unknown_incident_starts_no_shell(tmp_path: Path) -> None:
    result = run_cli("shell", "NOPE", db=tmp_path / "c.db")
    assert result.returncode != 0 and "Traceback" not in result.stderr and "NOPE" in result.stderr
    assert "Recording" not in result.stderr


def test_records_arrive_whole_across_chunks_and_the_shell_falls_back_to_bash() -> None:
    reader = RecordReader()
    assert reader.feed(b"0\0/srv\0ls -l") == []
    [record] = reader.feed(b"\n| head\0")  # a command line may hold a newline; the NUL ends it
    assert (record.status, record.cwd, record.line) == (0, "/srv", "ls -l\n| head")
    first, odd = reader.feed(b"2\0/home\0true\0x\0/\0ls\0")
    assert (first.status, first.cwd, first.line) == (2, "/home", "true")
    assert (odd.status, odd.cwd, odd.line) == (None, "/", "ls")  # a status that is no number is left out
    assert [shell_name(s) for s in ("/bin/zsh", "/usr/bin/fish", "", "/bin/bash")] == ["zsh", "bash", "bash", "bash"]
