"""The outbox relay: push queued changes in order, pull what others wrote, remember how it went.

Errors are classified: retryable (network, timeouts, 408/425/429/5xx) wait with full-jitter exponential
backoff that never undercuts Retry-After (capped at an hour); stale (409/412) is re-read and retried; permanent
(other 4xx) is dead-lettered, visible and retryable by hand; auth (401/403 on login) pauses the tracker until
someone logs in again; config (the address is not the tracker's API) pauses it until the settings change. A
circuit breaker stops hammering a tracker that keeps failing, and any successful request ends the backoff of
every change waiting on that tracker (never a rate limit's wait, nor the wait for an earlier attempt that may
still land).

A pull that the tracker answers with something the cockpit refuses to read (a link to another host, endless
pages, an answer too large) is parked with its reason and does not stop the push; one bad record in it is
parked and the others merge (see ``cockpit.service.merge``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cockpit.domain.incident import OutboxState
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger, RemoteProblem
from cockpit.service.sync_ledger import QueuedChange, SyncLedger, queue_status
from cockpit.sync.adapter import (
    AuthFailed,
    Misconfigured,
    Permanent,
    RateLimited,
    Settling,
    Stale,
    TokenRefused,
    TrackerAdapter,
    TrackerError,
)
from cockpit.sync.http import ReadLimit

BASE_DELAY_S = 1.0
MAX_DELAY_S = 300.0
PULL_OVERLAP = timedelta(seconds=5)  # re-read behind the cursor: 1 s timestamps plus clock skew
MAX_TOKEN_RENEWALS = 3  # fresh idempotency tokens refused in a row before the change is dead-lettered


def backoff(attempts: int, retry_after: float | None, rand: Callable[[], float] = random.random) -> float:
    """Full jitter: uniform(0, min(cap, base * 2^n)), but never shorter than the server's Retry-After."""
    delay = rand() * min(MAX_DELAY_S, BASE_DELAY_S * 2 ** min(attempts, 20))
    return float(max(delay, min(retry_after or 0.0, 3600.0)))


@dataclass
class Breaker:
    """Opens after ``threshold`` consecutive failures; after ``cool_down`` one probe is let through."""

    threshold: int = 5
    cool_down: timedelta = timedelta(seconds=30)
    failures: int = 0
    opened_at: datetime | None = None

    def allow(self, now: datetime) -> bool:
        return self.opened_at is None or now - self.opened_at >= self.cool_down

    def success(self) -> None:
        self.failures, self.opened_at = 0, None

    def failure(self, now: datetime) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now


@dataclass
class Report:
    pushed: int = 0
    pulled: int = 0
    dead: int = 0
    waiting: int = 0
    parked: int = 0
    login_needed: bool = False
    url_wrong: bool = False
    errors: list[str] = field(default_factory=list)


