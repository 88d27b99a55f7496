"""The small interface every tracker adapter implements, and the error classes the relay acts on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from cockpit.service.merge import Pulled

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


class RateLimited(Retryable):
    """The tracker's rate limit: its wait is honoured even when other requests go through."""


class Settling(Retryable):
    """Not a failure: an earlier attempt may still land, so the relay waits before looking for it."""


class Misconfigured(TrackerError):
    """The address answers, but not as the tracker the settings describe (a 404 at the API's root, a page that
    is not the API): every change would fail the same way, so the tracker is paused until the settings change,
    and nothing is dead-lettered."""

    kind = "config"


class TokenRefused(TrackerError):
    """A create's server-side idempotency token (Roundup's Post-Once-Exactly link) was refused: it expired, was
    used, or belongs to another login. The relay looks for the entry and, once no earlier attempt can still
    land, takes a fresh token."""

    kind = "token"


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

    def pull(self, since: datetime | None, known: KnownIds | None = None) -> Pulled:
        """Incidents changed since ``since`` (with their entries), and the records that could not be read (each
        with its reason: one bad record never stops a pull). ``known`` tells which remote entry ids this cockpit
        already holds, so an adapter may skip reading them again."""

    def check(self) -> None:
        """Try the credential with one cheap authenticated read (AuthFailed when refused); used before a login is
        saved."""

    def cancel(self) -> None:
        """From another thread: abandon the request in progress and send nothing more (the cockpit is quitting)."""

    def close(self) -> None: ...
