"""Prometheus as a read-only live source (``/api/v1/query``, ``/api/v1/query_range``).

Every answer is treated as hostile: requests go only to the configured origin (no redirects followed, so the
token never travels elsewhere), answers are read up to a size limit, the JSON is checked field by field, and a
value that is not a finite number (NaN, ±Inf, text) is refused for the figure it was meant to be. Errors are one
sentence naming the server, never the token.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from cockpit.errors import CockpitError
from cockpit.sources.settings import PrometheusSettings
from cockpit.textsafe import is_number_text, one_line

MAX_ANSWER_BYTES = 4 * 1024 * 1024
MAX_SERIES = 1000
MAX_POINTS = 20_000
API_QUERY = "api/v1/query"
API_RANGE = "api/v1/query_range"


class SourceError(CockpitError):
    """The source could not give an answer. ``down``: the server itself is the problem (skip the rest)."""

    down = False


class SourceDown(SourceError):
    down = True


class QueryFailed(SourceError):
    """This query failed (bad selector, NaN, no data); the others may still work."""


class PrometheusSource:
    def __init__(self, settings: PrometheusSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        headers = {"Accept": "application/json", "User-Agent": "incident-cockpit"}
        auth: httpx.BasicAuth | None = None
        if settings.token and ":" in settings.token:  # user:password: Prometheus's own basic auth (web config)
            user, _, password = settings.token.partition(":")
            auth = httpx.BasicAuth(user, password)
        elif settings.token:  # a bearer token, as proxies and hosted Prometheus services take
            headers["Authorization"] = f"Bearer {settings.token}"
        timeout = httpx.Timeout(settings.timeout_seconds, connect=min(settings.timeout_seconds, 3.0))
        self._client = httpx.Client(base_url=settings.url, headers=headers, auth=auth, timeout=timeout,
                                    follow_redirects=False, transport=transport, trust_env=False)

    @property
    def name(self) -> str:
        return f"Prometheus at {self.settings.url}"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PrometheusSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- requests ------------------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        token = self.settings.token
        text = one_line(text)[:300]
        return text.replace(token, "***") if token else text

    def _post(self, path: str, form: Mapping[str, str]) -> Any:
        try:
            with self._client.stream("POST", path, data=dict(form)) as response:
                declared = response.headers.get("Content-Length", "")
                if is_number_text(declared) and int(declared) > MAX_ANSWER_BYTES:
                    raise SourceDown(f"{self.name} sent an answer of {int(declared):,} bytes; the limit is "
                                     f"{MAX_ANSWER_BYTES:,}.")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise SourceDown(f"{self.name} sent more than {MAX_ANSWER_BYTES:,} bytes; the answer was "
                                         "cut off and not used.")
                status = response.status_code
        except httpx.TimeoutException:
            raise SourceDown(f"{self.name} did not answer within {self.settings.timeout_seconds:g} s.") from None
        except httpx.TransportError as exc:
            raise SourceDown(f"{self.name} is unreachable ({type(exc).__name__}).") from None
        if status in (401, 403):
            raise SourceDown(f"{self.name} refused the credentials ({status}); check the token "
                             "(`cockpit slo source login`, or COCKPIT_PROMETHEUS_TOKEN).")
        if 300 <= status < 400:
            raise SourceDown(f"{self.name} answered with a redirect ({status}), which is not followed; "
                             "check the URL.")
        try:
            data = json.loads(bytes(body))
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested absurdly deep
            data = None
        error = data.get("error") if isinstance(data, dict) else None
        if status == 400 or status == 422:
            detail = self._redact(str(error)) if error else "no reason given"
            raise QueryFailed(f"{self.name} refused the query ({status}): {detail}.")
        if status >= 400:
            detail = f": {self._redact(str(error))}" if error else ""
            raise SourceDown(f"{self.name} answered {status}{detail}.")
        if not isinstance(data, dict) or data.get("status") != "success" or not isinstance(data.get("data"), dict):
            detail = f": {self._redact(str(error))}" if error else ""
            raise SourceDown(f"{self.name} sent an answer that is not Prometheus API JSON{detail}.")
        return data["data"]

    # --- queries -------------------------------------------------------------------------------
    def instant(self, query: str, at: datetime) -> dict[str, float | str]:
        """Evaluate ``query`` at ``at``; each series is keyed by its ``cockpit_q`` label (or ``""``). A value
        that is not a finite number is given as the text Prometheus sent, for the caller to report."""
        data = self._post(API_QUERY, {"query": query, "time": _stamp(at)})
        if data.get("resultType") != "vector" or not isinstance(data.get("result"), list):
            raise QueryFailed(f"{self.name} answered with a {one_line(str(data.get('resultType')))[:20]} instead of "
                              "an instant vector.")
        out: dict[str, float | str] = {}
        for item in data["result"][:MAX_SERIES]:
            key, pair = _series(item, "value")
            if key is None or not isinstance(pair, list) or len(pair) != 2:
                raise QueryFailed(f"{self.name} sent a malformed sample.")
            out[key] = _value(pair[1])
        return out

    def range(self, query: str, start: datetime, end: datetime,
              step: timedelta) -> dict[str, list[tuple[int, float | str]]]:
        """Evaluate over [start, end] every ``step``; (unix second, value) per ``cockpit_q`` label, in time order;
        steps without data are left out."""
        data = self._post(API_RANGE, {"query": query, "start": _stamp(start), "end": _stamp(end),
                                      "step": f"{int(step.total_seconds())}s"})
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise QueryFailed(f"{self.name} answered a range query without a matrix.")
        out: dict[str, list[tuple[int, float | str]]] = {}
        for item in data["result"][:MAX_SERIES]:
            key, values = _series(item, "values")
            if key is None or not isinstance(values, list):
                raise QueryFailed(f"{self.name} sent a malformed series.")
            points: list[tuple[int, float | str]] = []
            for pair in values[:MAX_POINTS]:
                if not isinstance(pair, list) or len(pair) != 2 or isinstance(pair[0], bool) \
                        or not isinstance(pair[0], (int, float)) or not math.isfinite(pair[0]):
                    raise QueryFailed(f"{self.name} sent a malformed point.")
                points.append((round(pair[0]), _value(pair[1])))
            out[key] = points
        return out

    def check(self) -> str:
        """One cheap query, to say whether the server answers (used by `slo source set` and `login`)."""
        data = self._post(API_QUERY, {"query": "vector(1)"})
        if data.get("resultType") != "vector":
            raise SourceDown(f"{self.name} answered, but not like Prometheus.")
        return f"{self.name} answers."


def _stamp(at: datetime) -> str:
    return f"{at.timestamp():.3f}"


def _series(item: object, field: str) -> tuple[str | None, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("metric"), dict):
        return None, None
    label = item["metric"].get("cockpit_q", "")
    return (label if isinstance(label, str) else None), item.get(field)


def _value(raw: object) -> float | str:
    if not isinstance(raw, str):
        return one_line(str(raw))[:20]
    try:
        number = float(raw)
    except ValueError:
        return one_line(raw)[:20]
    return number if math.isfinite(number) else raw[:20]
