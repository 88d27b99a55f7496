"""Incident metrics, hand-computed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.lifecycle import Phase
from cockpit.domain.metrics import compute_metrics, format_duration
from cockpit.domain.severity import Impact, Scope, Severity, Triggers


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 2, 17, hour, minute, tzinfo=UTC)


def snapshot(**changes: object) -> IncidentSnapshot:
    base = IncidentSnapshot(
        id="0195f3a2-0000-7000-8000-000000000001",
        ref="INC-K7Q2M9XF",
        title="Checkout API returning 500s",
        services=("payments-api",),
        impact=Impact.CORE_DOWN,
        scope=Scope.LT25,
        triggers=Triggers(),
        severity=Severity.SEV2,
        severity_reason="matrix",
        severity_overridden=False,
        phase=Phase.RESOLVE,
        declared_at=at(14, 3),
        started_at=at(13, 52),
        acknowledged_at=at(14, 5),
        mitigated_at=at(14, 41),
        resolved_at=at(15, 15),
    )
    return replace(base, **changes)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_hand_computed_metrics():
    m = compute_metrics(snapshot(), now=at(18, 0))
    assert m.time_to_detect == minutes(11)  # 13:52 -> 14:03
    assert m.time_to_acknowledge == minutes(2)  # 14:03 -> 14:05
    assert m.time_to_mitigate == minutes(38)  # 14:03 -> 14:41
    assert m.time_to_resolve == minutes(72)  # 14:03 -> 15:15
    assert m.duration == minutes(83)  # 13:52 -> 15:15
    assert m.ongoing is False


def test_as_minutes_uses_the_seed_postmortem_field_names():
    assert compute_metrics(snapshot(), now=at(18, 0)).as_minutes() == {
        "time_to_detect_minutes": 11.0,
        "time_to_acknowledge_minutes": 2.0,
        "time_to_mitigate_minutes": 38.0,
        "time_to_resolve_minutes": 72.0,
        "duration_minutes": 83.0,
    }


def test_as_minutes_rounds_to_two_places_and_keeps_none():
    incident = snapshot(
        acknowledged_at=at(14, 3) + timedelta(seconds=100),  # 1.666... min
        mitigated_at=None,
        resolved_at=None,
        phase=Phase.RESPOND,
    )
    result = compute_metrics(incident, now=at(14, 13)).as_minutes()
    assert result["time_to_acknowledge_minutes"] == 1.67
    assert result["time_to_mitigate_minutes"] is None
    assert result["time_to_resolve_minutes"] is None
    assert result["duration_minutes"] == 21.0


@pytest.mark.parametrize(("now", "expected"), [(at(14, 30), 38), (at(16, 0), 128)])
def test_ongoing_incident_duration_counts_to_now(now, expected):
    incident = snapshot(phase=Phase.MITIGATE, resolved_at=None)
    m = compute_metrics(incident, now=now)
    assert m.ongoing is True
    assert m.duration == minutes(expected)
    assert m.time_to_resolve is None
    assert m.time_to_mitigate == minutes(38)


def test_unknown_start_means_unknown_time_to_detect_and_duration_from_declaration():
    # #13.6: an unknown start is not a detection in zero minutes (it would flatter MTTD)
    m = compute_metrics(snapshot(started_at=None), now=at(18, 0))
    assert m.time_to_detect is None
    assert m.duration == minutes(72)  # 14:03 -> 15:15


def test_fresh_incident_has_only_detect_and_duration():
    incident = snapshot(phase=Phase.DETECT, acknowledged_at=None, mitigated_at=None, resolved_at=None)
    m = compute_metrics(incident, now=at(14, 4))
    assert m.time_to_detect == minutes(11)
    assert m.time_to_acknowledge is None
    assert m.time_to_mitigate is None
    assert m.time_to_resolve is None
    assert m.duration == minutes(12)
    assert m.ongoing is True


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (minutes(72), "1 hour 12 minutes"),
        (minutes(45), "45 minutes"),
        (minutes(121), "2 hours 1 minute"),
        (minutes(83), "1 hour 23 minutes"),
        (minutes(1), "1 minute"),
        (minutes(0), "0 minutes"),
        (minutes(61), "1 hour 1 minute"),
        (minutes(150), "2 hours 30 minutes"),
        (timedelta(minutes=44, seconds=59), "44 minutes"),  # whole minutes, rounded down
        (timedelta(days=1, minutes=5), "24 hours 5 minutes"),
        (-minutes(5), "0 minutes"),  # never negative
    ],
)
def test_format_duration(delta, text):
    assert format_duration(delta) == text
