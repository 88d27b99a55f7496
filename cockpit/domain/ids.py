"""Identities that travel: time-ordered UUIDs, short references, hybrid logical clock stamps.

Everything here is a pure function of its inputs; the caller brings the time and the randomness.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from cockpit.errors import InvalidInput

# Crockford's base32: no I, L, O, U, so a reference read aloud or typed is hard to get wrong.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_PREFIX = "INC-"
REF_LENGTH = 8  # 40 random bits: two cockpits offline at once will not pick the same one


def uuid7(unix_ms: int, rand: bytes) -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then 74 random bits."""
    if len(rand) < 10:
        raise ValueError("uuid7 needs 10 random bytes")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    rand_int = int.from_bytes(rand[:10], "big")
    value |= ((rand_int >> 68) & 0xFFF) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # variant
    value |= rand_int & ((1 << 62) - 1)  # rand_b: 62 bits
    return uuid.UUID(int=value)


def ref_key_from_uuid(value: uuid.UUID) -> str:
    """Eight Crockford characters taken from the UUID's random bits."""
    bits = value.int & ((1 << (5 * REF_LENGTH)) - 1)
    chars = []
    for _ in range(REF_LENGTH):
        chars.append(CROCKFORD[bits & 31])
        bits >>= 5
    return "".join(reversed(chars))


def display_ref(key: str) -> str:
    return f"{REF_PREFIX}{key}"


_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


def normalize_ref_query(text: str) -> str:
    """Turn what a person typed (``inc-k7q2``, ``K7Q2``, ``INC-K7Q2-M9``) into a key prefix."""
    query = text.strip().upper()
    if query.startswith(REF_PREFIX):
        query = query[len(REF_PREFIX):]
    query = query.replace("-", "").replace(" ", "").translate(_CONFUSABLE)
    if not query or not re.fullmatch(f"[{CROCKFORD}]+", query) or len(query) > REF_LENGTH:
        raise InvalidInput(
            f"'{text}' is not an incident reference: references look like INC-K7Q2M9XF "
            "(any unique prefix such as K7Q2 works)."
        )
    return query


# --- Hybrid logical clock -------------------------------------------------------------
# A stamp is one integer: (physical milliseconds << 16) | logical counter. Integer order is
# causal order: a stamp made after seeing another is always larger, even if the wall clock
# went backwards.

HLC_SHIFT = 16


def hlc_tick(last: int, now_ms: int) -> int:
    """The stamp for a local event, given the largest stamp seen so far."""
    return max(now_ms << HLC_SHIFT, last + 1)


def whole_ms(moment: datetime) -> datetime:
    """``moment`` cut to the millisecond, the resolution of the clock stamp. An entry's shown time is cut so: two
    entries written within one millisecond (on two cockpits, or fast on one) are ordered by their stamps' counter,
    and a finer time could run backwards against that order."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def hlc_receive(last: int, remote: int, now_ms: int) -> int:
    """The stamp for a local event that follows a received remote stamp."""
    return max(now_ms << HLC_SHIFT, last + 1, remote + 1)


def hlc_wall_ms(stamp: int) -> int:
    return stamp >> HLC_SHIFT


def hlc_from_ms(unix_ms: int) -> int:
    """The stamp of an event known only by its wall-clock time (a comment written in the tracker)."""
    return unix_ms << HLC_SHIFT


# --- Identity of things written in a tracker ------------------------------------------------
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def tracker_identity(kind: str, url: str, project: str = "") -> str:
    """What names a tracker independently of the name a cockpit gave it: its kind and address (and, on
    GitHub-like trackers, the repository). Scheme and host are case-folded, the default port and a trailing
    slash dropped, so two cockpits configured with the same address agree."""
    match = re.fullmatch(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[^/:?#]+)(?::(?P<port>\d+))?(?P<path>[^?#]*)",
                         url.strip())
    if match is None:
        address = url.strip().rstrip("/")
    else:
        scheme = match["scheme"].lower()
        port = match["port"] if match["port"] and match["port"] != _DEFAULT_PORTS.get(scheme) else ""
        address = f"{scheme}://{match['host'].lower().rstrip('.')}{':' + port if port else ''}" \
                  f"{match['path'].rstrip('/')}"
    return f"{kind}:{address}" + (f"#{project.strip().strip('/').lower()}" if project.strip() else "")


def remote_entry_id(identity: str, remote_id: str) -> str:
    """A deterministic id for a comment written in the tracker itself, from the tracker's identity and the
    comment's id there: re-pulls change nothing, and every cockpit gives the comment the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cockpit:{identity}:{remote_id}"))
