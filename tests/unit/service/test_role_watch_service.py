"""Fatigue advice and check-in expiry written once: across restarts and two cockpits on one database."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentService
from cockpit.service.role_watch import RoleWatch
from cockpit.store.db import Store
from tests.conftest import FakeClock


def kinds(svc: IncidentService, ref: str, kind: str) -> list[str]:
    return [e.text for e in svc.get(ref).timeline if e.kind == kind]


def test_fatigue_recorded_once_by_the_ic_s_cockpit(db_path: Path, clock: FakeClock) -> None:
    priya = IncidentService(Store.open(db_path), "priya", clock=clock)
    other = IncidentService(Store.open(db_path), "kwame", clock=clock)  # a second cockpit on the same file
    ref = priya.open_incident("Checkout down", Impact.CORE_DOWN, Scope.ALL, commander="priya").ref
    clock.advance(minutes=59)
    assert RoleWatch(priya).record_due(ref)[1] == []
    clock.advance(minutes=2)
    state, written = RoleWatch(other).record_due(ref)  # not kwame's to write: shown, not recorded
    assert written == [] and [a.holder for a in state.advice] == ["priya"] and not state.advice[0].recorded
    state, written = RoleWatch(priya).record_due(ref)
    assert [e.text for e in written] == ["Handover suggested: priya has been Incident Commander for 1h01: hand "
                                         "over about every hour, no more than three (h)."]
    assert state.advice[0].recorded
    clock.advance(minutes=5)
    restarted = IncidentService(Store.open(db_path), "priya", clock=clock)
    assert RoleWatch(restarted).record_due(ref)[1] == []
    assert len(kinds(priya, ref, "fatigue")) == 1
    clock.advance(hours=2)  # 3h06 in the role
    written = RoleWatch(restarted).record_due(ref)[1]
    assert [e.text for e in written] == ["Handover overdue: priya has been Incident Commander for 3h06, past the "
                                         "three-hour limit: hand over now (h)."]
    assert RoleWatch(priya).record_due(ref)[1] == []
    # handed over: the new IC starts fresh
    priya.assign_role(ref, Role.IC, "kwame")
    assert RoleWatch(other).record_due(ref) == (RoleWatch(other).state(ref), [])
    assert RoleWatch(other).state(ref).advice == ()


def test_configured_minutes(db_path: Path, clock: FakeClock) -> None:
    svc = IncidentService(Store.open(db_path), "priya", clock=clock)
    ref = svc.open_incident("Checkout down", Impact.CORE_DOWN, Scope.ALL, commander="priya").ref
    clock.advance(minutes=31)
    assert RoleWatch(svc).record_due(ref)[1] == []
    from datetime import timedelta

    assert len(RoleWatch(svc, timedelta(minutes=30)).record_due(ref)[1]) == 1


def test_checkin_overdue_written_once_by_its_setter(db_path: Path, clock: FakeClock) -> None:
    priya = IncidentService(Store.open(db_path), "priya", clock=clock)
    other = IncidentService(Store.open(db_path), "kwame", clock=clock)
    ref = priya.open_incident("Checkout down", Impact.CORE_DOWN, Scope.ALL, commander="priya").ref
    entry = RoleWatch(priya).set_checkin(ref, Role.OPS, 5, "  checking the\nreplica ")
    assert entry.kind == "checkin"
    assert entry.text == "Check-in set: Operations Lead, back to you in 5 minutes: checking the replica"
    clock.advance(minutes=4, seconds=59)
    [running] = RoleWatch(other).state(ref).checkins
    assert running.remaining(clock()).total_seconds() == 1
    assert RoleWatch(priya).record_due(ref)[1] == []
    clock.advance(seconds=2)
    assert RoleWatch(other).record_due(ref)[1] == []  # kwame did not set it
    written = RoleWatch(priya).record_due(ref)[1]
    assert [e.text for e in written] == ["Check-in overdue: Operations Lead was due back at 14:05:00Z "
                                         "(set at 14:00:00Z)"]
    assert RoleWatch(priya).record_due(ref)[1] == []
    assert RoleWatch(IncidentService(Store.open(db_path), "priya", clock=clock)).record_due(ref)[1] == []
    assert len(kinds(priya, ref, "checkin")) == 2
    RoleWatch(other).set_checkin(ref, Role.OPS, 0, "back: lag is zero")
    assert RoleWatch(priya).state(ref).checkins == ()


def test_checkin_refusals(svc: IncidentService) -> None:
    ref = svc.open_incident("Checkout down", Impact.CORE_DOWN, Scope.ALL).ref
    with pytest.raises(InvalidInput, match="control character"):
        RoleWatch(svc).set_checkin(ref, Role.OPS, 5, "a\x1b[31mred")
    with pytest.raises(InvalidInput, match="from 0"):
        RoleWatch(svc).set_checkin(ref, Role.OPS, 2000, "x")
    with pytest.raises(InvalidInput, match="about"):
        RoleWatch(svc).set_checkin(ref, Role.OPS, 3, "   ")
    assert kinds(svc, ref, "checkin") == []
