"""Rotation handoffs: drafted from the store, edited (saved as you type), signed off, acknowledged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cockpit.domain.handoff import Handoff, carried_over, check_acknowledge, clean_sections
from cockpit.domain.ids import display_ref
from cockpit.domain.runbook import Runbook
from cockpit.errors import InvalidInput, NotFound, RuleViolation
from cockpit.service.aftercare import Aftercare
from cockpit.service.incidents import IncidentService
from cockpit.store.schema import HANDOFF
from cockpit.textsafe import is_number_text

if TYPE_CHECKING:  # the ORM is imported by the use cases that write: showing and listing read with plain sqlite3
    from cockpit.store.models import HandoffRow


def _handoff(row: Mapping[str, Any]) -> Handoff:
    return Handoff(row["id"], row["number"], row["author"], row["created_at"], row["updated_at"],
                   clean_sections(row["sections"]), row["signed_at"], row["acknowledged_by"], row["acknowledged_at"],
                   row["recipient"])


def _orm_handoff(row: HandoffRow) -> Handoff:
    return _handoff(HANDOFF.values(row))


def _clean_recipient(name: str) -> str:
    text = " ".join(name.split())
    if len(text) > 100 or any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in text):
        raise InvalidInput("Who the handoff is for must be a name of at most 100 characters without control "
                           "characters.")
    return text


def _next_on_call(session: Any, now: datetime, author: str) -> str | None:
    """The primary of the next shift on the rotation who is not the author (None without a rotation)."""
    from sqlmodel import col, select

    from cockpit.store.models import Shift

    shifts = session.exec(select(Shift).where(Shift.position == "primary", col(Shift.starts_at) > now)
                          .order_by(col(Shift.starts_at))).all()
    return next((s.responder for s in shifts if s.responder.casefold() != author.casefold()), None)


def _not_found(key: str) -> NotFound:
    return NotFound(f"No handoff {key}; `cockpit handoff list` shows them.")


def _number(key: str) -> int:
    text = key.strip().upper().removeprefix("H-")
    if not is_number_text(text):
        raise InvalidInput(f"'{key}' is not a handoff id: they look like H-001 (or just 1).")
    if len(text.lstrip("0")) > 9:  # beyond what SQLite's integers hold, and beyond any real count of handoffs
        raise InvalidInput(f"'{key[:24]}…' is not a handoff id: the number is far too large; "
                           "`cockpit handoff list` shows them.")
    return int(text)


class Handoffs:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents

    def draft(self, runbooks: Sequence[Runbook] = (), recipient: str | None = None) -> Handoff:
        """A new handoff prefilled from the store: open incidents (most severe first), open action items, the last
        7 days' changes and deploys, runbooks updated since the previous handoff, and the previous handoff's
        known risks. It is for ``recipient``, else the next primary on the rotation after the author."""
        from sqlalchemy import func
        from sqlmodel import col, select

        from cockpit.store.models import HandoffRow, Incident, TimelineEntry

        svc = self.incidents
        now = svc.clock()
        with svc.store.read() as session:
            previous_row = session.exec(select(HandoffRow).order_by(col(HandoffRow.number).desc())).first()
        sections: dict[str, list[dict[str, str]]] = carried_over(_orm_handoff(previous_row) if previous_row else
                                                                 None)
        for summary in sorted(svc.list_incidents(), key=lambda s: s.severity):  # stable: activity order kept
            detail = svc.get(summary.id)
            statuses = [e.text for e in detail.timeline if e.kind == "status"]
            sections["open_issues"].append({
                "issue": f"{summary.ref} {summary.severity.label} {summary.phase.value}: {summary.title}",
                "status": f"IC {summary.commander or 'unassigned'}; last status: {statuses[-1] if statuses else '—'}",
                "next_steps": "",
            })
        for item in Aftercare(svc).actions():
            sections["open_issues"].append({
                "issue": f"{item.key} ({item.priority}, {item.type}): {item.description}",
                "status": f"{item.status}; owner {item.owner or '—'}"
                          + (f"; due {item.deadline.isoformat()}" if item.deadline else ""),
                "next_steps": "",
            })
        with svc.store.read() as session:
            week_ago = now - timedelta(days=7)
            rows = session.exec(select(TimelineEntry, Incident.ref_key).join(
                Incident, col(TimelineEntry.incident_id) == col(Incident.id)).where(
                col(TimelineEntry.kind).in_(["change", "deploy"]), col(TimelineEntry.at) >= week_ago)
                .order_by(col(TimelineEntry.at))).all()
            previous = session.exec(select(HandoffRow).order_by(col(HandoffRow.number).desc())).first()
        for entry, key in rows:
            sections["recent_changes"].append({"change": f"{entry.at:%Y-%m-%d %H:%M}Z {display_ref(key)} "
                                                         f"{entry.kind}: {entry.text}", "risk": "", "rollback": ""})
        from cockpit.service.signals import Signals

        sections["known_risks"].extend(Signals(svc).known_risks(now))  # services in critical or exhausted state
        since = previous.created_at.date().isoformat() if previous else ""
        for book in runbooks:
            if not since or book.last_updated >= since:
                sections["runbook_updates"].append({"runbook": f"{book.id} ({book.title})",
                                                    "note": f"updated {book.last_updated}"})
        with svc.store.write() as session:
            number = int(session.exec(select(func.max(HandoffRow.number))).one() or 0) + 1
            for_whom = _clean_recipient(recipient) if recipient else _next_on_call(session, now, svc.author)
            row = HandoffRow(id=svc.new_id(now), number=number, author=svc.author, created_at=now, updated_at=now,
                             sections=sections, recipient=for_whom)
            session.add(row)
            return _orm_handoff(row)

    def _row(self, session: Any, key: str) -> HandoffRow:
        from sqlmodel import select

        from cockpit.store.models import HandoffRow

        row: HandoffRow | None = session.exec(select(HandoffRow).where(HandoffRow.number == _number(key))).first()
        if row is None:
            raise _not_found(key)
        return row

    def _read(self, tail: str, params: Sequence[Any] = ()) -> list[Handoff]:
        with self.incidents.store.plain() as conn:
            return [_handoff(row) for row in HANDOFF.rows(conn, tail, params)]

    def get(self, key: str) -> Handoff:
        found = self._read("WHERE number = ?", (_number(key),))
        if not found:
            raise _not_found(key)
        return found[0]

    def list(self) -> list[Handoff]:
        return self._read("ORDER BY number DESC")

    def newest_open(self) -> Handoff | None:
        """The newest handoff not yet acknowledged (a draft, or signed and waiting for the incoming engineer)."""
        return next(iter(self._read("WHERE acknowledged_at IS NULL ORDER BY number DESC LIMIT 1")), None)

    def save(self, key: str, sections: dict[str, Any], recipient: str | None = None) -> Handoff:
        """Save the edited sections and, when given, who it is for (the editor calls this as you type)."""
        svc = self.incidents
        with svc.store.write() as session:
            row = self._row(session, key)
            if row.acknowledged_at is not None:
                raise RuleViolation(f"H-{row.number:03d} was acknowledged; it can no longer change.")
            row.sections = clean_sections(sections)
            if recipient is not None:
                row.recipient = _clean_recipient(recipient) if recipient.strip() else None
            row.updated_at = svc.clock()
            session.add(row)
            return _orm_handoff(row)

    def sign(self, key: str) -> Handoff:
        svc = self.incidents
        with svc.store.write() as session:
            row = self._row(session, key)
            if row.signed_at is not None:
                raise RuleViolation(f"H-{row.number:03d} is already signed off.")
            row.signed_at = svc.clock()
            session.add(row)
            return _orm_handoff(row)

    def acknowledge(self, key: str) -> Handoff:
        svc = self.incidents
        with svc.store.write() as session:
            row = self._row(session, key)
            check_acknowledge(_orm_handoff(row), svc.author)
            row.acknowledged_by = svc.author
            row.acknowledged_at = svc.clock()
            session.add(row)
            return _orm_handoff(row)
