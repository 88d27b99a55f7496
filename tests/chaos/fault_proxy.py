"""A fault-injecting HTTP proxy on loopback, between the cockpit and the tracker.

Per request, a seeded choice among: pass, refuse (close at once), 503, 429 with Retry-After, drop before
forwarding, forward then drop the response, and delay longer than the client's timeout then forward (the
fault that breaks naive designs: the request lands after the client gave up). Two more can be switched on:
``malformed`` (forward, then garble one record of a listing: no id, an impossible time, a bad UUID, wrong JSON
types) and ``token_expired`` (answer a use of a Post-Once-Exactly link as Roundup does for an expired one,
"POE token '…' not valid.", without forwarding it).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from http.server import ThreadingHTTPServer

import httpx

from tests.loopback import QuickHandler

FAULTS = ("refuse", "503", "429", "drop_before", "drop_after", "delay")
MORE_FAULTS = ("malformed", "token_expired")
GARBLES = (("id", None), ("activity", "not-a-time"), ("cockpit_uuid", "garbled"), ("messages", 42),
           ("creation", ["x"]), ("content", {"x": 1}), ("title", {"evil": True}))


class FaultProxy:
    def __init__(self, upstream: str, seed: int, fault_rate: float, delay_s: float,
                 faults: tuple[str, ...] = FAULTS) -> None:
        self.upstream = upstream.rstrip("/")
        parts = httpx.URL(self.upstream)
        self.upstream_origin = f"{parts.scheme}://{parts.host}:{parts.port}"
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.delay_s = delay_s
        self.faults = faults
        self.enabled = True
        self.counts: Counter[str] = Counter()
        self.garbled: Counter[str] = Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(QuickHandler):
            protocol_version = "HTTP/1.1"

            def _fault(self) -> str:
                with proxy.lock:
                    if not proxy.enabled or proxy.rng.random() >= proxy.fault_rate:
                        proxy.counts["pass"] += 1
                        return "pass"
                    fault = proxy.rng.choice(proxy.faults)
                    path = self.path.split("?", 1)[0]
                    if fault == "token_expired" and not (self.command == "POST" and "/@poe/" in path):
                        fault = "pass"  # only a use of a token link can meet an expired token
                    if fault == "malformed" and not (self.command == "GET" and path.endswith(("/issue", "/msg"))):
                        fault = "pass"  # only a listing has records to garble
                    proxy.counts[fault] += 1
                    return fault

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = self._fault()
                if fault in ("refuse", "drop_before"):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault in ("503", "429"):
                    status = 503 if fault == "503" else 429
                    payload = b'{"error": {"status": %d, "msg": "injected"}}' % status
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault == "token_expired":
                    self._reply(400, b'{"error": {"status": 400, "msg": "POE token \'x\' not valid."}}')
                    return
                if fault == "delay":
                    time.sleep(proxy.delay_s)
                headers = {k: v.replace(proxy.origin, proxy.upstream_origin) for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection", "accept-encoding")}
                try:
                    answer = httpx.request(self.command, proxy.upstream + self.path, headers=headers, content=body,
                                           timeout=30)
                except httpx.HTTPError:
                    self.close_connection = True
                    return
                if fault == "drop_after":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                try:
                    self.send_response(answer.status_code)
                    for key, value in answer.headers.items():
                        if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                               "content-encoding"):
                            self.send_header(key, value)
                    # links in answers (Post-Once-Exactly) must point back through the proxy
                    content = answer.content.replace(proxy.upstream_origin.encode(), proxy.origin.encode())
                    if fault == "malformed":
                        content = proxy.garble(content)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    self.close_connection = True

            def _reply(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # connections the faults cut are expected

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def garble(self, content: bytes) -> bytes:
        """One record of a listing made unreadable or hostile (the rest of the answer untouched)."""
        try:
            data = json.loads(content)
            items = data["data"]["collection"]
        except (ValueError, KeyError, TypeError):
            return content
        if not items:
            return content
        with self.lock:
            item = self.rng.choice(items)
            key, value = self.rng.choice(GARBLES)
            self.garbled[key] += 1
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
        return json.dumps(data).encode()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