class Relay:
    def __init__(self, incidents: IncidentService, adapter: TrackerAdapter, breaker: Breaker | None = None) -> None:
        self.incidents = incidents
        self.adapter = adapter
        self.merger = Merger(incidents, adapter.name)
        self.ledger = SyncLedger(incidents, adapter.name)  # every write about the sync goes through it
        self.breaker = breaker or Breaker()
        self._note = self.ledger.note
        self._save = self.ledger.save

    # --- push -----------------------------------------------------------------------------
    def push(self, limit: int = 10_000, healthy: bool = False) -> Report:
        """Send the queue in order. ``healthy``: the tracker just answered a request, so changes waiting out a
        backoff go now (never one waiting for a rate limit, or for an earlier attempt that may still land)."""
        report = Report()
        now = self.incidents.clock()
        blocked: set[str] = set()  # incidents whose earlier op must go first
        for op in self.ledger.pending(limit):
            if op.incident_id in blocked:
                continue
            waits = op.next_attempt_at is not None and op.next_attempt_at > now
            if waits and (not healthy or op.payload.get("_wait") in ("settling", "rate")):
                blocked.add(op.incident_id)
                report.waiting += 1
                continue
            if not self.breaker.allow(self.incidents.clock()):
                report.waiting += 1
                break
            try:
                self._send(op)
            except Settling as exc:
                self.ledger.finish(op, OutboxState.PENDING, str(exc), next_at=self.incidents.clock()
                             + timedelta(seconds=exc.retry_after or 0.0), payload={**op.payload, "_wait": "settling"})
                report.waiting += 1
                blocked.add(op.incident_id)
            except (AuthFailed, Misconfigured) as exc:  # nothing more can go until a person fixes the login or URL
                login = isinstance(exc, AuthFailed)
                self._note(login_needed=login, url_wrong=not login, last_error=str(exc),
                           last_attempt_at=self.incidents.clock())
                report.errors.append(str(exc))
                report.login_needed, report.url_wrong = login, not login
                break
            except Permanent as exc:
                self.ledger.finish(op, OutboxState.DEAD, str(exc), attempts_inc=1)
                self._note(last_error=str(exc), last_attempt_at=self.incidents.clock())
                report.dead += 1
                report.errors.append(str(exc))
                blocked.add(op.incident_id)  # later changes of that incident wait for a person to look
                healthy = True  # the tracker answered
            except TrackerError as exc:
                self.breaker.failure(self.incidents.clock())
                delay = backoff(op.attempts, exc.retry_after)
                # the in-flight window of an attempt runs from when the client gave up on it, not when it began
                ended = {**op.payload, "_wait": "rate" if isinstance(exc, RateLimited) else "backoff"}
                if "_sent_at" in op.payload:
                    ended["_sent_at"] = self.incidents.clock().isoformat()
                self.ledger.finish(op, OutboxState.PENDING, str(exc), attempts_inc=1, payload=ended,
                                   next_at=self.incidents.clock() + timedelta(seconds=delay))
                self._note(reachable=isinstance(exc, Stale), last_error=str(exc),
                           last_attempt_at=self.incidents.clock())
                report.errors.append(str(exc))
                blocked.add(op.incident_id)
            else:
                self.breaker.success()
                self.ledger.finish(op, OutboxState.SENT, attempts_inc=1)
                report.pushed += 1
                healthy = True
        if report.pushed and not report.errors:
            self._note(reachable=True, login_needed=False, url_wrong=False, last_error=None,
                       last_push_at=self.incidents.clock(), last_attempt_at=self.incidents.clock())
        elif report.pushed:
            self._note(last_push_at=self.incidents.clock(), login_needed=False, url_wrong=False)
        return report

    def _token(self, op: QueuedChange, klass: str) -> str | None:
        """The create's idempotency token, persisted with the outbox row before it is used."""
        token = op.payload.get("_token")
        if token is not None:
            return str(token)
        prepare = getattr(self.adapter, "prepare_token", None)
        fresh = prepare(klass) if prepare is not None else self.adapter.prepare_create()
        if fresh is not None:
            self._save(op, _token=fresh)
        return fresh

    def _in_flight(self) -> float:
        """How long an attempt the client gave up on may still land on the tracker."""
        return float(getattr(self.adapter, "in_flight_seconds", self.adapter.settle_seconds))

    def _create(self, op: QueuedChange, klass: str, send: Callable[[str | None], str],
                lookup: Callable[[], str | None]) -> str:
        """A create, sent at most once. With a server token (Roundup's Post-Once-Exactly link) the token makes a
        retry safe; a refused token (expired, used, another login's) is dropped for a fresh one once no earlier
        attempt with it can still land and the entry is not there. Without tokens, see ``_settled_lookup``."""
        token = self._token(op, klass)
        if token is None:
            return self._settled_lookup(op, lookup) or send(None)
        previous = op.payload.get("_sent_at")
        self._save(op, _sent_at=self.incidents.clock().isoformat())  # a kill mid-request leaves the window known
        try:
            return send(token)
        except TokenRefused as exc:
            return self._renew(op, klass, send, previous, exc)

    def _renew(self, op: QueuedChange, klass: str, send: Callable[[str | None], str], previous: Any,
               refused: TokenRefused) -> str:
        now = self.incidents.clock()
        if previous is not None:
            ready = datetime.fromisoformat(str(previous)) + timedelta(seconds=self._in_flight())
            if now < ready:
                self._save(op, _sent_at=previous)  # the refused attempt never landed: the earlier one still may
                raise Settling(f"{self.adapter.name}: its create token was refused and the entry is not there yet; an "
                               f"earlier attempt may still land, looking again at {ready:%H:%M:%S}",
                               (ready - now).total_seconds())
        renewals = int(op.payload.get("_renewals", 0) or 0)
        if renewals >= MAX_TOKEN_RENEWALS:
            self._save(op, _renewals=0)
            raise Permanent(f"{self.adapter.name} refused {renewals + 1} create tokens in a row ({refused}); "
                            f"`cockpit sync retry` sends it again")
        prepare = getattr(self.adapter, "prepare_token", None)
        fresh = prepare(klass) if prepare is not None else self.adapter.prepare_create()
        self._save(op, _token=fresh, _renewals=renewals + 1, _sent_at=now.isoformat())
        return send(fresh)

    def _settled_lookup(self, op: QueuedChange, lookup: Callable[[], str | None]) -> str | None:
        """Idempotency without server tokens. The time of each attempt is saved before it is sent; a retry
        first waits until that attempt can no longer land (the adapter's ``settle_seconds``), then looks for
        the marker it carried, and only sends again when it is not there."""
        sent = op.payload.get("_sent_at")
        now = self.incidents.clock()
        if sent is not None:
            ready = datetime.fromisoformat(str(sent)) + timedelta(seconds=float(self.adapter.settle_seconds))
            if now < ready:
                raise Settling(f"{self.adapter.name}: an earlier attempt may still land; looking again at "
                               f"{ready:%H:%M:%S}", (ready - now).total_seconds())
            found = lookup()
            if found is not None:
                return found
        self._save(op, _sent_at=now.isoformat())
        return None

    @staticmethod
    def _outgoing(op: QueuedChange) -> dict[str, Any]:
        return {k: v for k, v in op.payload.items() if not k.startswith("_")}

    def _send(self, op: QueuedChange) -> None:
        adapter, merger, ledger = self.adapter, self.merger, self.ledger
        remote_incident = ledger.link("incident", op.incident_id)
        if op.op == "create_incident":
            if remote_incident is not None:
                return
            remote_id = self._create(op, "issue", lambda token: adapter.create_incident(self._outgoing(op), token),
                                     lambda: adapter.find_incident(op.incident_id))
            ledger.set_link("incident", op.incident_id, remote_id)
            merger.agree(op.incident_id, {"severity": op.payload.get("severity", ""),
                                          "phase": op.payload.get("phase", ""), "roles": ""})
            return
        if remote_incident is None:
            remote_incident = adapter.find_incident(op.incident_id)
            if remote_incident is None:
                raise Permanent(f"The incident of this change is not in {adapter.name} yet.")
            ledger.set_link("incident", op.incident_id, remote_incident)
        if op.op == "add_entry":
            if ledger.link("entry", op.entity_id) is not None:
                return  # already there (pulled back, or an earlier attempt landed)
            target = remote_incident
            remote_entry = self._create(op, "msg", lambda token: adapter.add_entry(target, self._outgoing(op), token),
                                        lambda: adapter.find_entry(target, op.entity_id))
            ledger.set_link("entry", op.entity_id, remote_entry)
        elif op.op == "update_incident":
            fields = self._current_fields(op)
            if fields:
                adapter.update_fields(remote_incident, fields)
                merger.agree(op.incident_id, {k: str(v) for k, v in fields.items()})

    def _current_fields(self, op: QueuedChange) -> dict[str, Any]:
        """What to send for a queued field change: the incident's value now (a conflict may have kept the
        tracker's), and nothing for a field the tracker already holds."""
        now = self.ledger.fields_now(op.incident_id)
        if now is None:
            return {}
        current, agreed = now
        fields = self._outgoing(op)
        for name, value in current.items():
            if name in fields:
                fields[name] = value
                if agreed.get(name) == value:
                    del fields[name]
        if "severity" not in fields:
            fields.pop("severity_reason", None)  # the reason travels with its severity
        return fields

    # --- pull -----------------------------------------------------------------------------
    def pull(self) -> Report:
        """Read what changed since the cursor and merge it. An answer the cockpit refuses to read (another
        host's link, endless pages, too large) parks the pull with its reason and leaves the cursor: the push
        goes on, and the next round reads again. One bad record parks that record only."""
        report = Report()
        cursor = self.ledger.pull_cursor()
        started = self.incidents.clock()
        since = cursor - PULL_OVERLAP if cursor else None
        try:
            pulled = self.adapter.pull(since, self.ledger.known_entries)
        except (ReadLimit, Permanent) as exc:
            self.merger.park(RemoteProblem("listing", "pull", f"the pull from {self.adapter.name}", str(exc)))
            self._note(reachable=True, login_needed=False, url_wrong=False, last_error=str(exc),
                       last_attempt_at=started)
            report.errors.append(str(exc))
            report.parked += 1
            return report
        parks, new_parks = self.merger.parks, self.merger.new_parks
        held = self.ledger.known_entries({p.remote_id for p in pulled.problems if p.kind == "entry"})
        for problem in pulled.problems:
            if problem.kind == "entry" and problem.remote_id in held:
                continue  # an entry this cockpit already has, garbled on the way back: nothing to set aside
            self.merger.park(problem)
        for remote in pulled.incidents:
            if not remote.cockpit_uuid:
                continue  # an issue the cockpit did not create and nobody linked: not an incident of ours
            report.pulled += self.merger.merge(remote)
        report.parked += self.merger.parks - parks
        self.merger.release_listing()
        self.merger.release_unidentified({p.remote_id for p in pulled.problems})
        # a record parked for the first time may have been garbled on the way: the next pull reads its window
        # again (and releases it if it reads fine). One parked before keeps its place: the cursor moves on.
        cursor_now = cursor if self.merger.new_parks > new_parks else started
        self._note(pull_cursor=cursor_now, last_pull_at=started, reachable=True, login_needed=False,
                   url_wrong=False)
        return report

    def run_once(self) -> Report:
        """Pull first (so conflicts are seen before our queued changes overwrite anything), then push.
        While the breaker is open, a round sends nothing at all until its cool-down lets one probe through."""
        if not self.breaker.allow(self.incidents.clock()):
            return Report(waiting=queue_status(self.incidents)["queued"],
                          errors=[f"{self.adapter.name}: paused after repeated failures; trying again shortly"])
        try:
            pulled = self.pull()
        except AuthFailed as exc:
            self._note(login_needed=True, url_wrong=False, last_error=str(exc), last_attempt_at=self.incidents.clock())
            return Report(errors=[str(exc)], login_needed=True)
        except Misconfigured as exc:
            self._note(url_wrong=True, login_needed=False, reachable=True, last_error=str(exc),
                       last_attempt_at=self.incidents.clock())
            return Report(errors=[str(exc)], url_wrong=True, waiting=queue_status(self.incidents)["queued"])
        except TrackerError as exc:
            self.breaker.failure(self.incidents.clock())
            self._note(reachable=False, last_error=str(exc), last_attempt_at=self.incidents.clock())
            return Report(errors=[str(exc)], waiting=queue_status(self.incidents)["queued"])
        self.breaker.success()
        pushed = self.push(healthy=True)
        pushed.pulled, pushed.parked = pulled.pulled, pulled.parked
        pushed.errors = pulled.errors + pushed.errors
        if not pulled.errors and not pushed.errors:
            self._note(last_error=None)
        return pushed

