"""Watching the people in the roles: how long each has held a role (the Incident Commander's fatigue) and the
per-role check-ins ("Ops Lead, back to you in 5 minutes").

Everything here is read back from timeline entries, because entries are what every cockpit shares (the tracker
carries kind, author, time and text, not the local data): a cockpit that restarts, or another cockpit that synced,
derives the same "already suggested" and "already overdue" from the same entries.

Fatigue: PagerDuty's incident commander guidance is to hand over about every hour and never to stay more than three
hours. After ``suggest_after`` (the ``ic_handover_minutes`` setting, 60 by default) the role board suggests a
handover; at three hours it says so more strongly. Each level is recorded once per holding, as a ``fatigue`` entry.

Check-ins: a ``checkin`` entry sets a countdown on a role ("back to you in N minutes") or clears it (0 minutes: the
person checked in); when the countdown passes, one ``checkin`` entry records that it is overdue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from cockpit.domain.incident import Entry, EntryKind
from cockpit.domain.roles import ROLE_TITLES, Role, RoleHolding

#: Hand over about every hour (the default of the ``ic_handover_minutes`` setting) ...
SUGGEST_AFTER = timedelta(minutes=60)
#: ... and no more than three hours in the role.
HARD_LIMIT = timedelta(hours=3)
#: A check-in further away than this is not a check-in but a shift.
MAX_CHECKIN_MINUTES = 24 * 60
MAX_CHECKIN_NOTE = 300

FATIGUE_KIND = EntryKind.FATIGUE.value
CHECKIN_KIND = EntryKind.CHECKIN.value

_TITLES = "|".join(re.escape(title) for title in ROLE_TITLES.values())
_FATIGUE = re.compile(rf"^Handover (?P<level>suggested|overdue): (?P<holder>.+) has been (?P<role>{_TITLES}) for ")
_CHECKIN_SET = re.compile(rf"^Check-in set: (?P<role>{_TITLES}), back to you in (?P<minutes>\d{{1,4}}) minutes?")
_CHECKIN_DONE = re.compile(rf"^Check-in done: (?P<role>{_TITLES})")
_CHECKIN_OVERDUE = re.compile(rf"^Check-in overdue: (?P<role>{_TITLES}) was due back at ")
_BY_TITLE = {title: role for role, title in ROLE_TITLES.items()}


class Fatigue(Enum):
    """How tired the rules think a holder is: nothing yet, time to hand over, past the three-hour limit."""

    FRESH = "fresh"
    SUGGEST = "suggested"
    LIMIT = "overdue"


def held_for(holding: RoleHolding, now: datetime) -> timedelta:
    return max((holding.until or now) - holding.since, timedelta(0))


def fatigue_level(held: timedelta, suggest_after: timedelta = SUGGEST_AFTER) -> Fatigue:
    if held >= HARD_LIMIT:
        return Fatigue.LIMIT
    if held >= min(suggest_after, HARD_LIMIT):
        return Fatigue.SUGGEST
    return Fatigue.FRESH


def format_held(held: timedelta) -> str:
    """``45m``, ``1h05``: short enough for the role board's line."""
    minutes = int(held.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}m"


def fatigue_text(level: Fatigue, holder: str, role: Role, held: timedelta) -> str:
    """The advice shown on the role board and recorded once in the timeline."""
    head = f"Handover {level.value}: {holder} has been {role.title} for {format_held(held)}"
    if level is Fatigue.LIMIT:
        return f"{head}, past the three-hour limit: hand over now (h)."
    return f"{head}: hand over about every hour, no more than three (h)."


@dataclass(frozen=True)
class FatigueAdvice:
    role: Role
    holder: str
    held: timedelta
    level: Fatigue
    recorded: bool  # a timeline entry already says so (for this holding, at this level)

    @property
    def text(self) -> str:
        return fatigue_text(self.level, self.holder, self.role, self.held)

    @property
    def short_text(self) -> str:
        """The role board's line (narrow; the holder's name is on the role's line above it)."""
        if self.level is Fatigue.LIMIT:
            return "IC past 3h: hand over now (h)"
        return f"IC {format_held(self.held)}: time to hand over (h)"


