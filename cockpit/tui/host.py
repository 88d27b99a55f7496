"""What a screen may ask of the app that hosts it. Screens depend on this protocol, never on ``CockpitApp``
itself, so the app imports its screens and no screen imports the app (no import circle); ``CockpitApp``
satisfies it (checked by mypy in ``cockpit.tui.app``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from cockpit.config import Config
from cockpit.service.clock import Clock
from cockpit.service.drafts import Drafts
from cockpit.service.incidents import IncidentService

if TYPE_CHECKING:
    from textual.app import App

    from cockpit.service.alerts import AlertLog


T = TypeVar("T")


class SignalsNote(Protocol):
    note: str  # what the budget pane says about the live source (none configured, unreachable, ...)


class AlertsFeed(Protocol):
    note: str  # what the alerts screen says about the source
    settings: Any

    def log(self) -> AlertLog: ...

    def seen(self) -> None: ...

    def round(self) -> None: ...


class CockpitHost(Protocol):
    service: IncidentService
    config: Config
    clock: Clock
    poll_interval: float
    sync_interval: float
    sync_state: str
    responder: str
    drafts: Drafts
    keymap: dict[str, str]
    last_incident_id: str | None
    @property
    def signals(self) -> SignalsNote | None: ...

    @property
    def read_only(self) -> bool: ...

    @property
    def alerts(self) -> AlertsFeed | None: ...

    def call_service(self, work: Callable[[IncidentService], T], on_done: Callable[[T], object] | None = None,
                     *, group: str = "db", quiet: bool = False,
                     on_error: Callable[[Exception], None] | None = None) -> None:
        """Run ``work`` in a worker thread; ``on_done`` gets its result (typed: mypy checks the pair) on the
        screen's thread."""

    def open_incident(self, incident_id: str) -> None: ...

    def warm_up(self) -> None: ...

    def report_crash(self) -> Path | str: ...


def host_of(app: App[Any]) -> CockpitHost:
    """The cockpit app behind a screen's ``self.app``."""
    return cast("CockpitHost", app)
