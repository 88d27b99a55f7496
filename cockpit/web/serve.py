"""The cockpit in a browser, read-only, for teammates without a terminal: textual-serve runs the ordinary
``cockpit`` screen once per browser connection, and the screen itself refuses every change when it runs in a
browser (``App.is_web``; see ``cockpit.tui.readonly``).

textual-serve has no authentication: whoever reaches the port sees every incident. It listens on loopback unless
told otherwise; anything wider belongs behind an authenticating reverse proxy (README, "The cockpit in a browser").
"""

from __future__ import annotations

import errno
import ipaddress
import os
import shlex
import socket
import sys
from pathlib import Path

from cockpit.errors import InvalidInput
from cockpit.redact import child_environment

TITLE = "Incident Cockpit (read-only)"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen(host: str, port: int) -> None:
    """Bind the address once, as the server will, so that a port in use or an address that is not this machine's
    is one sentence before anything starts (the server reports the same if it loses a race)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise InvalidInput(f"'{host}' is not an address this machine can listen on; leave out --host to use "
                           "127.0.0.1.") from None
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
            try:
                probe.bind(address)
            except OSError as exc:
                raise listen_error(host, port, exc) from None


def listen_error(host: str, port: int, exc: OSError) -> InvalidInput:
    if exc.errno == errno.EADDRINUSE:
        return InvalidInput(f"Port {port} on {host} is already in use; stop what is using it or choose another "
                            "port with --port.")
    if exc.errno == errno.EACCES:
        return InvalidInput(f"Listening on port {port} needs privileges this user lacks; choose a port above 1023 "
                            "with --port.")
    if exc.errno == errno.EADDRNOTAVAIL:
        return InvalidInput(f"{host} is not an address of this machine; leave out --host to use 127.0.0.1.")
    return InvalidInput(f"Cannot listen on {host} port {port}: {(exc.strerror or str(exc)).lower()}.")


def session_command(db: Path) -> str:
    """The command textual-serve runs for each browser connection: the ordinary cockpit on the same database."""
    return shlex.join([sys.executable, "-m", "cockpit", "--db", str(db.resolve())])


def serve(db: Path, host: str, port: int, public_url: str | None = None) -> None:
    """Serve until interrupted. The sessions get the environment without the cockpit's secrets: they never sync
    and never run runbook commands, so they need none."""
    check_listen(host, port)
    from textual_serve.server import Server

    cleaned = child_environment(os.environ)
    os.environ.clear()
    os.environ.update(cleaned)
    server = Server(session_command(db), host=host, port=port, title=TITLE, public_url=public_url)
    try:
        server.serve()
    except OSError as exc:
        raise listen_error(host, port, exc) from None
