"""What every loopback HTTP server in the tests shares.

``QuickHandler`` sends each answer without Nagle's delay. ``BaseHTTPRequestHandler`` writes the status line and
headers in one send and the body in a second; with Nagle's algorithm on, the second waits until the first is
acknowledged, and the client delays that acknowledgement by up to 40 ms because it is still waiting for the body.
Every request to a test server then took about 45 ms instead of under one, which made a 1,000-page listing take
45 s. Real servers (Prometheus, Alertmanager, aiohttp, httpx's own client) switch the delay off the same way.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


class QuickHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass
