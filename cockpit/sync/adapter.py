"""The small interface every tracker adapter implements, and the error classes the relay acts on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from cockpit.service.merge import RemoteIncident

#: Given remote entry ids, returns those the local store already has.
KnownIds = Callable[[set[str]], set[str]]


class TrackerError(Exception):
    """Base: ``kind`` tells the relay what to do (retryable, stale, permanent, auth)."""

    kind = "retryable"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Retryable(TrackerError):
    kind = "retryable"


class Stale(TrackerError):
    kind = "stale"


class Permanent(TrackerError):
    kind = "permanent"


class AuthFailed(TrackerError):
    kind = "auth"


class Settling(Retryable):
    """Not a failure: an earlier attempt may still land, so the relay waits before looking for it."""


class TrackerAdapter(Protocol):
    name: str
    #: Trackers without server-side idempotency tokens: how long a sent request may still land after the
    #: client gave up on it. A retried create waits that long, then looks for the entry's marker first.
    settle_seconds: float

    def prepare_create(self) -> str | None:
        """A server-side idempotency token for a create (Roundup: a Post-Once-Exactly link), or None."""

    def create_incident(self, fields: dict[str, Any], token: str | None) -> str:
        """Create the incident; returns its remote id. Retrying with the same token never makes two."""

    def find_incident(self, cockpit_uuid: str) -> str | None:
        """The remote id of the incident carrying this cockpit UUID, if any."""

    def find_entry(self, remote_incident: str, cockpit_uuid: str) -> str | None:
        """The remote id of the comment carrying this entry's UUID, if any."""

    def add_entry(self, remote_incident: str, entry: dict[str, Any], token: str | None) -> str:
        """Add a timeline entry (comment); returns the remote comment id."""

    def update_fields(self, remote_incident: str, fields: dict[str, Any]) -> None:
        """Change single-value fields (severity, phase, roles...)."""

    def pull(self, since: datetime | None, known: KnownIds | None = None) -> Sequence[RemoteIncident]:
        """Incidents changed since ``since`` (with their entries). ``known`` tells which remote entry ids this
        cockpit already holds, so an adapter may skip reading them again."""

    def close(self) -> None: ...
