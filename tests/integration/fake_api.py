"""What the in-memory tracker APIs (fake_github, fake_gitlab, fake_jira) share: scripted faults, requests that land
late, and serving through ``httpx.MockTransport`` or, wrapped in ``HostileTracker(fake=...)``, on 127.0.0.1.

Scripted faults (``faults``, or ``faults_for[(method, path)]`` for one endpoint) are consumed one per request:
``"timeout"`` (never arrives), ``"lost_answer"`` (applied, then the answer is lost), ``("late", seconds)`` (lands
after the client gave up, or when the test calls ``settle()``), ``("status", code[, message])``,
``("429", seconds)``; each API adds its own (GitHub: ``"secondary"``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class ScriptedApi:
    faults: list[Any] = field(default_factory=list)
    faults_for: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # (method, path) -> faults
    requests: list[tuple[str, str]] = field(default_factory=list)
    _late: list[tuple[float, httpx.Request, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what each API says its own way ------------------------------------------------------
    def user_of(self, request: httpx.Request) -> str | None:
        raise NotImplementedError

    def unauthorised(self) -> httpx.Response:
        raise NotImplementedError

    def refusal(self, fault: Any, request: httpx.Request) -> httpx.Response | None:
        """The API's answer to a scripted status or rate-limit fault (None: not one of those)."""
        raise NotImplementedError

    def route(self, request: httpx.Request, user: str) -> httpx.Response:
        raise NotImplementedError

    # --- serving ------------------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self._land_late()
            fault = self.faults.pop(0) if self.faults else None
            targeted = self.faults_for.get((request.method, request.url.path))
            if targeted:
                fault = targeted.pop(0)
            if fault == "timeout":
                raise httpx.ConnectTimeout("scripted", request=request)
            user = self.user_of(request)
            if user is None:
                return self.unauthorised()
            refused = self.refusal(fault, request)
            if refused is not None:
                return refused
            if isinstance(fault, tuple) and fault[0] == "late":
                self._late.append((time.monotonic() + fault[1], request, user))
                raise httpx.ReadTimeout("scripted: the request lands later", request=request)
            response = self.route(request, user)
            if fault == "lost_answer":
                raise httpx.ReadTimeout("scripted: applied, answer lost", request=request)
            return response

    def _land_late(self) -> None:
        due = [item for item in self._late if item[0] <= time.monotonic()]
        self._late = [item for item in self._late if item[0] > time.monotonic()]
        for _, request, user in due:
            self.route(request, user)

    def settle(self) -> None:
        """Let every delayed request land now (as if the network finally delivered it)."""
        with self._lock:
            self._late = [(0.0, r, u) for _, r, u in self._late]
            self._land_late()
