"""Show text from people and trackers literally: no terminal control sequence ever reaches the screen."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides/isolates
# that can make text display in an order different from the one stored.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def literal(text: str) -> str:
    """``text`` with every control character replaced by a visible escape such as ``\\x1b``."""
    return _UNSAFE.sub(_escape, text)


def control_characters(text: str) -> str:
    """The control characters (C0 but tab and newline, NUL, DEL, C1, bidi overrides) in ``text``, each shown
    escaped once in order of appearance, e.g. ``\\x1b, \\x00``; empty when there are none."""
    return ", ".join(dict.fromkeys(_escape(m) for m in _UNSAFE.finditer(text)))


def one_line(text: str) -> str:
    """``literal`` on a single line: newlines and tabs become visible ``\\n`` and spaces."""
    return literal(text).replace("\r\n", "\n").replace("\n", "⏎ ").replace("\t", " ")


# What JSON leaves raw: DEL, C1 controls and bidi overrides (json.dumps already escapes C0).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_safe(encoded: str) -> str:
    """Escape, inside already-encoded JSON, the characters ``json.dumps`` leaves raw."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", encoded)


def clipboard_text(text: str) -> str:
    """``text`` made safe to paste into a shell or a chat: no terminal control reaches the clipboard.

    Every control character of an escape sequence, C0 controls other than newline and tab, DEL, C1 controls
    and bidi overrides and isolates become visible escapes, as on screen: a copied ``ESC [201~`` (the end of a
    bracketed paste) arrives as the harmless text ``\\x1b[201~``. Windows line ends become plain newlines.
    """
    return literal(text.replace("\r\n", "\n"))


def is_number_text(text: str) -> bool:
    """Whether ``text`` is a plain non-negative number written in ASCII digits. ``str.isdigit`` also accepts "²" and
    "١٢", which ``int`` then refuses: text from servers and files is checked with this before ``int``."""
    return text.isascii() and text.isdigit()
