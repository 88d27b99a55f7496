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
from dataclasses import dataclass

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


# --- patterns: what is never stored (shell capture) and what never leaves the machine (sync) ----------------------
#: A pattern with a group named ``secret`` replaces only that group (``Bearer [redacted]``); else the whole match.
SECRET_PATTERNS: dict[str, str] = {
    "github-token": r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
    "bearer": r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
    "password": r"(?i)\b(?:password|passwd|pwd|secret|token|api[_-]?key)=(?P<secret>[^\s&'\"]+)",
    "url-password": r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]+:(?P<secret>[^\s@/]+)@",
}
_IPV4_PART = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
#: What a tracker never receives (``redact_patterns:`` in the config adds more, such as customer ids).
SYNC_PATTERNS: dict[str, str] = {
    "email": r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
    "ip": rf"(?<![\w.:])(?:{_IPV4_PART}\.){{3}}{_IPV4_PART}(?![\w.])"  # IPv4
          r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"  # IPv6, full
          r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?"
          r"(?![\w:])(?<!::)",  # IPv6 with ::, but not a lone "::"
}
_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")


class PatternError(ValueError):
    """A configured pattern that is not a usable regular expression: the message says why."""


@dataclass(frozen=True)
class Redactor:
    """Named regular expressions; ``apply`` replaces what they match and counts it by name."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    label: str = "redacted"  # what replaces a match: "[redacted]", or "[email]" with label="name"

    @classmethod
    def build(cls, defaults: Mapping[str, str], extra: Mapping[str, str] | None = None,
              label: str = "redacted") -> Redactor:
        """``defaults`` plus ``extra`` (an extra name replaces the default of that name). Raises PatternError."""
        compiled: list[tuple[str, re.Pattern[str]]] = []
        for name, source in {**defaults, **(extra or {})}.items():
            compiled.append((name, compile_pattern(name, source)))
        return cls(tuple(compiled), label)

    def apply(self, text: str) -> tuple[str, dict[str, int]]:
        counts: dict[str, int] = {}
        for name, pattern in self.patterns:
            mark = REDACTED if self.label == "redacted" else f"[{name}]"

            def replace(match: re.Match[str], name: str = name, mark: str = mark) -> str:
                if not match.group(0):
                    return ""
                counts[name] = counts.get(name, 0) + 1
                if "secret" in match.re.groupindex and match.group("secret") is not None:
                    start, end = match.span("secret")
                    whole = match.group(0)
                    offset = match.start()
                    return whole[:start - offset] + mark + whole[end - offset:]
                return mark

            text = pattern.sub(replace, text)
        return text, counts


def compile_pattern(name: str, source: str) -> re.Pattern[str]:
    """One named pattern, or PatternError saying what is wrong with it."""
    if not _NAME.fullmatch(name):
        raise PatternError(f"'{name}' is not a pattern name: use lowercase letters, digits and dashes")
    if not source:
        raise PatternError("is empty: write a regular expression")
    try:
        pattern = re.compile(source)
    except re.error as exc:
        raise PatternError(f"is not a regular expression ({exc})") from None
    if pattern.match(""):
        raise PatternError("matches empty text: it would match everywhere")
    return pattern

