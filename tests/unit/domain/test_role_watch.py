"""The role board's watch rules, worked out by hand: time held, handover advice once per level, check-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.domain import role_watch as rw
from cockpit.domain.incident import Entry
from cockpit.domain.roles import Role, RoleHolding

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(minutes: float, kind: str, text: str, author: str = "alice", hlc: int = 0) -> Entry:
    return Entry(id=f"e{minutes}", at=at(minutes), kind=kind, author=author, text=text, hlc=hlc)


def test_levels_follow_pagerduty_guidance() -> None:
    assert rw.fatigue_level(timedelta(minutes=59)) is rw.Fatigue.FRESH
    assert rw.fatigue_level(timedelta(minutes=60)) is rw.Fatigue.SUGGEST
    assert rw.fatigue_level(timedelta(minutes=179)) is rw.Fatigue.SUGGEST
    assert rw.fatigue_level(timedelta(hours=3)) is rw.Fatigue.LIMIT
    # a configured 45 minutes suggests earlier; the three-hour limit stays
    assert rw.fatigue_level(timedelta(minutes=45), timedelta(minutes=45)) is rw.Fatigue.SUGGEST
    assert rw.fatigue_level(timedelta(minutes=44), timedelta(minutes=45)) is rw.Fatigue.FRESH


def test_format_held() -> None:
    assert rw.format_held(timedelta(minutes=45, seconds=59)) == "45m"
    assert rw.format_held(timedelta(minutes=65)) == "1h05"
    assert rw.format_held(timedelta(hours=3, minutes=2)) == "3h02"


def test_advice_for_the_ic_only_and_recorded_once_per_holding_and_level() -> None:
    ic = RoleHolding(Role.IC, "priya", at(0))
    ops = RoleHolding(Role.OPS, "kwame", at(0))
    assert rw.fatigue_advice([ic, ops], [], at(59)) == []
    [advice] = rw.fatigue_advice([ic, ops], [], at(65))
    assert (advice.holder, advice.level, advice.recorded) == ("priya", rw.Fatigue.SUGGEST, False)
    assert advice.text == ("Handover suggested: priya has been Incident Commander for 1h05: hand over about every "
                           "hour, no more than three (h).")
    said = entry(61, "fatigue", rw.fatigue_text(rw.Fatigue.SUGGEST, "priya", Role.IC, timedelta(minutes=61)))
    assert rw.fatigue_advice([ic], [said], at(65))[0].recorded is True
    # at three hours the stronger advice is a new level: not yet recorded
    [strong] = rw.fatigue_advice([ic], [said], at(181))
    assert (strong.level, strong.recorded) == (rw.Fatigue.LIMIT, False)
    assert strong.text.endswith("past the three-hour limit: hand over now (h).")
    # a closed incident, or a released IC, gets no advice
    assert rw.fatigue_advice([ic], [], at(200), open_incident=False) == []
    assert rw.fatigue_advice([RoleHolding(Role.IC, "priya", at(0), until=at(100))], [], at(200)) == []


def test_an_earlier_holding_s_entry_does_not_count_for_a_new_one() -> None:
    said = entry(61, "fatigue", rw.fatigue_text(rw.Fatigue.SUGGEST, "priya", Role.IC, timedelta(minutes=61)))
    again = RoleHolding(Role.IC, "priya", at(90))  # handed away and back at 14:90
    [advice] = rw.fatigue_advice([again], [said], at(155))
    assert advice.recorded is False and advice.held == timedelta(minutes=65)


def test_a_name_with_odd_characters_reads_back() -> None:
    name = "Ann: has been Scribe for x"
    said = entry(61, "fatigue", rw.fatigue_text(rw.Fatigue.SUGGEST, name, Role.IC, timedelta(minutes=61)))
    assert rw.fatigue_advice([RoleHolding(Role.IC, name, at(0))], [said], at(70))[0].recorded is True


def test_checkins_set_cleared_and_overdue() -> None:
    set_ops = entry(0, "checkin", rw.checkin_set_text(Role.OPS, 5, "checking the replica: lag"), "priya")
    set_comms = entry(1, "checkin", rw.checkin_set_text(Role.COMMS, 1, "draft the customer note"), "kwame")
    running = rw.role_checkins([set_ops, set_comms])
    ops = running[Role.OPS]
    assert ops.note == "checking the replica: lag" and ops.due_at == at(5) and ops.set_by == "priya"
    assert ops.remaining(at(2)) == timedelta(minutes=3) and not ops.overdue(at(4.99))
    assert ops.overdue(at(5))
    assert running[Role.COMMS].due_at == at(2)
    # only the setter's cockpit writes the overdue entry, once
    assert rw.overdue_to_record(running, at(6), "PRIYA") == [ops]
    assert rw.overdue_to_record(running, at(4), "priya") == []
    late = entry(6, "checkin", rw.checkin_overdue_text(Role.OPS, at(5), at(0)), "priya")
    assert late.text == "Check-in overdue: Operations Lead was due back at 14:05:00Z (set at 14:00:00Z)"
    after = rw.role_checkins([set_ops, set_comms, late])
    assert after[Role.OPS].overdue_recorded and rw.overdue_to_record(after, at(7), "priya") == []
    # checked in: cleared; a new one replaces the old
    done = entry(8, "checkin", rw.checkin_done_text(Role.OPS, "back, lag is 0"), "priya")
    assert Role.OPS not in rw.role_checkins([set_ops, late, done])
    again = entry(9, "checkin", rw.checkin_set_text(Role.OPS, 10, "watch the failover"), "priya")
    renewed = rw.role_checkins([set_ops, late, done, again])[Role.OPS]
    assert renewed.due_at == at(19) and not renewed.overdue_recorded


def test_checkin_limits() -> None:
    assert rw.check_checkin(5, "ok") is None
    assert rw.check_checkin(0, "back") is None
    assert rw.check_checkin(-1, "x") is not None
    assert rw.check_checkin(24 * 60 + 1, "x") is not None
    assert rw.check_checkin(5, "  ") == "Say what the check-in is about (a few words)."
    assert rw.checkin_set_text(Role.SME, 1, "x") == "Check-in set: Subject Matter Expert, back to you in 1 minute: x"
