"""On-call handoffs in the seed's "On-Call Handoff Template" shape, drafted from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cockpit.errors import RuleViolation

SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # key, title, fields of each item
    ("open_issues", "Open Issues", ("issue", "status", "next_steps")),
    ("recent_changes", "Recent Changes (last 7 days)", ("change", "risk", "rollback")),
    ("known_risks", "Known Risks", ("event", "watch_for")),
    ("maintenance", "Scheduled Maintenance", ("when", "what", "duration", "rollback")),
    ("runbook_updates", "Runbook Updates", ("runbook", "note")),
)
DEFAULT_ACK_WINDOW = timedelta(minutes=60)


class HandoffState(StrEnum):
    DRAFT = "draft"  # being written
    SIGNED = "signed"  # signed off by its author, waiting for the incoming engineer
    ACKNOWLEDGED = "acknowledged"  # read and acknowledged: final


@dataclass
class Handoff:
    id: str
    number: int
    author: str
    created_at: datetime
    updated_at: datetime
    sections: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    signed_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    recipient: str | None = None  # who it is for (the incoming engineer)

    @property
    def key(self) -> str:
        return f"H-{self.number:03d}"

    @property
    def state(self) -> HandoffState:
        if self.acknowledged_at:
            return HandoffState.ACKNOWLEDGED
        return HandoffState.SIGNED if self.signed_at else HandoffState.DRAFT

    def overdue_ack(self, now: datetime, window: timedelta = DEFAULT_ACK_WINDOW) -> bool:
        """Signed off but not acknowledged within the window: flag it."""
        return self.signed_at is not None and self.acknowledged_at is None and now - self.signed_at > window


def same_person(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def check_acknowledge(handoff: Handoff, who: str) -> None:
    """The incoming engineer acknowledges a signed handoff: someone other than its author, and the person it is
    for when it names one. Raises ``RuleViolation`` with what to do instead."""
    if handoff.acknowledged_at is not None:
        raise RuleViolation(f"{handoff.key} was already acknowledged by {handoff.acknowledged_by}.")
    if handoff.signed_at is None:
        raise RuleViolation(f"{handoff.key} is not signed off yet; the outgoing engineer signs first (ctrl+g, or "
                            f"`cockpit handoff sign {handoff.key}`).")
    if same_person(handoff.author, who):
        whom = f"{handoff.recipient} acknowledges it" if handoff.recipient else "the incoming engineer acknowledges it"
        raise RuleViolation(f"{handoff.author} wrote {handoff.key}; {whom}, not its author.")
    if handoff.recipient and not same_person(handoff.recipient, who):
        raise RuleViolation(f"{handoff.key} is for {handoff.recipient}: {handoff.recipient} acknowledges it (the "
                            "author can change who it is for while it is open).")


def carried_over(previous: Handoff | None) -> dict[str, list[dict[str, str]]]:
    """What the next handoff starts with from the previous one: its known risks, until someone removes them."""
    sections = empty_sections()
    if previous is not None:
        sections["known_risks"] = [dict(item) for item in previous.sections.get("known_risks", [])]
    return sections


def empty_sections() -> dict[str, list[dict[str, str]]]:
    return {key: [] for key, _, _ in SECTIONS}


def clean_sections(data: Any) -> dict[str, list[dict[str, str]]]:
    """Keep only known sections and fields, as text (what an editor or a file may hand back)."""
    out = empty_sections()
    if not isinstance(data, dict):
        return out
    for key, _, fields in SECTIONS:
        for item in data.get(key, []) or []:
            if isinstance(item, dict):
                out[key].append({f: str(item.get(f, "") or "") for f in fields})
    return out


def to_markdown(handoff: Handoff) -> str:
    """Markdown that reads well pasted into a ticket or chat."""
    lines = [f"## On-Call Handoff: {handoff.created_at:%Y-%m-%d} ({handoff.key})", "",
             f"From **{handoff.author}**" + (f" to **{handoff.recipient}**" if handoff.recipient else "")
             + (f", signed off {handoff.signed_at:%Y-%m-%d %H:%M}Z" if handoff.signed_at
                                              else " (draft, not signed off)")
             + (f"; acknowledged by **{handoff.acknowledged_by}** {handoff.acknowledged_at:%Y-%m-%d %H:%M}Z"
                if handoff.acknowledged_at else ""), ""]
    for key, title, fields in SECTIONS:
        lines.append(f"### {title}")
        items = handoff.sections.get(key, [])
        if not items:
            lines.append("- None")
        for item in items:
            head = item.get(fields[0], "").replace("\n", " ")
            rest = [item.get(f, "").replace("\n", " ") for f in fields[1:] if item.get(f)]
            lines.append(f"- {head}: {', '.join(rest)}" if rest else f"- {head}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
