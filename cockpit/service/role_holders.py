"""Who holds which role now: the one place that asks the store (an assignment without an end is current).

Writers ask through their ORM session; the read path (``*_plain``) through a plain sqlite3 connection, so
reading never imports the ORM."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from cockpit.domain.roles import Role, RoleHolding
from cockpit.store.schema import ROLE_ASSIGNMENT

if TYPE_CHECKING:
    from sqlmodel import Session

    from cockpit.store.models import RoleAssignment

_HOLDING = ("role", "holder", "since", "until")


def current_assignments(session: Session, incident_id: str, role: Role | None = None) -> list[RoleAssignment]:
    """The incident's current assignments (of one role, or all), oldest first."""
    from sqlmodel import col, select

    from cockpit.store.models import RoleAssignment

    query = select(RoleAssignment).where(RoleAssignment.incident_id == incident_id,
                                         col(RoleAssignment.until).is_(None))
    if role is not None:
        query = query.where(RoleAssignment.role == role.value)
    return list(session.exec(query.order_by(col(RoleAssignment.since))).all())


def holders_by_role(session: Session, incident_id: str, every_role: bool = False) -> dict[str, list[str]]:
    """Role name → current holders, oldest first; ``every_role`` lists empty roles too."""
    holders: dict[str, list[str]] = {role.value: [] for role in Role} if every_role else {}
    for assignment in current_assignments(session, incident_id):
        holders.setdefault(assignment.role, []).append(assignment.holder)
    return holders


def commanders(session: Session, incident_ids: list[str]) -> dict[str, str]:
    """Incident id → its current Incident Commander, for these incidents."""
    if not incident_ids:
        return {}
    from sqlmodel import col, select

    from cockpit.store.models import RoleAssignment

    rows = session.exec(select(RoleAssignment.incident_id, RoleAssignment.holder).where(
        col(RoleAssignment.incident_id).in_(incident_ids), RoleAssignment.role == Role.IC.value,
        col(RoleAssignment.until).is_(None))).all()
    return {incident_id: holder for incident_id, holder in rows}


def holdings_plain(conn: sqlite3.Connection, incident_id: str, current_only: bool = True) -> list[RoleHolding]:
    """The incident's role holdings, oldest first: the current ones, or (``current_only=False``) every one."""
    query = f"{ROLE_ASSIGNMENT.select(_HOLDING)} WHERE incident_id = ?"
    if current_only:
        query += " AND until IS NULL"
    rows = conn.execute(query + " ORDER BY since", (incident_id,))
    return [_holding(ROLE_ASSIGNMENT.decode(row, _HOLDING)) for row in rows]


def _holding(values: dict[str, Any]) -> RoleHolding:
    return RoleHolding(role=Role(values["role"]), holder=values["holder"], since=values["since"],
                       until=values["until"])


def commanders_plain(conn: sqlite3.Connection, incident_ids: list[str]) -> dict[str, str]:
    """Incident id → its current Incident Commander, for these incidents."""
    found: dict[str, str] = {}
    for start in range(0, len(incident_ids), 500):  # SQLite limits the parameters of one statement
        chunk = incident_ids[start:start + 500]
        rows = conn.execute(
            f"{ROLE_ASSIGNMENT.select(('incident_id', 'holder'))} WHERE incident_id IN "
            f"({', '.join('?' * len(chunk))}) AND role = ? AND until IS NULL", (*chunk, Role.IC.value))
        found.update({incident_id: holder for incident_id, holder in rows})
    return found
