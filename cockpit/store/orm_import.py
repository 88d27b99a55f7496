"""SQLAlchemy and SQLModel are imported in worker threads, after the cockpit's first frame (issue #19). Two threads
importing them at the same moment can each meet the other's half-made package and fail with ImportError ("partially
initialized module"): on a busy machine the warm-up, a poll's sync status and the role board's watch did, and the
screen showed 'An unexpected problem'. Until the ORM has been imported whole, the cockpit's workers take turns
(``one_at_a_time``); ``import_orm`` imports it under the same lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()
_ready = False


def import_orm() -> None:
    global _ready
    if _ready:
        return
    with _LOCK:
        if not _ready:
            import sqlalchemy.orm  # noqa: F401  (the import is the point)
            import sqlmodel  # noqa: F401

            _ready = True


@contextmanager
def one_at_a_time() -> Iterator[None]:
    """Run the block alone among the cockpit's workers while the ORM may still be half imported; at once after."""
    if _ready:
        yield
        return
    with _LOCK:
        yield
