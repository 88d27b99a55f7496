"""What the tracker adapters share: request timeouts, error classes from HTTP answers, and the text form of a
timeline entry that travels as a comment: a header line ("[decision] alice · 2026-11-22T19:35:00Z · hlc=…"), a
blank line, the text. The header carries what every cockpit needs to place the entry identically: its kind, its
author, the author's time and the entry's hybrid-logical-clock stamp (``hlc``); a declaration also carries the
facts the tracker has no field for (``services``, ``started``, ``triggers``).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

import httpx

from cockpit.sync.adapter import AuthFailed, Misconfigured, Permanent, RateLimited, Retryable, Stale
from cockpit.textsafe import is_number_text, one_line

ENTRY_HEADER = re.compile(r"^\[(?P<kind>[a-z]+)\] (?P<author>[^\n]+?) · (?P<at>\d{4}-\d\d-\d\dT[\d:.]+Z)"
                          r"(?P<extras>(?: · [a-z_]+=[^\s·]*)*)\n\n")
MAX_WAIT_S = 3600.0  # the longest wait a tracker may ask for (Retry-After, rate-limit resets)
#: Facts of a declaration that travel in its header (the tracker has no field for them).
DECLARED_FACTS = ("services", "started", "triggers")


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
    extras: list[tuple[str, str]] = []
    if isinstance(entry.get("hlc"), int):
        extras.append(("hlc", str(entry["hlc"])))
    data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
    if entry.get("kind") == "declared" and data:
        services = data.get("services") or []
        if services:
            extras.append(("services", ",".join(quote(str(s), safe="") for s in services)))
        if data.get("started_at"):
            extras.append(("started", str(data["started_at"]).replace("+00:00", "Z")))
        on = sorted(k for k, v in (data.get("triggers") or {}).items() if v)
        if on:
            extras.append(("triggers", ",".join(on)))
    tail = "".join(f" · {key}={quote(value, safe=',:.-%')}" for key, value in extras)
    return f"[{entry.get('kind', 'note')}] {entry.get('author', '')} · {at}{tail}\n\n{entry.get('text', '')}"


@dataclass(frozen=True)
class ParsedEntry:
    """A comment the cockpit wrote, read back: its header fields and its text."""

    kind: str
    author: str
    at: datetime
    text: str
    hlc: int | None = None
    facts: dict[str, str] = field(default_factory=dict)  # declared entries: services, started, triggers


def parse_entry_content(content: str) -> ParsedEntry | None:
    """The header fields and text of a comment the cockpit wrote, or None for one written by hand."""
    header = ENTRY_HEADER.match(content)
    if header is None:
        return None
    try:
        at = datetime.fromisoformat(header["at"].replace("Z", "+00:00"))
    except ValueError:
        return None  # looks like ours but the time is not a time: treat it as written by hand
    extras = dict(part.split("=", 1) for part in header["extras"].split(" · ") if "=" in part)
    hlc_text = extras.pop("hlc", "")
    hlc = int(hlc_text) if is_number_text(hlc_text) and len(hlc_text) < 30 else None
    # services stay quoted one by one (a comma may be part of a name): the merge splits and unquotes them
    facts = {key: value if key == "services" else unquote(value) for key, value in extras.items()
             if key in DECLARED_FACTS}
    return ParsedEntry(header["kind"], header["author"], at, content[header.end():], hlc, facts)


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else, when the answer is about the rate
    limit, from its reset header (``X-RateLimit-Reset``: epoch seconds on GitHub, seconds to go on Roundup).
    Capped at an hour, whatever the tracker asks for (``capped_wait``)."""
    asked = asked_wait(response, now)
    return None if asked is None else capped_wait(asked)


def asked_wait(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The wait the tracker asked for, as it asked (``inf`` and absurd values included), or None."""
    now = now or datetime.now(UTC)
    value = response.headers.get("Retry-After")
    if value:
        try:
            return float(value)
        except ValueError:
            try:
                return (parsedate_to_datetime(value) - now).total_seconds()
            except (TypeError, ValueError, OverflowError):
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
            return reset - now.timestamp() if reset > 1e9 else reset
    return None


def capped_wait(seconds: float) -> float:
    """A wait a tracker asked for, made sane: never negative, never beyond an hour (``inf`` and ``nan`` included:
    a tracker asking for more gets an hour, and the reason says so)."""
    if math.isnan(seconds) or seconds <= 0:
        return 0.0
    return min(seconds, MAX_WAIT_S)


def wait_words(asked: float | None) -> str:
    """How a wait reads in a reason: "; waiting 30 s", or, past the cap, that the cockpit waits an hour."""
    if asked is None:
        return ""
    if math.isnan(asked):
        return "; it asked to wait 'nan' s, which is no time at all"
    if asked > MAX_WAIT_S:
        return f"; it asked to wait {asked:g} s, the cockpit waits an hour at most"
    return f"; waiting {asked:.0f} s"


def raise_for(name: str, method: str, path: str, response: httpx.Response, detail: str,
              login_hint: str) -> None:
    """Turn a failed answer into the error class the relay acts on (see ``cockpit.sync.relay``)."""
    status = response.status_code
    detail = one_line(detail)[:200]  # a tracker's words are shown literally wherever the error goes
    path = one_line(path)[:200]
    if status < 300:
        return
    if status < 400:
        where = one_line(response.headers.get("Location", ""))[:200]
        raise Misconfigured(f"{name}: {method} {path} was answered with a redirect ({status}"
                            + (f" to {where}" if where else "") + "): the tracker URL looks wrong; give the "
                            "address it redirects to with `cockpit tracker add`.")
    if status == 401:
        raise AuthFailed(f"{name}: login refused (401); {login_hint}")
    if status in (409, 412):
        raise Stale(f"{name}: changed meanwhile ({status})")
    if status in (408, 425, 429) or status >= 500:
        asked = asked_wait(response)
        raise (RateLimited if status == 429 else Retryable)(f"{name}: {status} {detail}".strip() + wait_words(asked),
                        None if asked is None else capped_wait(asked))
    raise Permanent(f"{name}: {method} {path} refused: {status} {detail}".strip())

