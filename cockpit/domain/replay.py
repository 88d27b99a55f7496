"""Replays and drills of past incidents: when each entry appears, and which entries open a drill.

A replay plays a finished incident's timeline again at ``speed`` times the original pace: an entry written ``t`` after
the first one appears ``t / speed`` after the replay starts, and the replay's clock (what its screen shows as "now")
runs from the first entry's time at the same speed, so elapsed times and countdowns on screen match the pace.

A drill (a tabletop exercise) starts a new exercise incident from a past incident's opening: the first entries people
wrote (and the alerts), the clues the responders had, with the clock running from now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cockpit.domain.incident import PERSON_KINDS, Entry, EntryKind

MIN_SPEED = 0.1
MAX_SPEED = 10_000.0
#: What a drill carries over from the past incident: what people wrote and what alerted them.
OPENING_KINDS = frozenset({*PERSON_KINDS, EntryKind.ALERT.value})
DEFAULT_OPENING = 6


def check_speed(speed: float) -> str | None:
    """Why a replay speed cannot be used (None when it can)."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        return f"A replay speed is from {MIN_SPEED:g} to {MAX_SPEED:g} times the original pace, not {speed:g}."
    return None


def replay_offsets(times: Sequence[datetime], speed: float, max_wait: float | None = None) -> list[float]:
    """Seconds after the replay starts at which each entry appears (``times`` in timeline order): the gap since
    the entry above divided by ``speed``, and at most ``max_wait`` seconds (a quiet night skipped). An entry stamped
    before the one above it, as a late arrival may be, appears right after it, never before."""
    offsets: list[float] = []
    for index, at in enumerate(times):
        if index == 0:
            offsets.append(0.0)
            continue
        gap = max((at - times[index - 1]).total_seconds(), 0.0) / speed
        offsets.append(offsets[-1] + (gap if max_wait is None else min(gap, max_wait)))
    return offsets


def replay_now(times: Sequence[datetime], offsets: Sequence[float], elapsed: float, speed: float) -> datetime:
    """The replay's clock after ``elapsed`` wall seconds: the time of the last entry shown, moved on ``speed`` times
    as fast as the wall clock, never past the next entry's time (a skipped stretch is jumped, not run through)."""
    index = 0
    while index + 1 < len(offsets) and offsets[index + 1] <= elapsed:
        index += 1
    now = times[index] + timedelta(seconds=(elapsed - offsets[index]) * speed)
    if index + 1 < len(times):
        now = min(now, max(times[index + 1], times[index]))
    return now


def opening_entries(timeline: Sequence[Entry], count: int = DEFAULT_OPENING) -> list[Entry]:
    """The first ``count`` entries people wrote (or alerts) after the declaration: a drill's starting clues."""
    return [e for e in timeline if e.kind in OPENING_KINDS][:max(count, 0)]


def drill_text(entry: Entry, ref: str) -> str:
    """A past entry as it opens the drill: what was written, with where and when it came from."""
    return f"[{ref} at {entry.at:%H:%M}Z, {entry.author}] {entry.text}"


def drill_kind(entry: Entry) -> str:
    """The kind the drill writes it as: a person's kind stays; an alert becomes a note (the drill has no alert)."""
    return entry.kind if entry.kind in PERSON_KINDS else EntryKind.NOTE.value
