"""Postmortem discipline from the seed "Operating Production Services": when a postmortem is required, which
ones are missing, orphan action items, and the 60-minute postmortem meeting.

"When to write postmortems": SEV1/SEV2 incidents; customer-facing outages over 15 minutes; data loss or security
incidents; near-misses that could have been severe; novel failure modes. The cockpit reads:

* customer-facing: the impact is not cosmetic (core down, degraded or a non-core feature down);
* the outage's length: from the start of impact (or the declaration) to resolution, or to now while open;
* near-miss / novel failure mode: a person wrote ``#near-miss`` or ``#novel`` in an entry of the incident.

A required postmortem is *written* once the incident is in REVIEW ("Resolved, postmortem in review"); it is
*missing* when the incident is resolved and has not reached REVIEW.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cockpit.domain.incident import PERSON_KINDS, Entry, IncidentSnapshot
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Severity

CUSTOMER_FACING_OVER = timedelta(minutes=15)
FLAGS = {"near-miss": "near-miss that could have been severe", "novel": "novel failure mode"}
_TAG = re.compile(r"(?<![\w-])#(near-miss|novel)(?![\w-])", re.IGNORECASE)


def flags_in(entries: Iterable[Entry]) -> set[str]:
    """The discipline tags people wrote in an incident's entries."""
    found: set[str] = set()
    for entry in entries:
        if entry.kind in PERSON_KINDS:
            found |= {m.lower() for m in _TAG.findall(entry.text)}
    return found


def outage_length(snapshot: IncidentSnapshot, now: datetime) -> timedelta:
    start = snapshot.started_at or snapshot.declared_at
    end = snapshot.resolved_at or now
    return max(timedelta(0), end - start)


def postmortem_reasons(snapshot: IncidentSnapshot, now: datetime, flags: Iterable[str] = ()) -> list[str]:
    """Why a postmortem is required (empty: not required)."""
    reasons: list[str] = []
    if snapshot.severity in (Severity.SEV1, Severity.SEV2):
        reasons.append(f"{snapshot.severity.label} incident")
    length = outage_length(snapshot, now)
    if snapshot.impact is not Impact.COSMETIC and length > CUSTOMER_FACING_OVER:
        reasons.append(f"customer-facing outage over 15 minutes ({int(length.total_seconds() // 60)} min)")
    if snapshot.triggers.data_loss or snapshot.triggers.security_pii:
        reasons.append("data loss or security incident")
    reasons += [FLAGS[f] for f in sorted(set(flags)) if f in FLAGS]
    return reasons


@dataclass(frozen=True)
class PostmortemDue:
    ref: str
    title: str
    reasons: tuple[str, ...]
    state: str  # written | missing | due after resolution
    services: tuple[str, ...] = ()


def postmortem_state(snapshot: IncidentSnapshot, reasons: Sequence[str]) -> str | None:
    if not reasons:
        return None
    if snapshot.phase is Phase.REVIEW:
        return "written"
    if snapshot.phase is Phase.RESOLVE:
        return "missing"
    return "due after resolution"


def orphan_gaps(owner: str, deadline: date | None, ticket: str) -> list[str]:
    """The seed's anti-pattern "orphan action items": every item needs owner + date + ticket."""
    gaps = []
    if not owner.strip():
        gaps.append("owner")
    if deadline is None:
        gaps.append("date")
    if not ticket.strip():
        gaps.append("ticket")
    return gaps


def orphan_text(gaps: Sequence[str]) -> str:
    return f"ORPHAN: no {', no '.join(gaps)}" if gaps else ""


#: The seed's "Postmortem Meeting Guide" structure (60 min): (part, minutes, what happens).
MEETING: tuple[tuple[str, int, str], ...] = (
    ("Opening", 5, "Remind: \"We're here to learn, not blame\""),
    ("Timeline", 15, "Walk through events chronologically"),
    ("Analysis", 20, "What failed? Why? What allowed it?"),
    ("Action Items", 15, "Prioritize, assign owners, set dates"),
    ("Closing", 5, "Summarize learnings, confirm owners"),
)
FACILITATION = ("Redirect blame to systems: \"What made this mistake possible?\"", "Time-box tangents",
                "Document dissenting views", "Encourage quiet participants")


@dataclass(frozen=True)
class MeetingClock:
    """Where a meeting is, given the seconds spent in each part (the screen keeps time; this does the sums)."""

    part: int
    spent: float  # seconds in the current part

    @property
    def budget(self) -> float:
        return MEETING[self.part][1] * 60.0

    @property
    def left(self) -> float:
        return self.budget - self.spent

    @property
    def over(self) -> bool:
        return self.spent > self.budget

    def text(self) -> str:
        left = abs(self.left)
        minutes, seconds = divmod(int(left), 60)
        sign = "over by " if self.over else ""
        return f"{sign}{minutes:02d}:{seconds:02d}{'' if self.over else ' left'}"
