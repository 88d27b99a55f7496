"""Loopback HTTP servers whose answer each test scripts (what a broken proxy or a hostile server might send), for
the live sources (Prometheus, Alertmanager). The ``hostile`` fixture (conftest) is one of these:
``hostile(reply(status, body))`` starts a server and gives its URL; every server stops at teardown."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable
from typing import Any

from tests.loopback import QuickHandler

Answer = Callable[[Any], None]


class ScriptedServers:
    def __init__(self) -> None:
        self.servers: list[http.server.ThreadingHTTPServer] = []
        self.seen: list[dict[str, str]] = []  # the headers of every request, in order

    def __call__(self, answer: Answer) -> str:
        seen = self.seen

        class Handler(QuickHandler):
            def do_POST(self) -> None:
                seen.append(dict(self.headers))
                length = int(self.headers.get("Content-Length", 0))
                self.rfile.read(length)
                answer(self)

            do_GET = do_POST
            do_DELETE = do_POST

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def reply(status: int, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    def answer(handler: Any) -> None:
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer
