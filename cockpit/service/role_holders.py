"""Who holds which role now: the one place that asks the store (an assignment without an end is current)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from cockpit.domain.roles import Role
from cockpit.store.models import RoleAssignment


def current_assignments(session: Session, incident_id: str, role: Role | None = None) -> list[RoleAssignment]:
    """The incident's current assignments (of one role, or all), oldest first."""
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
    rows = session.exec(select(RoleAssignment.incident_id, RoleAssignment.holder).where(
        col(RoleAssignment.incident_id).in_(incident_ids), RoleAssignment.role == Role.IC.value,
        col(RoleAssignment.until).is_(None))).all()
    return {incident_id: holder for incident_id, holder in rows}
