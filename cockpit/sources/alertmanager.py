"""Alertmanager (API v2) as a live source: poll the alerts, create and expire the acknowledging silences.

Every request goes through the trackers' HTTP helper (``cockpit.sync.http.TrackerHttp``): credentials only to the
configured origin, no redirect followed elsewhere, answers bounded in size and time. Every answer is hostile until
read: a record that cannot be read is quarantined with its reason, never a reason to stop; an address that does not
answer like Alertmanager, or refuses the token, is one plain sentence.

``poll_once`` is one round: read the alerts into the log, then send the acknowledgements waiting in the store
(looking first for a silence carrying the acknowledgement's marker, so an answer lost on the way, or a cockpit killed
between sending and recording, never makes a second silence), then expire the silences of resolved incidents.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from cockpit.domain.alerts import Alert, BadRecord, parse_alerts, rfc3339
from cockpit.errors import CockpitError
from cockpit.service.alerts import AlertLog, PollResult, SilenceRecord
from cockpit.sources.alert_settings import AlertmanagerSettings
from cockpit.sync.adapter import TrackerError
from cockpit.sync.http import Limits, TrackerHttp
from cockpit.textsafe import one_line

MAX_SILENCES = 20_000


class AlertSourceError(CockpitError):
    """Alertmanager could not be used this round (down, refused the token, not Alertmanager)."""

    refused = False  # it answered and refused this request (400, 422): asking again will not change that


class RequestRefused(AlertSourceError):
    refused = True


class AlertmanagerSource:
    def __init__(self, settings: AlertmanagerSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        headers = {"Accept": "application/json", "User-Agent": "incident-cockpit"}
        auth: httpx.BasicAuth | None = None
        if settings.token and ":" in settings.token:
            user, _, password = settings.token.partition(":")
            auth = httpx.BasicAuth(user, password)
        elif settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        seconds = settings.timeout_seconds
        self.http = TrackerHttp(self.name, settings.url, auth=auth, headers=headers, transport=transport,
                                limits=Limits(request_seconds=max(3 * seconds, 1.0)))
        self.http.client.timeout = httpx.Timeout(seconds, connect=min(seconds, 3.0))

    @property
    def name(self) -> str:
        return f"Alertmanager at {self.settings.url}"

    def close(self) -> None:
        self.http.close()

    def cancel(self) -> None:
        self.http.cancel()

    def __enter__(self) -> AlertmanagerSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- one request ----------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except TrackerError as exc:
            # the helper's sentence already names the server ("Alertmanager at … unreachable (ConnectError)")
            raise AlertSourceError(self._redact(f"{str(exc).rstrip('.')}.")) from None
        status = response.status_code
        if status in (401, 403):
            raise AlertSourceError(f"{self.name} refused the credentials ({status}); check the token "
                                   "(`cockpit alerts source login`, or COCKPIT_ALERTMANAGER_TOKEN).")
        if 300 <= status < 400:
            raise AlertSourceError(f"{self.name} answered with a redirect ({status}), which is not followed; "
                                   "check the URL.")
        if status == 404:
            raise AlertSourceError(f"{self.name} has no Alertmanager API v2 (404 at /{path}); check the URL.")
        if status == 429:  # its answer is a proxy's or a limiter's, not the API's: not a wrong URL
            raise AlertSourceError(f"{self.name} is limiting requests (429); the next round asks again.")
        if status >= 500:
            raise AlertSourceError(f"{self.name} answered {status}; it may be starting or overloaded.")
        try:
            data = json.loads(response.content) if response.content else None
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested absurdly deep
            raise AlertSourceError(f"{self.name} does not answer like Alertmanager (not JSON at /{path}); "
                                   "check the URL.") from None
        if status >= 400:
            detail = one_line(str(data))[:200] if data is not None else "no reason given"
            error = RequestRefused if status in (400, 422) else AlertSourceError
            raise error(self._redact(f"{self.name} refused the request ({status}): {detail}"))
        return status, data

    def _redact(self, text: str) -> str:
        token = self.settings.token
        return text.replace(token, "***") if token else text

    # --- alerts ---------------------------------------------------------------------------
    def alerts(self) -> tuple[list[Alert], list[str]]:
        params: list[tuple[str, str]] = [("active", "true"), ("silenced", "true"), ("inhibited", "true")]
        params += [("filter", f) for f in self.settings.filters]
        if self.settings.receiver:
            params.append(("receiver", self.settings.receiver))
        _, data = self._call("GET", "api/v2/alerts", params=params)
        try:
            return parse_alerts(data)
        except BadRecord:
            raise AlertSourceError(f"{self.name} does not answer like Alertmanager (no list of alerts at "
                                   "/api/v2/alerts); check the URL.") from None

    def check(self) -> str:
        _, data = self._call("GET", "api/v2/status")
        if not isinstance(data, dict) or "versionInfo" not in data:
            raise AlertSourceError(f"{self.name} answered, but not like Alertmanager; check the URL.")
        version = data["versionInfo"].get("version", "?") if isinstance(data["versionInfo"], dict) else "?"
        return f"{self.name} answers (Alertmanager {one_line(str(version))[:20]})."

    # --- silences -------------------------------------------------------------------------
    def silences(self) -> list[dict[str, Any]]:
        _, data = self._call("GET", "api/v2/silences")
        if not isinstance(data, list):
            raise AlertSourceError(f"{self.name} sent silences that are not a list.")
        return [s for s in data[:MAX_SILENCES] if isinstance(s, dict)]

    def find_silence(self, marker: str) -> str | None:
        """The id of a silence (not expired) whose comment carries ``marker``."""
        for item in self.silences():
            status = item.get("status")
            state = status.get("state") if isinstance(status, dict) else None
            if marker in str(item.get("comment", "")) and state != "expired" and isinstance(item.get("id"), str):
                return str(item["id"])
        return None

    def create_silence(self, record: SilenceRecord) -> str:
        body = {"matchers": record.matchers, "startsAt": rfc3339(record.starts_at),
                "endsAt": rfc3339(record.ends_at), "createdBy": record.created_by, "comment": record.comment}
        _, data = self._call("POST", "api/v2/silences", json=body)
        if not isinstance(data, dict) or not isinstance(data.get("silenceID"), str):
            raise AlertSourceError(f"{self.name} created a silence but sent no id.")
        return str(data["silenceID"])

    def expire_silence(self, remote_id: str) -> None:
        try:
            self._call("DELETE", f"api/v2/silence/{remote_id}")
        except AlertSourceError as exc:
            if "404" not in str(exc) and "already expired" not in str(exc):
                raise


@dataclass
class RoundReport:
    ok: bool = False
    error: str | None = None
    poll: PollResult | None = None
    silences_sent: int = 0
    silences_found: int = 0
    silences_expired: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def deliver_silences(log: AlertLog, source: AlertmanagerSource, report: RoundReport) -> None:
    """Send each acknowledgement waiting in the store, once: look for its marker first."""
    pending = log.silences(["pending"])
    for record in pending:
        try:
            existing = source.find_silence(record.marker)
            if existing is not None:
                log.silence_sent(record.id, existing, found_existing=True)
                report.silences_found += 1
                continue
            remote = source.create_silence(record)
        except AlertSourceError as exc:
            if exc.refused:  # e.g. it waited offline past its end: recorded as refused, never retried in a loop
                log.silence_refused(record.id, str(exc))
                report.problems.append(str(exc))
                continue
            log.silence_failed(record.id, str(exc))
            report.problems.append(str(exc))
            return  # the server is the problem: the rest waits for the next round
        log.silence_sent(record.id, remote, found_existing=False)
        report.silences_sent += 1


def expire_silences(log: AlertLog, source: AlertmanagerSource, report: RoundReport) -> None:
    log.expire_resolved()
    for record in log.silences(["expiring"]):
        try:
            remote = record.remote_id or source.find_silence(record.marker)
            if remote:
                source.expire_silence(remote)
        except AlertSourceError as exc:
            log.silence_failed(record.id, str(exc))
            report.problems.append(str(exc))
            return
        log.silence_expired(record.id)
        report.silences_expired += 1


def poll_once(log: AlertLog, source: AlertmanagerSource, now: datetime | None = None) -> RoundReport:
    """One round: alerts into the log, waiting acknowledgements out, resolved incidents' silences expired."""
    started = time.perf_counter()
    at = now or datetime.now(UTC)
    report = RoundReport()
    try:
        alerts, quarantined = source.alerts()
    except AlertSourceError as exc:
        log.record_failure(str(exc), at)
        report.error = str(exc)
        report.seconds = time.perf_counter() - started
        return report
    report.poll = log.record_poll(alerts, quarantined, at)
    report.ok = True
    deliver_silences(log, source, report)
    expire_silences(log, source, report)
    report.seconds = time.perf_counter() - started
    return report


def configured_source() -> AlertmanagerSource | None:
    from cockpit.sources.alert_settings import load_settings, with_token

    settings = load_settings()
    return None if settings is None else AlertmanagerSource(with_token(settings))
