"""The one way the cockpit talks to a tracker. Every adapter sends every request through ``TrackerHttp``, so
the rules below hold for Roundup and GitHub/Gitea today and for any adapter added later (Jira, GitLab,
Redmine): build the adapter on a ``TrackerHttp`` and use ``request`` and ``reading``; never a bare client.

* **Credentials go only to the tracker's own origin.** A request is sent only when its scheme, host and port
  are the configured tracker's. A URL the server hands back (a Post-Once-Exactly link, ``Link: rel="next"``,
  a redirect) that points anywhere else is refused before anything, credentials included, leaves.
* **Bounded answers.** A body is read as a stream and given up past ``Limits.max_body`` bytes (decoded, so a
  compressed bomb is bounded too); one request may take at most ``Limits.request_seconds`` in all, however
  slowly the server drips its answer.
* **Bounded reads.** ``reading()`` opens a budget of pages and seconds (one pull shares one budget); past it
  the read stops with ``ReadLimit`` instead of following a server that never says "last page".
* **Cancellable.** ``cancel()`` (from another thread: the cockpit quitting) makes the request in progress and
  every later one end at its next chunk, with nothing left to wait for.
* Network failures and timeouts become ``Retryable``; what the answer means is the adapter's business.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from cockpit.sync.adapter import Permanent, Retryable, TrackerError
from cockpit.sync.answers import request_seconds, request_timeout
from cockpit.textsafe import is_number_text, one_line

DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_CODES = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Limits:
    """How much one tracker may make the cockpit read. The defaults are far above what a real tracker
    sends (a page of 100 messages, a pull of a few thousand entries) and far below what hurts."""

    max_body: int = 32 * 1024 * 1024  # bytes of one answer, after decoding
    max_pages: int = 1000  # listing pages in one pull (100 items each: 100,000 items)
    pull_seconds: float = 120.0  # one pull, all its requests together
    request_seconds: float = field(default_factory=lambda: 6 * request_seconds())  # one request, dripping or not
    max_redirects: int = 5


class OriginRefused(Permanent):
    """The server pointed the cockpit at another origin; nothing was sent there."""


class AnswerTooLarge(Permanent):
    """The answer was bigger than ``Limits.max_body``; reading stopped there."""


class ReadLimit(TrackerError):
    """A read went past its budget of pages or seconds and was stopped."""

    kind = "limit"


class Cancelled(Retryable):
    """The cockpit is quitting: the request was abandoned (it may still have landed)."""


def origin_of(url: httpx.URL | str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in, for comparison."""
    parsed = httpx.URL(url)
    scheme = parsed.scheme.lower()
    port = parsed.port or DEFAULT_PORTS.get(scheme, 0)
    return scheme, (parsed.host or "").lower().rstrip("."), port


