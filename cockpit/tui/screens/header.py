"""The incident's status line above every screen that works on one incident (walker, comms, postmortem), so
severity and an overdue check-in never hide behind a full-screen view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.screen import Screen

from cockpit.service.incidents import IncidentDetail
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.panes.status import StatusLine

if TYPE_CHECKING:
    from cockpit.service.incidents import IncidentService


class IncidentHeaderScreen(Screen[None]):
    """A screen about one incident: compose ``StatusLine(id="status")`` first; the line keeps itself current."""

    incident_id: str

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def start_header(self) -> None:
        self._header_token: tuple[str, int] | None = None
        self.refresh_header()
        self.set_interval(self.cockpit.poll_interval, self.refresh_header)
        self.set_interval(1.0, self._tick_header)

    def refresh_header(self) -> None:
        known = getattr(self, "_header_token", None)

        def check(svc: IncidentService) -> tuple[tuple[str, int], IncidentDetail | None]:
            token = svc.change_token(self.incident_id)
            return token, (None if token == known else svc.get(self.incident_id, with_timeline=False))

        self.cockpit.call_service(check, self._header_loaded, group="poll", quiet=True)

    def _header_loaded(self, result: tuple[tuple[str, int], IncidentDetail | None]) -> None:
        token, detail = result
        self._header_token = token
        if detail is None:
            return
        try:
            status = self.query_one("#status", StatusLine)
        except NoMatches:
            return
        status.show(detail.snapshot, self.cockpit.clock(), self.cockpit.sync_state, self.cockpit.responder)
        self.header_changed(detail)

    def header_changed(self, detail: IncidentDetail) -> None:
        """Hook: the incident changed (a screen may redraw what depends on it)."""

    def _tick_header(self) -> None:
        try:
            self.query_one("#status", StatusLine).tick(self.cockpit.clock())
        except NoMatches:
            return
