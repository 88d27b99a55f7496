"""Replay scheduling and drill openings, worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.domain import replay as rules
from cockpit.domain.incident import Entry

T0 = datetime(2026, 11, 18, 13, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_offsets_are_the_gaps_divided_by_the_speed() -> None:
    times = [at(0), at(60), at(90), at(90), at(3690)]
    assert rules.replay_offsets(times, 60) == [0.0, 1.0, 1.5, 1.5, 61.5]
    assert rules.replay_offsets(times, 1) == [0.0, 60.0, 90.0, 90.0, 3690.0]
    # a quiet hour skipped: no gap longer than 2 s
    assert rules.replay_offsets(times, 60, max_wait=2) == [0.0, 1.0, 1.5, 1.5, 3.5]
    # an entry stamped before the one above (arrived late) comes right after it
    assert rules.replay_offsets([at(0), at(120), at(60)], 60) == [0.0, 2.0, 2.0]
    assert rules.replay_offsets([], 10) == []


def test_the_replay_clock_runs_at_speed_and_jumps_a_skipped_stretch() -> None:
    times = [at(0), at(60), at(3660)]
    offsets = rules.replay_offsets(times, 60, max_wait=2)  # [0, 1, 3]
    assert rules.replay_now(times, offsets, 0.5, 60) == at(30)
    assert rules.replay_now(times, offsets, 1.5, 60) == at(90)
    assert rules.replay_now(times, offsets, 2.9, 60) == at(174)  # 60 + 1.9 × 60: the skipped hour not run through
    assert rules.replay_now(times, offsets, 3.0, 60) == at(3660)  # the jump
    assert rules.replay_now(times, offsets, 4.0, 60) == at(3720)


def test_speed_limits() -> None:
    assert rules.check_speed(60) is None
    assert rules.check_speed(0) == "A replay speed is from 0.1 to 10000 times the original pace, not 0."


def test_a_drill_opens_with_what_people_wrote_and_the_alerts() -> None:
    def entry(n: int, kind: str) -> Entry:
        return Entry(id=f"e{n}", at=at(n * 60), kind=kind, author="kwame", text=f"text {n}")

    timeline = [entry(0, "declared"), entry(1, "role"), entry(2, "alert"), entry(3, "note"), entry(4, "phase"),
                entry(5, "decision"), entry(6, "status")]
    assert [e.id for e in rules.opening_entries(timeline, 3)] == ["e2", "e3", "e5"]
    assert rules.opening_entries(timeline, 0) == []
    assert rules.drill_text(timeline[3], "INC-1") == "[INC-1 at 13:03Z, kwame] text 3"
    assert rules.drill_kind(timeline[2]) == "note" and rules.drill_kind(timeline[5]) == "decision"
