"""Run the real ``roundup-server`` with Nagle's delay switched off on its connections (``tests/loopback.py`` says
why): Roundup's handler writes the headers and the body in separate sends, so each request waited about 40 ms for
a delayed acknowledgement. Nothing else about Roundup changes: the same entry point, the same arguments."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler

from roundup.scripts.roundup_server import run

if __name__ == "__main__":
    BaseHTTPRequestHandler.disable_nagle_algorithm = True
    sys.exit(run())
