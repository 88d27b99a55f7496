"""The cockpit's background reading of SLO figures: every ``refresh_seconds`` (sources.yaml, default 60), one
refresh in a worker thread, never two at once, results kept in the store by the signals service. The screen only
ever reads the store, so a slow or dead Prometheus never holds up a key."""

from __future__ import annotations

import threading
from typing import Any

from textual.app import App

from cockpit.errors import CockpitError
from cockpit.tui.host import host_of


class SignalsRefresher:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.host = host_of(app)
        self.note = ""  # what the pane should say about the source (none configured, a bad settings file)
        self.rounds = 0
        self._lock = threading.Lock()
        from cockpit.service.slo_files import CachedLibrary

        self._library = CachedLibrary()

    def start(self) -> None:
        from cockpit.sources.settings import load_settings

        try:
            settings = load_settings()
        except CockpitError as exc:
            self.note = str(exc)
            return
        if settings is None:
            self.note = "No Prometheus configured (`cockpit slo source set URL`); figures shown are the last stored."
            return
        self.app.set_interval(settings.refresh_seconds, self.round)
        self.round()

    def round(self) -> None:
        self.app.run_worker(self._work, thread=True, group="signals", exit_on_error=False)

    def _work(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # the previous refresh still runs
        try:
            from cockpit.service.signals import Signals
            from cockpit.service.slo_files import slo_folders
            from cockpit.sources.refresh import configured_source, refresh

            library = self._library.get(slo_folders(self.host.config.slo_dirs))
            source = configured_source()
            if source is None or not library.slos:
                return
            with source:
                # two at a time: in the background, gentler on the server (and on a small machine) beats faster
                report = refresh(Signals(self.host.service), library, source, clock=self.host.clock, workers=2)
            self.note = report.source_error or ""
        except CockpitError as exc:
            self.note = str(exc)
        except Exception:
            self.host.report_crash()
        finally:
            self.rounds += 1
            self._lock.release()
