"""Dead letters: queued changes the tracker refused for good (a permanent error). They stay visible until a
person retries them, for instance after fixing the tracker settings or the token's permissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from cockpit.domain import ids
from cockpit.domain.incident import OutboxState
from cockpit.errors import Ambiguous, NotFound
from cockpit.service.incidents import IncidentService
from cockpit.store.models import Incident, OutboxOp

OP_WORDS = {"create_incident": "create the incident", "add_entry": "add an entry", "update_incident": "change fields"}


@dataclass(frozen=True)
class DeadLetter:
    id: str
    incident_ref: str
    what: str
    error: str
    attempts: int
    queued_at: datetime

    @property
    def sentence(self) -> str:
        return f"{self.incident_ref}: {self.what} — {self.error}"


def _what(op: OutboxOp) -> str:
    words = OP_WORDS.get(op.op, op.op)
    if op.op == "add_entry":
        text = str(op.payload.get("text", ""))
        return f"{words} ({op.payload.get('kind', 'note')}: {text[:50]}{'…' if len(text) > 50 else ''})"
    if op.op == "update_incident":
        return f"{words} ({', '.join(sorted(k for k in op.payload if not k.startswith('_')))})"
    return words


def dead_letters(incidents: IncidentService) -> list[DeadLetter]:
    with incidents.store.read() as session:
        rows = session.exec(select(OutboxOp, Incident.ref_key).join(
            Incident, col(OutboxOp.incident_id) == col(Incident.id)).where(
            OutboxOp.state == OutboxState.DEAD).order_by(col(OutboxOp.seq))).all()
        return [DeadLetter(op.id, ids.display_ref(key), _what(op), op.last_error or "refused", op.attempts,
                           op.created_at) for op, key in rows]


def retry_dead(incidents: IncidentService, op_id: str | None) -> int:
    """Queue dead letters again (one by id prefix, or all with None); returns how many."""
    with incidents.store.write() as session:
        query = select(OutboxOp).where(OutboxOp.state == OutboxState.DEAD)
        if op_id is not None:
            prefix = op_id.strip().lower()
            if not prefix:
                raise NotFound("Give the id of a dead letter (`cockpit sync failed` lists them) or --all.")
            query = query.where(col(OutboxOp.id).startswith(prefix, autoescape=True))  # % and _ literal
        rows = session.exec(query).all()
        if op_id is not None and not rows:
            raise NotFound(f"No dead letter {op_id}; `cockpit sync failed` lists them.")
        if op_id is not None and len(rows) > 1:
            raise Ambiguous(f"'{op_id}' matches {len(rows)} dead letters; type more of its id.")
        for row in rows:
            row.state, row.next_attempt_at, row.last_error = OutboxState.PENDING, None, None
            session.add(row)
        return len(rows)
