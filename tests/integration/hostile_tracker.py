"""A tracker that misbehaves on purpose: a real HTTP server on 127.0.0.1 that the cockpit syncs with.

Behind it is a real tracker: a running Roundup (proxied request by request) or the in-memory GitHub API
(``FakeGitHub``, served over real HTTP). Rules, matched on method and path, replace or rewrite answers the way a
hostile or broken server would: links to another host, endless pages, huge or endlessly dripping bodies, records
with wrong types, impossible times, absurd ``Retry-After`` values, control sequences in error texts. Everything
is bounded: every rule stops when the client goes away, and ``close()`` ends the server's threads.

``Witness`` is a second listener on another port that only records who calls it: credentials must never reach it.

For a shared Roundup (one per test session), the proxy shows a test only the issues created through it (or
adopted with ``adopt``), so tests do not see each other's incidents.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.integration.fake_api import ScriptedApi
from tests.integration.fake_github import FakeGitHub
from tests.loopback import QuickHandler

#: (status, headers, body) of an answer.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Call:
    """What the server was asked, and what it answered."""

    method: str
    path: str  # with the query
    headers: dict[str, str]
    body: bytes
    handler: BaseHTTPRequestHandler | None = None  # for rules that write the answer themselves

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Rule:
    method: str
    pattern: re.Pattern[str]
    #: Either rewrites the real answer (``rewrite``) or answers instead of the real tracker (``answer``).
    rewrite: Callable[[Call, Answer], Answer] | None = None
    answer: Callable[[Call], Answer | None] | None = None
    times: int | None = None  # None: every matching request
    used: int = 0


class Witness:
    """A listener on another port that records every request (and its credentials) made to it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        witness = self

        class Handler(QuickHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                witness.calls.append(Call(self.command, self.path, dict(self.headers.items()), body))
                payload = b'{"data": {"id": "1", "link": "x", "collection": []}}'
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def credentials_seen(self) -> list[str]:
        return [c.headers.get("Authorization", "") for c in self.calls if c.headers.get("Authorization")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HostileTracker:
    """A misbehaving tracker on loopback. Give it a Roundup ``upstream`` URL (its origin), a ``github`` or another
    in-memory API (``fake``: GitLab, Jira)."""

    def __init__(self, upstream: str | None = None, github: FakeGitHub | None = None,
                 fake: ScriptedApi | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.github: ScriptedApi | None = github or fake  # any in-memory API (fake_api), served on loopback
        self.rules: list[Rule] = []
        self.calls: list[Call] = []
        self.issues: set[str] = set()  # Roundup issue ids this test may see (created through here, or adopted)
        self.scoped = upstream is not None
        self.bytes_sent = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        hostile = self

        class Handler(QuickHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                call = Call(self.command, self.path, dict(self.headers.items()), body, self)
                with hostile.lock:
                    hostile.calls.append(call)
                answer = hostile._answer(call)
                if answer is None:
                    self.close_connection = True  # the rule wrote the answer itself (or hung up)
                    return
                status, headers, payload = answer
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                               "content-encoding"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    hostile.bytes_sent += len(payload)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that give up on a hostile answer are expected

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # --- addresses ------------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    # --- rules ----------------------------------------------------------------------------------
    def on(self, method: str, pattern: str, *, rewrite: Callable[[Call, Answer], Answer] | None = None,
           answer: Callable[[Call], Answer | None] | None = None, times: int | None = None) -> Rule:
        rule = Rule(method, re.compile(pattern), rewrite, answer, times)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def adopt(self, issue_id: str) -> None:
        self.issues.add(str(issue_id))

    def requests_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method and regex.search(c.route)]

    # --- answering ------------------------------------------------------------------------------
    def _rule(self, call: Call) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.method in (call.method, "*") and rule.pattern.search(call.route):
                    if rule.times is not None and rule.used >= rule.times:
                        continue
                    rule.used += 1
                    return rule
        return None

    def _answer(self, call: Call) -> Answer | None:
        rule = self._rule(call)
        if rule is not None and rule.answer is not None:
            return rule.answer(call)
        real = self._upstream(call)
        if rule is not None and rule.rewrite is not None:
            return rule.rewrite(call, real)
        return real

    def _upstream(self, call: Call) -> Answer:
        if self.github is not None:
            request = httpx.Request(call.method, f"{self.origin}{call.path}", headers=call.headers, content=call.body)
            response = self.github.handle(request)
            return response.status_code, dict(response.headers), response.content
        assert self.upstream is not None
        headers = {k: v.replace(self.origin, self.upstream) for k, v in call.headers.items()
                   if k.lower() not in ("host", "content-length", "connection", "accept-encoding")}
        answer = httpx.request(call.method, self.upstream + call.path, headers=headers, content=call.body, timeout=30)
        content = answer.content.replace(self.upstream.encode(), self.origin.encode())
        self._scope(call, answer.status_code, content)
        if self.scoped and call.method == "GET" and re.search(r"/rest/data/issue$", call.route):
            content = self._only_ours(content)
        return answer.status_code, dict(answer.headers), content

    def _scope(self, call: Call, status: int, content: bytes) -> None:
        """Remember the issues created through this server (a plain POST or a Post-Once-Exactly link)."""
        if call.method == "POST" and status == 201 and re.search(r"/rest/data/issue(/@poe/[^/]+)?$", call.route):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                self.issues.add(str(json.loads(content)["data"]["id"]))

    def _only_ours(self, content: bytes) -> bytes:
        try:
            data = json.loads(content)
            items = data["data"]["collection"]
        except (ValueError, KeyError, TypeError):
            return content
        data["data"]["collection"] = [i for i in items if isinstance(i, dict) and str(i.get("id")) in self.issues]
        data["data"]["@total_size"] = len(data["data"]["collection"])
        return json.dumps(data).encode()

    # --- ready-made misbehaviour ----------------------------------------------------------------
    @staticmethod
    def json_answer(status: int, data: Any, headers: dict[str, str] | None = None) -> Answer:
        return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(data).encode()

    def stream(self, call: Call, head: dict[str, str], chunks: Callable[[int], bytes | None],
               interval: float = 0.0, length: int | None = None) -> None:
        """Write an answer chunk by chunk until ``chunks`` returns None, the client hangs up or the server
        closes; counts what was written in ``bytes_sent``."""
        handler = call.handler
        assert handler is not None
        try:
            handler.send_response(200)
            for key, value in head.items():
                handler.send_header(key, value)
            if length is not None:
                handler.send_header("Content-Length", str(length))
            handler.send_header("Connection", "close")
            handler.end_headers()
            index = 0
            while not self.stop.is_set():
                chunk = chunks(index)
                if chunk is None:
                    return
                handler.wfile.write(chunk)
                handler.wfile.flush()
                self.bytes_sent += len(chunk)
                index += 1
                if interval:
                    time.sleep(interval)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
