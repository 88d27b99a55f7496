"""Check-in cadence: how often the IC must post a status update.

SEV1 every 15 minutes and SEV2 every 30 minutes come from the seed ("15-minute check-ins for
SEV1, 30-min for SEV2"). The seed is silent on SEV3 and SEV4; the cockpit uses 60 minutes for
SEV3 (still customer-visible, still worth an hourly word) and 4 hours for SEV4 (minor issues get a
check-in twice a working day). A resolved incident has no cadence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Severity

CHECK_IN_INTERVAL: dict[Severity, timedelta] = {
    Severity.SEV1: timedelta(minutes=15),
    Severity.SEV2: timedelta(minutes=30),
    Severity.SEV3: timedelta(minutes=60),
    Severity.SEV4: timedelta(hours=4),
}


@dataclass(frozen=True)
class CheckIn:
    due_at: datetime
    interval: timedelta
    remaining: timedelta  # negative when overdue

    @property
    def overdue(self) -> bool:
        return self.remaining < timedelta(0)

    @property
    def overdue_by(self) -> timedelta:
        return -self.remaining if self.overdue else timedelta(0)


def next_check_in(
    severity: Severity, phase: Phase, last_update_at: datetime, now: datetime
) -> CheckIn | None:
    """When the next status update is due, counted from the last one (or the declaration)."""
    if not phase.is_open:
        return None
    interval = CHECK_IN_INTERVAL[severity]
    due = last_update_at + interval
    return CheckIn(due_at=due, interval=interval, remaining=due - now)


def format_clock(delta: timedelta) -> str:
    """``mm:ss`` (or ``h:mm:ss`` past an hour) of the absolute value of ``delta``."""
    total = int(abs(delta.total_seconds()))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"


def describe_check_in(check_in: CheckIn | None) -> str:
    if check_in is None:
        return "no check-ins (resolved)"
    if check_in.overdue:
        return f"overdue by {format_clock(check_in.overdue_by)}"
    return f"next update in {format_clock(check_in.remaining)}"
