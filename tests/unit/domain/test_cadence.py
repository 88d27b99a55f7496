"""Check-in cadence: SEV1 15 min and SEV2 30 min (seed); SEV3 60 min and SEV4 4 h (documented)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.domain.cadence import (
    CHECK_IN_INTERVAL,
    CheckIn,
    describe_check_in,
    format_clock,
    next_check_in,
)
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Severity

LAST = datetime(2026, 2, 17, 14, 3, tzinfo=UTC)
OPEN_PHASES = [Phase.DETECT, Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE]

INTERVALS = [
    (Severity.SEV1, timedelta(minutes=15)),  # seed: "15-minute check-ins for SEV1"
    (Severity.SEV2, timedelta(minutes=30)),  # seed: "30-min for SEV2"
    (Severity.SEV3, timedelta(minutes=60)),  # documented choice
    (Severity.SEV4, timedelta(hours=4)),  # documented choice
]


@pytest.mark.parametrize(("severity", "interval"), INTERVALS)
def test_interval_table(severity, interval):
    assert CHECK_IN_INTERVAL[severity] == interval


@pytest.mark.parametrize("phase", OPEN_PHASES)
@pytest.mark.parametrize(("severity", "interval"), INTERVALS)
def test_next_check_in_is_due_one_interval_after_the_last_update(severity, interval, phase):
    now = LAST + timedelta(minutes=4, seconds=30)
    check_in = next_check_in(severity, phase, LAST, now)
    assert check_in is not None
    assert check_in.interval == interval
    assert check_in.due_at == LAST + interval
    assert check_in.remaining == interval - timedelta(minutes=4, seconds=30)
    assert check_in.overdue is False
    assert check_in.overdue_by == timedelta(0)


def test_sev1_due_time_and_remaining_by_hand():
    check_in = next_check_in(Severity.SEV1, Phase.RESPOND, LAST, LAST + timedelta(minutes=10))
    assert check_in is not None
    assert check_in.due_at == datetime(2026, 2, 17, 14, 18, tzinfo=UTC)
    assert check_in.remaining == timedelta(minutes=5)
    assert describe_check_in(check_in) == "next update in 05:00"


def test_sev2_overdue_by_hand():
    now = datetime(2026, 2, 17, 14, 40, 7, tzinfo=UTC)  # due 14:33 -> 7 min 7 s late
    check_in = next_check_in(Severity.SEV2, Phase.MITIGATE, LAST, now)
    assert check_in is not None
    assert check_in.due_at == datetime(2026, 2, 17, 14, 33, tzinfo=UTC)
    assert check_in.overdue is True
    assert check_in.remaining == -timedelta(minutes=7, seconds=7)
    assert check_in.overdue_by == timedelta(minutes=7, seconds=7)
    assert describe_check_in(check_in) == "overdue by 07:07"


def test_exactly_at_due_time_is_not_overdue():
    check_in = next_check_in(Severity.SEV1, Phase.RESPOND, LAST, LAST + timedelta(minutes=15))
    assert check_in is not None
    assert check_in.overdue is False
    assert check_in.overdue_by == timedelta(0)
    assert describe_check_in(check_in) == "next update in 00:00"


def test_one_second_past_due_is_overdue():
    check_in = next_check_in(Severity.SEV1, Phase.RESPOND, LAST, LAST + timedelta(minutes=15, seconds=1))
    assert check_in is not None
    assert check_in.overdue is True
    assert describe_check_in(check_in) == "overdue by 00:01"


def test_sev4_long_remaining_uses_hours():
    check_in = next_check_in(Severity.SEV4, Phase.TRIAGE, LAST, LAST + timedelta(minutes=57, seconds=57))
    assert check_in is not None
    assert describe_check_in(check_in) == "next update in 3:02:03"


@pytest.mark.parametrize("phase", [Phase.RESOLVE, Phase.REVIEW])
@pytest.mark.parametrize("severity", list(Severity))
def test_no_check_in_once_resolved(severity, phase):
    assert next_check_in(severity, phase, LAST, LAST + timedelta(hours=9)) is None


def test_describe_resolved():
    assert describe_check_in(None) == "no check-ins (resolved)"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "00:00"),
        (timedelta(minutes=5, seconds=7), "05:07"),
        (timedelta(minutes=59, seconds=59), "59:59"),
        (timedelta(hours=1), "1:00:00"),
        (timedelta(hours=1, minutes=2, seconds=3), "1:02:03"),
        (timedelta(hours=12, minutes=30), "12:30:00"),
        (-timedelta(minutes=5, seconds=7), "05:07"),
        (-timedelta(hours=1, minutes=2, seconds=3), "1:02:03"),
        (timedelta(seconds=61, microseconds=900_000), "01:01"),
    ],
)
def test_format_clock(delta, text):
    assert format_clock(delta) == text


@pytest.mark.parametrize(
    ("remaining", "text"),
    [
        (timedelta(minutes=12, seconds=5), "next update in 12:05"),
        (-timedelta(minutes=3, seconds=9), "overdue by 03:09"),
        (-timedelta(hours=1, minutes=0, seconds=1), "overdue by 1:00:01"),
    ],
)
def test_describe_check_in_wording(remaining, text):
    check_in = CheckIn(due_at=LAST, interval=timedelta(minutes=15), remaining=remaining)
    assert describe_check_in(check_in) == text
