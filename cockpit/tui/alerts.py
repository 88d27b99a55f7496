"""The cockpit's background reading of Alertmanager: every ``refresh_seconds`` (alerts.yaml, default 15), one round
in a worker thread, never two at once; what it learned goes into the alert log, and the screens only read the log,
so a slow or dead Alertmanager never holds up a key. New page-level alerts are counted for the status line."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import App

from cockpit.errors import CockpitError
from cockpit.tui.rounds import BackgroundRounds

if TYPE_CHECKING:
    from cockpit.service.alerts import AlertLog


class AlertsPoller(BackgroundRounds):
    group = "alerts"

    def __init__(self, app: App[Any]) -> None:
        super().__init__(app)
        self.seen_since: datetime | None = None  # page-level alerts first seen after this are "new"
        self.new_pages = 0
        self.settings: Any = None
        self._source: Any = None

    def log(self) -> AlertLog:
        from cockpit.service.alerts import AlertLog

        if self.settings is None:
            return AlertLog(self.host.service)
        return AlertLog(self.host.service, self.settings.group_by, self.settings.propose)

    def start(self) -> None:
        from cockpit.sources.alert_settings import load_settings

        self.seen_since = self.host.clock()
        try:
            self.settings = load_settings()
        except CockpitError as exc:
            self.note = str(exc)
            return
        if self.settings is None:
            self.note = ("No Alertmanager configured (`cockpit alerts source set URL`); the alerts shown are the last "
                         "stored.")
            return
        self.every(self.settings.refresh_seconds)

    def seen(self) -> None:
        """The person looked at the alerts: the count starts again."""
        self.seen_since = self.host.clock()
        self.new_pages = 0

    def round(self) -> None:
        if self.settings is not None:
            super().round()

    def work(self) -> None:
        from cockpit.sources.alert_settings import with_token
        from cockpit.sources.alertmanager import AlertmanagerSource, poll_once

        if self._source is None:
            self._source = AlertmanagerSource(with_token(self.settings))
        log = self.log()
        report = poll_once(log, self._source, now=self.host.clock())
        self.note = report.error or ""
        if self.seen_since is not None:
            self.new_pages = log.pages_since(self.seen_since)

    def after(self) -> None:
        reload = getattr(self.app.screen, "alerts_changed", None)
        if reload is not None:
            reload()

    def stop(self) -> None:
        source = self._source
        if source is not None:
            source.cancel()
