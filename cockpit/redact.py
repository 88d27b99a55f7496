"""Keeping the cockpit's secrets out of what it runs and what it writes.

The cockpit's own secrets are tracker tokens (``COCKPIT_TRACKER_TOKEN_<NAME>`` or the OS keyring) and any other
``COCKPIT_*`` variable named like a secret (``COCKPIT_PROMETHEUS_TOKEN``, ``..._PASSWORD``, ``..._API_KEY``).
A runbook step runs without those variables, and without any other variable that holds one of their values; and
whatever a step prints that matches a known secret becomes ``[redacted]`` before it reaches the timeline, the
outbox, and so the tracker.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping

REDACTED = "[redacted]"
#: Shorter values are not searched for in output: they would match ordinary text (they are still never passed on).
MIN_SECRET_LENGTH = 4

_SECRET_PARTS = re.compile(r"(?:TOKENS?|SECRETS?|PASSWORDS?|PASSWD|PASS|PWD|KEY|APIKEY|CREDENTIALS?|AUTH)\d*")


def is_secret_variable(name: str) -> bool:
    """A ``COCKPIT_*`` variable whose name says it holds a secret: one of its ``_``-separated words is TOKEN,
    SECRET, PASSWORD, PASS, KEY, APIKEY, CREDENTIAL or AUTH."""
    upper = name.upper()
    if not upper.startswith("COCKPIT_"):
        return False
    return any(_SECRET_PARTS.fullmatch(part) for part in upper[len("COCKPIT_"):].split("_"))


def secret_variables(environ: Mapping[str, str]) -> list[str]:
    """The values of the cockpit's secret variables in ``environ``."""
    return [value for name, value in environ.items() if value and is_secret_variable(name)]


def forms(secrets: Iterable[str]) -> list[str]:
    """Each secret as it may show up in output: as given, the password part of ``user:password``, and base64 (an
    HTTP Basic header, or keyrings.alt's file), longest first so a longer match is never half-replaced."""
    found: set[str] = set()
    for secret in secrets:
        secret = secret.strip()
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        found.add(secret)
        found.add(base64.b64encode(secret.encode()).decode())
        _, colon, password = secret.partition(":")
        if colon and len(password) >= MIN_SECRET_LENGTH:
            found.add(password)
    return sorted(found, key=lambda s: (-len(s), s))


def child_environment(environ: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """``environ`` for a child process: without the cockpit's secret variables and without any variable whose
    value holds a known secret (the same token exported under another name)."""
    known = forms([*secret_variables(environ), *secrets])
    return {name: value for name, value in environ.items()
            if not is_secret_variable(name) and not any(secret in value for secret in known)}


def redact(text: str, secrets: Iterable[str], cut: bool = False) -> str:
    """``text`` with every known secret replaced by ``[redacted]``; with ``cut`` (output truncated at a cap, or a
    command killed mid-line), also a secret's beginning left at the very end."""
    known = forms(secrets)
    for secret in known:
        text = text.replace(secret, REDACTED)
    for secret in known if cut else ():
        for keep in range(len(secret) - 1, MIN_SECRET_LENGTH - 1, -1):
            if text.endswith(secret[:keep]):
                return text[:-keep] + REDACTED
    return text
