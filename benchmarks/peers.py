"""First frame of peer Textual apps beside the cockpit's, the issue #19 way: launched in tmux at 120×40, timed
from the launch to the moment a marker text is on the screen; medians of interleaved rounds, with a bare Textual
app (Header + Static + Footer) measured the same way in the same run as the floor.

Not part of ``make test`` or ``make bench``: it installs Toolong, Posting and Harlequin from PyPI, each in its own
virtualenv under ``.cache/peers/`` (the first run needs the network and a few minutes), and needs tmux.

    python -m benchmarks.peers [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".cache" / "peers"
TMUX = ["tmux", "-L", f"cockpit-peers-{os.getpid()}"]  # a server of its own: nobody else's sessions are touched

BARE = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare-floor-ready")
        yield Footer()

Bare().run()
"""


def venv_with(package: str) -> Path | None:
    """The peer's own virtualenv with ``package`` installed (made on first use); None when pip cannot get it."""
    folder = PEERS / package
    if not (folder / ".installed").exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        done = subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", package],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"# {package}: pip could not install it here ({done.stderr.strip().splitlines()[-1:]}); skipped")
            return None
        (folder / ".installed").touch()
    return folder / "bin"


def first_frame(command: str, marker: str, env: dict[str, str], timeout: float = 60) -> float:
    """Seconds from starting ``command`` in a fresh 120×40 tmux session to ``marker`` on its screen (each line of
    it, anywhere)."""
    name = f"peer-{os.getpid()}-{time.monotonic_ns()}"
    t0 = time.perf_counter()
    subprocess.run([*TMUX, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", command], check=True, env=env)
    try:
        while time.perf_counter() - t0 < timeout:
            screen = subprocess.run([*TMUX, "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if all(part in screen for part in marker.split("\n")):
                return time.perf_counter() - t0
            time.sleep(0.005)
        raise TimeoutError(f"{marker!r} not on screen after {timeout:.0f} s")
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", name], capture_output=True)


def measure_rounds(rounds: int, subjects: dict[str, tuple[str, str]], times: dict[str, list[float]],
                   env: dict[str, str]) -> None:
    """Each subject in turn, round after round; a peer that never shows its screen is left out with the reason."""
    for _ in range(rounds):
        for name, (command, marker) in subjects.items():
            if name not in times:
                continue
            try:
                times[name].append(first_frame(command, marker, env))
            except TimeoutError as exc:
                if name in ("bare Textual (Header+Static+Footer)", "cockpit, sample data"):
                    raise SystemExit(f"{name}: {exc}") from None
                print(f"# {name} never showed its first screen here ({exc}; it may have crashed): left out")
                del times[name]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is not installed (scripts/install-system-deps.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="cockpit-peers-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "TERM": "xterm-256color", "HOME": str(folder), "XDG_CONFIG_HOME": str(folder / "cfg"),
               "XDG_DATA_HOME": str(folder / "data"), "XDG_CACHE_HOME": str(folder / "cache"), "TZ": "UTC"}
        for key in ("TMUX", "TMUX_PANE"):
            env.pop(key, None)
        from cockpit.service.incidents import IncidentService
        from cockpit.service.sample import load_sample_data
        from cockpit.store.db import Store

        db = folder / "sample.db"
        store = Store.open(db)
        load_sample_data(store, now=datetime.now(UTC))
        ref = IncidentService(store, "bench").list_incidents()[0].ref
        store.close()
        (folder / "bare.py").write_text(BARE)
        log = folder / "app.log"
        log.write_text("".join(f"2026-11-18 14:{i // 60:02d}:{i % 60:02d} INFO request {i} ok\n" for i in range(500)))
        # (Toolong opens a file at its end: the last line is the marker)
        (folder / "collection").mkdir()
        python = shlex.quote(sys.executable)
        subjects: dict[str, tuple[str, str]] = {
            "bare Textual (Header+Static+Footer)": (f"{python} {folder / 'bare.py'}", "bare-floor-ready"),
            # the incident screen's timeline pane, titled, with the incident's reference in the status line
            "cockpit, sample data": (f"{python} -m cockpit --db {db} --as bench", f"{ref}\n[1] Timeline"),
        }
        for package, command, marker in (
                ("toolong", "tl {log}", "request 499 ok"),
                ("posting", "posting --collection {collection}", "Posting"),
                ("harlequin", "harlequin", "Data Catalog")):
            bin_dir = venv_with(package)
            if bin_dir is not None:
                subjects[package] = (f"{bin_dir}/{command.format(log=log, collection=folder / 'collection')}", marker)
        times: dict[str, list[float]] = {name: [] for name in subjects}
        # a session that stays: the server lives through the run (one that just lost its last session may still
        # be exiting when the next session asks for it)
        subprocess.run([*TMUX, "new-session", "-d", "-s", "keep", "sleep 86400"], check=True, env=env)
        try:
            measure_rounds(args.rounds, subjects, times, env)
        finally:
            subprocess.run([*TMUX, "kill-server"], capture_output=True)
    floor = statistics.median(times["bare Textual (Header+Static+Footer)"])
    cockpit = statistics.median(times["cockpit, sample data"])
    print(f"# first frame in tmux at 120×40, medians of {args.rounds} interleaved rounds; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<40} {median:>7.3f} s  ×{median / floor:.2f} the bare app  cockpit ×{cockpit / median:.2f}")


if __name__ == "__main__":
    main()
