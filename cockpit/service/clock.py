"""Time and randomness, injectable so tests can fix them."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def random_bytes(count: int) -> bytes:
    return os.urandom(count)
