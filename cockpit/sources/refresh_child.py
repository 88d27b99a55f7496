"""One SLO refresh in a child process, so the cockpit's screen thread never competes with it.

A refresh parses Prometheus's answers and evaluates fifty SLOs: pure-Python work that, in a thread of the
cockpit's own process, holds the interpreter lock the screen needs for each key. In a child process it runs on
its own (on a second core where there is one, and at a lower priority where there is not), and the screen's
worker only waits on a pipe.

The request goes to the child on its standard input (JSON: database, responder, the cockpit's "now", the SLO
folders, the Prometheus settings and token); the child's environment has none of the cockpit's secret variables,
so the token exists only in the pipe and in the child's memory. The child writes its report as one JSON line.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError
from cockpit.sources.refresh import RefreshReport
from cockpit.sources.settings import PrometheusSettings

#: a refresh that has not answered after this long is stopped (the next round starts afresh)
LIMIT_SECONDS = 600.0
NICE = 10  # the screen first, where both share a core


class RefreshStopped(CockpitError):
    """The child ended without a report (killed, crashed, or too slow)."""


class ChildRefresh:
    """The cockpit's side: start the child, hand it the request, read its report; ``stop`` ends it at once."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._lock = threading.Lock()  # a stop between "not stopped" and the child's start still ends it

    def run(self, db: Path, responder: str, now: datetime, folders: Sequence[Path],
            settings: PrometheusSettings, workers: int = 2) -> RefreshReport:
        from cockpit.redact import child_environment, redact

        request = json.dumps({
            "db": str(db), "responder": responder, "now": now.isoformat(), "folders": [str(f) for f in folders],
            "url": settings.url, "timeout_seconds": settings.timeout_seconds, "token": settings.token,
            "workers": workers,
        }).encode()
        secrets = [settings.token] if settings.token else []
        with self._lock:
            if self._stopped:
                return RefreshReport()
            child = subprocess.Popen(
                [sys.executable, "-m", "cockpit.sources.refresh_child"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_environment(os.environ, secrets),
                start_new_session=True)
            self._child = child
        try:
            out, err = child.communicate(request, timeout=LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise RefreshStopped(f"The SLO refresh took over {LIMIT_SECONDS:.0f} s and was stopped; the last "
                                 "figures stay, and the next round tries again.") from None
        finally:
            with self._lock:
                self._child = None
        if self._stopped:
            return RefreshReport()
        try:
            answer = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
            return RefreshReport(**answer)
        except (ValueError, IndexError, TypeError):
            lines = err.decode("utf-8", "replace").strip().splitlines()
            last = redact(lines[-1], secrets)[:200] if lines else f"exit status {child.returncode}"
            raise RefreshStopped(f"The SLO refresh stopped without a report ({last}); the last figures stay, and "
                                 "the next round tries again.") from None

    def stop(self) -> None:
        """End a refresh in flight (the cockpit is quitting): nothing waits for it."""
        with self._lock:
            self._stopped = True
            child = self._child
        if child is not None and child.poll() is None:
            child.kill()


def _serve(request: dict[str, Any]) -> RefreshReport:
    from cockpit.service.incidents import IncidentService
    from cockpit.service.signals import Signals
    from cockpit.service.slo_files import load_library
    from cockpit.sources.prometheus import PrometheusSource
    from cockpit.sources.refresh import refresh
    from cockpit.store.db import Store

    now = datetime.fromisoformat(request["now"])
    settings = PrometheusSettings(url=request["url"], timeout_seconds=float(request["timeout_seconds"]),
                                  token=request.get("token") or None)
    library = load_library([Path(f) for f in request["folders"]])
    store = Store.open(Path(request["db"]))
    try:
        service = IncidentService(store, request["responder"], clock=lambda: now)
        with PrometheusSource(settings) as source:
            return refresh(Signals(service), library, source, clock=lambda: now, workers=int(request["workers"]))
    finally:
        store.close()


def main() -> int:
    with contextlib.suppress(OSError):
        os.nice(NICE)
    try:
        report = _serve(json.loads(sys.stdin.buffer.read()))
    except CockpitError as exc:
        report = RefreshReport(source_error=str(exc))
    print(json.dumps(asdict(report)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