def show_origin(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


@dataclass
class ReadBudget:
    what: str
    pages_left: int
    deadline: float
    pages_read: int = 0

    def page(self, name: str) -> None:
        """Count one more listing page; past the budget the read stops."""
        if self.pages_left <= 0:
            raise ReadLimit(f"{name}: stopped reading {self.what} after {self.pages_read} pages (the most one pull "
                            f"reads); the tracker kept offering more. What was read is kept; the rest waits.")
        self.pages_left -= 1
        self.pages_read += 1

    def check_time(self, name: str) -> None:
        if time.monotonic() > self.deadline:
            raise ReadLimit(f"{name}: stopped reading {self.what} after its time ran out ({self.pages_read} pages "
                            f"read); the tracker answers too slowly or never ends. The rest waits for the next round.")


class TrackerHttp:
    """An httpx client pinned to one tracker's origin, with bounded answers and reads (see the module)."""

    def __init__(self, name: str, base_url: str, *, auth: httpx.Auth | tuple[str, str] | None = None,
                 headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None,
                 limits: Limits | None = None, follow_redirects: bool = False) -> None:
        self.name = name
        self.limits = limits or Limits()
        self.follow_redirects = follow_redirects
        self.client = httpx.Client(base_url=base_url, auth=auth, headers=headers or {}, timeout=request_timeout(),
                                   transport=transport, follow_redirects=False)
        self._cancelled = threading.Event()
        self._budget: ReadBudget | None = None

    # --- the origin rule ---------------------------------------------------------------------
    @property
    def origin(self) -> tuple[str, str, int]:
        """The configured tracker's origin (from settings, never from anything the server said)."""
        return origin_of(self.client.base_url)

    def pinned(self, url: httpx.URL | str) -> httpx.URL:
        """``url`` resolved against the tracker's address, refused when it leaves the tracker's origin."""
        target = self.client.base_url.join(url) if isinstance(url, str) and "://" not in url else httpx.URL(url)
        if origin_of(target) != self.origin:
            raise OriginRefused(
                f"{self.name}: the tracker pointed at {one_line(str(target))[:200]}, which is not its own address "
                f"({show_origin(self.origin)}); refused, and nothing (no credentials) was sent there.")
        return target

    # --- budgets ------------------------------------------------------------------------------
    @contextmanager
    def reading(self, what: str) -> Iterator[ReadBudget]:
        """A budget of pages and seconds for one read; nested reads share the outer one (one pull, one budget)."""
        if self._budget is not None:
            yield self._budget
            return
        self._budget = ReadBudget(what, self.limits.max_pages, time.monotonic() + self.limits.pull_seconds)
        try:
            yield self._budget
        finally:
            self._budget = None

    def page(self) -> None:
        """Count one listing page against the read in progress (outside a pull: against its own budget)."""
        if self._budget is not None:
            self._budget.page(self.name)

    # --- cancelling ---------------------------------------------------------------------------
    def cancel(self) -> None:
        """From any thread: end the request in progress at its next chunk and refuse every later one."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def pause(self, seconds: float) -> None:
        """Wait (a rate-limit pause) without outliving a cancel or the read's budget."""
        if not math.isfinite(seconds) or seconds <= 0:
            return
        if self._budget is not None:
            seconds = min(seconds, max(0.0, self._budget.deadline - time.monotonic()))
        self._cancelled.wait(seconds)

    def close(self) -> None:
        self.client.close()

    # --- one request --------------------------------------------------------------------------
    def request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send one request (and same-origin redirects, when following them) and read its bounded answer."""
        target = self.pinned(url)
        request = self.client.build_request(method, target, **kwargs)
        for _ in range(self.limits.max_redirects + 1):
            response = self._send(request)
            location = response.headers.get("Location")
            if not self.follow_redirects or response.status_code not in REDIRECT_CODES or not location:
                return response
            following = self.pinned(response.url.join(location))
            request = self._redirected(request, response.status_code, following)
        raise Permanent(f"{self.name}: more than {self.limits.max_redirects} redirects; check the tracker URL.")

    def _redirected(self, request: httpx.Request, status: int, url: httpx.URL) -> httpx.Request:
        keep_body = status in (307, 308) or (request.method in ("GET", "HEAD") and status != 303)
        method = request.method if keep_body or request.method == "HEAD" else "GET"
        dropped = {"host", "content-length"} | (set() if keep_body else {"content-type"})
        headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
        return self.client.build_request(method, url, headers=headers, content=request.content if keep_body else None)

    def _send(self, request: httpx.Request) -> httpx.Response:
        if self._cancelled.is_set():
            raise Cancelled(f"{self.name}: not sent, the cockpit is stopping")
        if self._budget is not None:
            self._budget.check_time(self.name)
        deadline = time.monotonic() + self.limits.request_seconds
        limit = self.limits.max_body
        try:
            response = self.client.send(request, stream=True)
            try:
                declared = response.headers.get("Content-Length", "")
                if is_number_text(declared) and int(declared) > limit:
                    raise AnswerTooLarge(self._too_large(int(declared)))
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise AnswerTooLarge(self._too_large(len(body)))
                    if self._cancelled.is_set():
                        raise Cancelled(f"{self.name}: abandoned, the cockpit is stopping")
                    if time.monotonic() > deadline:
                        raise Retryable(f"{self.name}: the answer took longer than {self.limits.request_seconds:g} s "
                                        f"to arrive; abandoned")
                    if self._budget is not None:
                        self._budget.check_time(self.name)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise Retryable(f"{self.name}: timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise Retryable(f"{self.name} unreachable ({type(exc).__name__})") from None
        except httpx.StreamError as exc:
            raise Retryable(f"{self.name}: the answer broke off ({type(exc).__name__})") from None
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=request)

    def _too_large(self, size: int) -> str:
        return (f"{self.name}: an answer of more than {self.limits.max_body // (1024 * 1024)} MiB ({size:,} bytes "
                f"so far) was refused; a tracker does not send that much at once")
