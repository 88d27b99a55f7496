"""Evidence: text piped into the timeline (``kubectl get events | cockpit note REF -``).

It is read in chunks: every byte goes into the SHA-256 (so the hash proves what was received), the first
``MAX_EVIDENCE_BYTES`` are kept. A longer input is cut at a line end and the entry says so in its last line, never
silently. Terminal colour and cursor sequences (``kubectl`` and ``ls --color`` send them) are taken out: they are
how the text looked, not what it says; any other control character stays and is shown escaped like all text.
Input that is not UTF-8 text is refused with the reason, and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cockpit.errors import InvalidInput

MAX_EVIDENCE_BYTES = 256 * 1024
FOLD_LINES = 3  # lines shown in the timeline before "… N more lines"
# CSI (colours, cursor moves), OSC (titles, links; ended by BEL or ST), and the other two-character escapes
_TERMINAL_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")


@dataclass(frozen=True)
class Evidence:
    text: str
    sha256: str  # of every byte received
    received: int  # bytes received
    kept: int  # bytes kept (== received unless cut)

    @property
    def cut(self) -> bool:
        return self.kept < self.received


class EvidenceReader:
    """Feed it the input chunk by chunk, then ``finish`` with where it came from (for the error messages)."""

    def __init__(self, limit: int = MAX_EVIDENCE_BYTES) -> None:
        self.limit = limit
        import hashlib  # here: loading OpenSSL's hashes is a noticeable part of a command's start-up

        self._hash = hashlib.sha256()
        self._head = bytearray()
        self.received = 0

    def feed(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.received += len(chunk)
        room = self.limit + 1 - len(self._head)  # one byte over: tells a full cut from an exact fit
        if room > 0:
            self._head += chunk[:room]

    def finish(self, source: str) -> Evidence:
        head = bytes(self._head)
        cut = self.received > self.limit
        if cut:
            head = head[:self.limit]
            line_end = head.rfind(b"\n")
            head = head[:line_end + 1] if line_end > 0 else _whole_characters(head)
        if b"\x00" in head:
            raise InvalidInput(f"{source} holds binary data (a NUL byte at byte {head.index(0):,}); "
                               "nothing was added: attach a link to it instead.")
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{source} is not UTF-8 text (byte 0x{head[exc.start]:02x} at byte {exc.start:,}); "
                               "nothing was added: convert it (iconv) or attach a link instead.") from None
        text = _TERMINAL_SEQUENCE.sub("", text.replace("\r\n", "\n")).rstrip()
        if not text.strip():
            raise InvalidInput(f"{source} is empty; nothing was added.")
        if cut:
            text += (f"\n[cut by the cockpit: kept the first {len(head):,} of {self.received:,} bytes; "
                     "the SHA-256 is of the whole input]")
        return Evidence(text, self._hash.hexdigest(), self.received, len(head))


def _whole_characters(head: bytes) -> bytes:
    """``head`` without a UTF-8 character cut in half at its end."""
    for drop in range(4):
        try:
            (head[:len(head) - drop] if drop else head).decode("utf-8")
        except UnicodeDecodeError:
            continue
        return head[:len(head) - drop] if drop else head
    return head


def fold(text: str, lines: int = FOLD_LINES) -> tuple[list[str], int]:
    """The first ``lines`` lines of ``text`` and how many more there are."""
    every = text.split("\n")
    return every[:lines], max(0, len(every) - lines)
