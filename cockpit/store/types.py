"""Column types: times are stored as fixed-width UTC ISO text so text order is time order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.types import String, TypeDecorator

from cockpit.store.schema import ISO_FORMAT, from_db_time, to_db_time

__all__ = ["ISO_FORMAT", "UTCDateTime", "from_db_time", "to_db_time"]

class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored as ``2026-11-22T19:35:00.000000Z``."""

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else to_db_time(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_db_time(value)
