"""The cockpit's background reading of SLO figures: every ``refresh_seconds`` (sources.yaml, default 60), one
refresh in a child process (waited on by a worker thread), never two at once, results kept in the store by the
signals service. The screen only ever reads the store, so a slow or dead Prometheus never holds up a key, and the
refresh's own work never competes with the screen for the interpreter."""

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
        from cockpit.sources.refresh_child import ChildRefresh

        self._library = CachedLibrary()
        self._child = ChildRefresh()

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
        from cockpit.service.slo_files import slo_folders
        from cockpit.sources.settings import load_settings, with_token

        folders = slo_folders(self.host.config.slo_dirs)
        library = self._library.get(folders)
        settings = load_settings()
        if settings is None or not library.slos:
            return
        # in a child process: parsing and evaluating fifty SLOs in a thread here would hold the interpreter lock
        # each key needs; two requests at a time, gentler on the server (and on a small machine) than faster
        report = self._child.run(self.host.service.store.path, self.host.service.author, self.host.clock(),
                                 folders, with_token(settings), workers=2)
        self.note = report.source_error or ""

    def stop(self) -> None:
        self._child.stop()
