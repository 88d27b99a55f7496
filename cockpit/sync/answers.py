"""How the tracker adapters read a server's answers: their JSON, request timeouts, the waits a server asks for
(``Retry-After``, rate-limit resets, capped), and the error class an HTTP answer means."""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from cockpit.sync.adapter import AuthFailed, Misconfigured, Permanent, RateLimited, Retryable, Stale
from cockpit.textsafe import one_line

MAX_WAIT_S = 3600.0  # the longest wait a tracker may ask for (Retry-After, rate-limit resets)


class AnswerTooDeep(Permanent):
    """The answer is JSON nested deeper than the parser can follow: refused like an answer over the size cap."""


def read_json(response: httpx.Response, name: str) -> Any:
    """The answer's JSON: ValueError when it is not JSON, ``AnswerTooDeep`` when it is nested deeper than the parser
    can follow (Python raises RecursionError for that, which would stop the whole sync round)."""
    try:
        return json.loads(response.content)
    except RecursionError:
        raise AnswerTooDeep(f"{name}: an answer nested too deeply to read (JSON over ~1,000 levels deep); "
                            "nothing of it was used.") from None


def loads(text: str | bytes) -> Any:
    """``json.loads`` for text from a server where anything unusable just counts as no answer: ValueError for it,
    however deeply nested."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


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