def _recorded_fatigue(entries: Iterable[Entry]) -> list[tuple[datetime, Fatigue, str, Role]]:
    found = []
    for entry in entries:
        if entry.kind != FATIGUE_KIND:
            continue
        match = _FATIGUE.match(entry.text)
        if match:
            found.append((entry.at, Fatigue(match["level"]), match["holder"], _BY_TITLE[match["role"]]))
    return found


def fatigue_advice(holdings: Iterable[RoleHolding], entries: Sequence[Entry], now: datetime,
                   suggest_after: timedelta = SUGGEST_AFTER, open_incident: bool = True) -> list[FatigueAdvice]:
    """The Incident Commander's handover advice (none on a closed incident, none while fresh). ``recorded``: a
    ``fatigue`` entry written since this holding began already says it at this level."""
    if not open_incident:
        return []
    recorded = _recorded_fatigue(entries)
    advice = []
    for holding in holdings:
        if holding.role is not Role.IC or not holding.current:
            continue
        held = held_for(holding, now)
        level = fatigue_level(held, suggest_after)
        if level is Fatigue.FRESH:
            continue
        done = any(at >= holding.since and lvl is level and who.casefold() == holding.holder.casefold()
                   and role is holding.role for at, lvl, who, role in recorded)
        advice.append(FatigueAdvice(holding.role, holding.holder, held, level, done))
    return advice


# --- check-ins -------------------------------------------------------------------------------------------
def checkin_set_text(role: Role, minutes: int, note: str) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Check-in set: {role.title}, back to you in {minutes} {unit}: {note}"


def checkin_done_text(role: Role, note: str) -> str:
    return f"Check-in done: {role.title}: {note}"


def checkin_overdue_text(role: Role, due_at: datetime, set_at: datetime) -> str:
    return (f"Check-in overdue: {role.title} was due back at {due_at.astimezone(UTC):%H:%M:%S}Z "
            f"(set at {set_at.astimezone(UTC):%H:%M:%S}Z)")


@dataclass(frozen=True)
class RoleCheckIn:
    """The running check-in of one role: set by ``set_by`` at ``set_at``, due at ``due_at``."""

    role: Role
    note: str
    set_at: datetime
    due_at: datetime
    set_by: str
    overdue_recorded: bool  # the entry saying it is overdue is already in the timeline

    def remaining(self, now: datetime) -> timedelta:
        return self.due_at - now

    def overdue(self, now: datetime) -> bool:
        return now >= self.due_at


def role_checkins(entries: Iterable[Entry]) -> dict[Role, RoleCheckIn]:
    """Per role, the check-in set last and not cleared since (entries in timeline order)."""
    running: dict[Role, RoleCheckIn] = {}
    for entry in entries:
        if entry.kind != CHECKIN_KIND:
            continue
        if match := _CHECKIN_SET.match(entry.text):
            role = _BY_TITLE[match["role"]]
            note = entry.text[match.end():].removeprefix(": ")
            running[role] = RoleCheckIn(role, note, entry.at, entry.at + timedelta(minutes=int(match["minutes"])),
                                        entry.author, False)
        elif match := _CHECKIN_DONE.match(entry.text):
            running.pop(_BY_TITLE[match["role"]], None)
        elif match := _CHECKIN_OVERDUE.match(entry.text):
            role = _BY_TITLE[match["role"]]
            current = running.get(role)
            if current is not None and entry.at >= current.set_at:
                running[role] = RoleCheckIn(current.role, current.note, current.set_at, current.due_at,
                                            current.set_by, True)
    return running


def overdue_to_record(checkins: dict[Role, RoleCheckIn], now: datetime, responder: str) -> list[RoleCheckIn]:
    """The check-ins whose overdue entry this cockpit should write now: past due, not yet recorded, and set by
    this cockpit's responder (so two synced cockpits never both write it)."""
    return [c for c in checkins.values()
            if c.overdue(now) and not c.overdue_recorded and c.set_by.casefold() == responder.casefold()]


def check_checkin(minutes: int, note: str) -> str | None:
    """Why a check-in cannot be set (None when it can)."""
    if minutes < 0 or minutes > MAX_CHECKIN_MINUTES:
        return f"Give the check-in in minutes from 0 (checked in) to {MAX_CHECKIN_MINUTES}, not {minutes}."
    if not note.strip():
        return "Say what the check-in is about (a few words)."
    if len(note) > MAX_CHECKIN_NOTE:
        return f"The check-in note is longer than {MAX_CHECKIN_NOTE} characters; keep it to a line."
    return None
