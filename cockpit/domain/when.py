"""When impact began, as a person says it: "15 min ago", "2h ago", "-15m", "14:03", or an ISO 8601 time.

Pure: the caller gives "now" and the time zone a bare clock time ("14:03") is meant in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from cockpit.errors import InvalidInput

_UNITS = {"s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds",
          "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
          "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
          "d": "days", "day": "days", "days": "days"}
_AGO = re.compile(r"(?:-\s*)?(\d{1,7})\s*([a-z]+)(\s+ago)?")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
HELP = "say when impact began as '15 min ago', '-2h', '14:03' or an ISO 8601 time (2026-11-22T14:03Z)"


def parse_started(text: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    """The moment ``text`` names, not after ``now``; a bare clock time is the latest one at or before ``now``."""
    value = text.strip().lower()
    match = _AGO.fullmatch(value)
    if match and match.group(2) in _UNITS and (match.group(3) or value.startswith("-") or value[-1:].isalpha()):
        try:
            return _checked(text, now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
        except OverflowError:
            raise InvalidInput(_too_early(text)) from None
    clock = _CLOCK.fullmatch(value)
    if clock:
        local_now = now.astimezone(zone)
        moment = local_now.replace(hour=int(clock.group(1)), minute=int(clock.group(2)), second=0, microsecond=0)
        if moment > local_now:
            moment -= timedelta(days=1)  # "23:50" said at 00:10 means yesterday
        return _checked(text, moment.astimezone(UTC))
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{text}' is not a time: {HELP}.") from None
    try:  # 0001-01-01T00:00+14:00 is a moment of year 0 in UTC, which no calendar here holds
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"'{text}' falls outside the calendar once counted in UTC; give the time the impact "
                           "really began.") from None
    return _checked(text, moment)


def _too_early(text: str) -> str:
    return f"'{text}' is too far in the past (before 1970); give the time the impact really began."


def _checked(text: str, moment: datetime) -> datetime:
    """``moment`` when it is one a record can hold: from 1970 on."""
    if moment.year < 1970:
        raise InvalidInput(_too_early(text))
    return moment


def age_words(since: datetime, now: datetime) -> str:
    """How long ago, in a table's few columns: "12m", "3h05", "4d" (never negative)."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}"
    return f"{minutes // 1440}d"
