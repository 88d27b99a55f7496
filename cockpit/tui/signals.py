"""The cockpit's background reading of SLO figures: every ``refresh_seconds`` (sources.yaml, default 60), one
refresh in a worker thread, never two at once, results kept in the store by the signals service. The screen only
ever reads the store, so a slow or dead Prometheus never holds up a key."""

from __future__ import annotations

from typing import Any

from textual.app import App

from cockpit.errors import CockpitError
from cockpit.tui.rounds import BackgroundRounds


class SignalsRefresher(BackgroundRounds):
    group = "signals"

    def __init__(self, app: App[Any]) -> None:
        super().__init__(app)
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
        self.every(settings.refresh_seconds)

    def work(self) -> None:
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
