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
    """Seconds from starting ``command`` in a fresh 120×40 tmux session to ``marker`` on its screen."""
    name = f"peer-{os.getpid()}-{time.monotonic_ns()}"
    t0 = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", command], check=True, env=env)
    try:
        while time.perf_counter() - t0 < timeout:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if marker in screen:
                return time.perf_counter() - t0
            time.sleep(0.005)
        raise SystemExit(f"{command!r}: {marker!r} not on screen after {timeout:.0f} s")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


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
        title = IncidentService(store, "bench").list_incidents()[0].title[:30]
        store.close()
        (folder / "bare.py").write_text(BARE)
        log = folder / "app.log"
        log.write_text("".join(f"2026-11-18 14:{i // 60:02d}:{i % 60:02d} INFO request {i} ok\n" for i in range(500)))
        (folder / "collection").mkdir()
        python = shlex.quote(sys.executable)
        subjects: dict[str, tuple[str, str]] = {
            "bare Textual (Header+Static+Footer)": (f"{python} {folder / 'bare.py'}", "bare-floor-ready"),
            "cockpit, sample data": (f"{python} -m cockpit --db {db} --as bench", title),
        }
        for package, command, marker in (
                ("toolong", "tl {log}", "request 1 ok"),
                ("posting", "posting --collection {collection}", "Posting"),
                ("harlequin", "harlequin", "Data Catalog")):
            bin_dir = venv_with(package)
            if bin_dir is not None:
                subjects[package] = (f"{bin_dir}/{command.format(log=log, collection=folder / 'collection')}", marker)
        times: dict[str, list[float]] = {name: [] for name in subjects}
        for _ in range(args.rounds):
            for name, (command, marker) in subjects.items():
                times[name].append(first_frame(command, marker, env))
    floor = statistics.median(times["bare Textual (Header+Static+Footer)"])
    cockpit = statistics.median(times["cockpit, sample data"])
    print(f"# first frame in tmux at 120×40, medians of {args.rounds} interleaved rounds; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<40} {median:>7.3f} s  ×{median / floor:.2f} the bare app  cockpit ×{cockpit / median:.2f}")


if __name__ == "__main__":
    main()
