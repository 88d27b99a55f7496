"""The cockpit's background reading of Alertmanager: every ``refresh_seconds`` (alerts.yaml, default 15), one round
in a worker thread, never two at once; what it learned goes into the alert log, and the screens only read the log,
so a slow or dead Alertmanager never holds up a key. New page-level alerts are counted for the status line."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import App

from cockpit.errors import CockpitError
from cockpit.tui.host import host_of

if TYPE_CHECKING:
    from cockpit.service.alerts import AlertLog


class AlertsPoller:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.host = host_of(app)
        self.note = ""  # what the alerts screen says about the source (none configured, bad settings)
        self.rounds = 0
        self.seen_since: datetime | None = None  # page-level alerts first seen after this are "new"
        self.new_pages = 0
        self.settings: Any = None
        self._source: Any = None
        self._lock = threading.Lock()

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
        self.app.set_interval(self.settings.refresh_seconds, self.round)
        self.round()

    def seen(self) -> None:
        """The person looked at the alerts: the count starts again."""
        self.seen_since = self.host.clock()
        self.new_pages = 0

    def round(self) -> None:
        if self.settings is None:
            return
        self.app.run_worker(self._work, thread=True, group="alerts", exit_on_error=False)

    def _work(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # the previous round still runs
        try:
            from cockpit.sources.alert_settings import with_token
            from cockpit.sources.alertmanager import AlertmanagerSource, poll_once

            if self._source is None:
                self._source = AlertmanagerSource(with_token(self.settings))
            log = self.log()
            report = poll_once(log, self._source, now=self.host.clock())
            self.note = report.error or ""
            if self.seen_since is not None:
                self.new_pages = log.pages_since(self.seen_since)
        except CockpitError as exc:
            self.note = str(exc)
        except Exception:
            self.host.report_crash()
        finally:
            self.rounds += 1
            self._lock.release()
        self.app.call_from_thread(self._changed)

    def _changed(self) -> None:
        reload = getattr(self.app.screen, "alerts_changed", None)
        if reload is not None:
            reload()

    def stop(self) -> None:
        source = self._source
        if source is not None:
            source.cancel()
