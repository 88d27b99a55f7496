"""What the tracker adapters share: request timeouts, error classes from HTTP answers, and the text form of a
timeline entry that travels as a comment ("[decision] alice · 2026-11-22T19:35:00Z", a blank line, the text).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from cockpit.sync.adapter import AuthFailed, Permanent, Retryable, Stale

ENTRY_HEADER = re.compile(r"^\[(?P<kind>[a-z]+)\] (?P<author>.+?) · (?P<at>\d{4}-\d\d-\d\dT[\d:.]+Z)\n\n", re.DOTALL)


def request_seconds() -> float:
    """10 s per request (``COCKPIT_SYNC_TIMEOUT`` overrides it, e.g. for fault-injection tests)."""
    try:
        seconds = float(os.environ.get("COCKPIT_SYNC_TIMEOUT", "10"))
    except ValueError:
        seconds = 10.0
    return seconds if 0.1 <= seconds <= 300 else 10.0


def request_timeout() -> httpx.Timeout:
    seconds = request_seconds()
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def entry_content(entry: dict[str, Any]) -> str:
    at = str(entry.get("at", "")).replace("+00:00", "Z")
    return f"[{entry.get('kind', 'note')}] {entry.get('author', '')} · {at}\n\n{entry.get('text', '')}"


def parse_entry_content(content: str) -> tuple[str, str, datetime, str] | None:
    """(kind, author, time, text) of a comment the cockpit wrote, or None for one written by hand."""
    header = ENTRY_HEADER.match(content)
    if header is None:
        return None
    try:
        at = datetime.fromisoformat(header["at"].replace("Z", "+00:00"))
    except ValueError:
        return None  # looks like ours but the time is not a time: treat it as written by hand
    return header["kind"], header["author"], at, content[header.end():]


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else, when the answer is about the rate
    limit, from its reset header (``X-RateLimit-Reset``: epoch seconds on GitHub, seconds to go on Roundup)."""
    now = now or datetime.now(UTC)
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
            except (TypeError, ValueError):
                return None
    if response.status_code != 429 and response.headers.get("X-RateLimit-Remaining") != "0":
        return None  # GitHub sends the reset time on every answer: it says nothing about a 502
    for name in ("X-RateLimit-Reset", "RateLimit-Reset"):
        raw = response.headers.get(name)
        if raw:
            try:
                reset = float(raw)
            except ValueError:
                continue
            return max(0.0, reset - now.timestamp()) if reset > 1e9 else max(0.0, reset)
    return None


def raise_for(name: str, method: str, path: str, response: httpx.Response, detail: str,
              login_hint: str) -> None:
    """Turn a failed answer into the error class the relay acts on (see ``cockpit.sync.relay``)."""
    status = response.status_code
    if status < 300:
        return
    if status < 400:
        raise Permanent(f"{name}: {method} {path} was answered with a redirect ({status}); check the URL.")
    if status == 401:
        raise AuthFailed(f"{name}: login refused (401); {login_hint}")
    if status in (409, 412):
        raise Stale(f"{name}: changed meanwhile ({status})")
    if status in (408, 425, 429) or status >= 500:
        raise Retryable(f"{name}: {status} {detail}".strip(), retry_after(response))
    raise Permanent(f"{name}: {method} {path} refused: {status} {detail}".strip())


def call(client: httpx.Client, name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; network failures and timeouts become ``Retryable``."""
    try:
        return client.request(method, path, **kwargs)
    except httpx.TimeoutException as exc:
        raise Retryable(f"{name}: timed out ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise Retryable(f"{name} unreachable ({type(exc).__name__})") from None
