"""Bringing the tracker's record in: imported incidents, remote timeline entries (a union by id), and
single-value fields (last writer wins, checked against the last agreed value, with a conflict log).

Nothing here enqueues outbox rows: what came from the tracker does not go back to it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from cockpit.domain import ids
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Severity
from cockpit.service.incidents import IncidentService
from cockpit.store.models import Conflict, Incident, RemoteLink, RoleAssignment, SyncState, TimelineEntry

SYNCED_FIELDS = ("severity", "phase", "roles")
CONFLICT_TEXT = re.compile(r"Conflict on (?P<field>\w+): (?P<me>.+?) set (?P<mine>\S+)(?: at [\d:]+)?, "
                           r"(?P<them>.+?) set (?P<theirs>\S+) at [\d:]+ — kept (?P<kept>\S+)$")


@dataclass(frozen=True)
class RemoteEntry:
    id: str  # the cockpit UUID it carries, or a deterministic uuid5 of tracker + remote id
    remote_id: str
    at: datetime
    author: str
    kind: str
    text: str


@dataclass(frozen=True)
class RemoteIncident:
    remote_id: str
    cockpit_uuid: str
    ref: str
    title: str
    fields: dict[str, str]  # severity ("SEV2"), phase ("RESPOND"), impact, scope
    changed_at: datetime
    changed_by: str
    entries: Sequence[RemoteEntry]


def roles_text(roles: dict[str, list[str]]) -> str:
    """The one-line form of a role board that travels in the tracker's ``roles`` field."""
    return "; ".join(f"{role}: {', '.join(sorted(names))}" for role, names in sorted(roles.items()) if names)


def parse_roles(text: str) -> dict[str, list[str]]:
    """The role board from its one-line form; roles the cockpit does not know (typed in the tracker) are left out."""
    from cockpit.domain.roles import Role

    known = {role.value for role in Role}
    roles: dict[str, list[str]] = {}
    for part in text.split(";"):
        role, _, names = part.partition(":")
        if role.strip() in known and names.strip():
            roles[role.strip()] = [n.strip() for n in names.split(",") if n.strip()]
    return roles


def _current_roles(session: Session, incident_id: str) -> dict[str, list[str]]:
    roles: dict[str, list[str]] = {}
    for assignment in session.exec(select(RoleAssignment).where(
            RoleAssignment.incident_id == incident_id, col(RoleAssignment.until).is_(None))).all():
        roles.setdefault(assignment.role, []).append(assignment.holder)
    return roles


def remote_entry_id(tracker: str, remote_id: str) -> str:
    """A deterministic id for a comment written in the tracker itself: re-pulls change nothing."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cockpit:{tracker}:{remote_id}"))


@dataclass(frozen=True)
class ConflictView:
    id: str
    incident_ref: str
    field: str
    local_value: str
    remote_value: str
    kept: str
    local_at: datetime | None
    remote_at: datetime | None
    remote_author: str
    restored: bool

    @property
    def sentence(self) -> str:
        mine = f"you set {self.local_value}" + (f" at {self.local_at:%H:%M}" if self.local_at else "")
        theirs = f"{self.remote_author or 'the tracker'} set {self.remote_value}" + (
            f" at {self.remote_at:%H:%M}" if self.remote_at else "")
        kept = self.remote_value if self.kept == "remote" else self.local_value
        return f"{self.incident_ref} {self.field}: {mine}, {theirs} — kept {kept}"


class Merger:
    def __init__(self, incidents: IncidentService, tracker: str) -> None:
        self.incidents = incidents
        self.tracker = tracker

    def link(self, session: Session, kind: str, local_id: str) -> str | None:
        row = session.get(RemoteLink, (self.tracker, local_id))
        return row.remote_id if row is not None and row.kind == kind else None

    def set_link(self, session: Session, kind: str, local_id: str, remote_id: str) -> None:
        session.merge(RemoteLink(tracker=self.tracker, local_id=local_id, kind=kind, remote_id=remote_id))

    def state(self, session: Session) -> SyncState:
        row = session.get(SyncState, self.tracker)
        if row is None:
            row = SyncState(tracker=self.tracker, remote_state={})
            session.add(row)
        return row

    def merge(self, remote: RemoteIncident) -> int:
        """Merge one remote incident; returns how many new timeline entries arrived."""
        svc = self.incidents
        now = svc.clock()
        added = 0
        with svc.store.write() as session:
            incident = session.get(Incident, remote.cockpit_uuid)
            if incident is None:
                incident = self._import(session, remote, now)
            self.set_link(session, "incident", incident.id, remote.remote_id)
            last = int(session.exec(select(func.max(TimelineEntry.hlc))).one() or 0)
            known = set(session.exec(select(TimelineEntry.id).where(
                TimelineEntry.incident_id == incident.id)).all())
            for entry in sorted(remote.entries, key=lambda e: e.at):
                if entry.id in known:
                    self.set_link(session, "entry", entry.id, entry.remote_id)
                    continue
                last = ids.hlc_receive(last, int(entry.at.timestamp() * 1000) << ids.HLC_SHIFT,
                                       int(now.timestamp() * 1000))
                session.add(TimelineEntry(id=entry.id, incident_id=incident.id, hlc=last, at=entry.at,
                                          kind=entry.kind, author=entry.author, text=entry.text,
                                          data={"remote_id": entry.remote_id}, origin=self.tracker))
                if entry.kind == "conflict":
                    self._log_reported_conflict(session, incident.id, entry, now)
                self.set_link(session, "entry", entry.id, entry.remote_id)
                known.add(entry.id)
                added += 1
            self._fields(session, incident, remote, now)
            if added:
                incident.updated_at = now
                session.add(incident)
        return added

    def _import(self, session: Session, remote: RemoteIncident, now: datetime) -> Incident:
        key = (ids.normalize_ref_query(remote.ref) if remote.ref
               else ids.ref_key_from_uuid(uuid.UUID(remote.cockpit_uuid)))
        severity = remote.fields.get("severity") or "SEV3"
        incident = Incident(
            id=remote.cockpit_uuid, ref_key=key, title=remote.title or "(untitled)", services=[],
            impact=remote.fields.get("impact") or "degraded", scope=remote.fields.get("scope") or "lt25",
            triggers={}, severity=int(Severity.parse(severity)), severity_reason=f"{severity} (from {self.tracker})",
            severity_overridden=True, phase=Phase.parse(remote.fields.get("phase") or "detect").value,
            declared_by=remote.changed_by or self.tracker, declared_at=min((e.at for e in remote.entries), default=now),
            updated_at=now,
        )
        session.add(incident)
        session.flush()
        self._apply_roles(session, incident.id, parse_roles(remote.fields.get("roles", "")), now)
        state = self.state(session)
        state.remote_state = {**state.remote_state, incident.id: dict(remote.fields)}
        return incident

    def _fields(self, session: Session, incident: Incident, remote: RemoteIncident, now: datetime) -> None:
        """Three-way: base = what we last agreed with the tracker; whoever changed, wins; both changed -> the
        later change wins and the other is kept in the conflict log."""
        state = self.state(session)
        agreed: dict[str, Any] = dict(state.remote_state.get(incident.id, {}))
        local = {"severity": Severity(incident.severity).label, "phase": incident.phase,
                 "roles": roles_text(_current_roles(session, incident.id))}
        for field in SYNCED_FIELDS:
            theirs = remote.fields.get(field)
            if not theirs:
                continue
            base, mine = agreed.get(field), local[field]
            if theirs in (mine, base):
                agreed[field] = theirs  # the tracker unchanged (ours still to push) or already equal to ours
                continue
            if mine == base or (base is None and mine == theirs):
                self._apply(incident, field, theirs, f"{field} set to {theirs} in {self.tracker} by "
                            f"{remote.changed_by or 'someone'}", session, now)
                agreed[field] = theirs
                continue
            # both sides changed it since we last agreed: the later decision wins. A change another cockpit made
            # arrives with its own timeline entry (who, and when they decided, to the millisecond); a change made
            # in the tracker itself has only the tracker's stamp (whole seconds: a tie goes to the tracker).
            local_at = self._local_change_at(session, incident.id, field)
            who, remote_at = self._remote_change(session, incident.id, field, theirs) or (
                remote.changed_by, remote.changed_at)
            remote_wins = local_at is None or remote_at >= (
                local_at if remote_at.microsecond else local_at.replace(microsecond=0))
            session.add(Conflict(id=str(uuid.uuid4()), incident_id=incident.id, field=field, local_value=mine,
                                 remote_value=theirs, kept="remote" if remote_wins else "local", local_at=local_at,
                                 remote_at=remote_at, remote_author=who, at=now))
            kept = theirs if remote_wins else mine
            me = self.incidents.author
            when_mine = f" at {local_at:%H:%M:%S}" if local_at else ""
            self.incidents._append(session, incident, "conflict",
                                   f"Conflict on {field}: {me} set {mine}{when_mine}, {who or 'someone'} "
                                   f"set {theirs} at {remote_at:%H:%M:%S} — kept {kept}", now,
                                   {"field": field, "local": mine, "remote": theirs, "kept": kept})
            if remote_wins:
                self._apply(incident, field, theirs, f"{field} conflict: kept {theirs} from {who}", session, now)
                agreed[field] = theirs
            else:
                agreed[field] = theirs  # the tracker still holds theirs until our change is pushed
        state.remote_state = {**state.remote_state, incident.id: agreed}
        session.add(state)

    def _log_reported_conflict(self, session: Session, incident_id: str, entry: RemoteEntry, now: datetime) -> None:
        match = CONFLICT_TEXT.match(entry.text)
        if match is None:
            return
        session.add(Conflict(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"conflict:{entry.id}")), incident_id=incident_id,
                             field=match["field"], local_value=match["theirs"], remote_value=match["mine"],
                             kept="remote" if match["kept"] == match["mine"] else "local", local_at=None,
                             remote_at=entry.at, remote_author=match["me"], at=now))

    def _remote_change(self, session: Session, incident_id: str, field: str, value: str) -> tuple[str, datetime] | None:
        """Who made the tracker's value, and when, from the timeline entry their cockpit wrote with it."""
        kinds = {"severity": ["severity"], "phase": ["phase"], "roles": ["role", "handover"]}[field]
        rows = session.exec(select(TimelineEntry).where(
            TimelineEntry.incident_id == incident_id, col(TimelineEntry.kind).in_(kinds),
            TimelineEntry.origin == self.tracker).order_by(col(TimelineEntry.hlc).desc()).limit(20)).all()
        for row in rows:
            if field == "roles" or f"→ {value}" in row.text:
                at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
                return row.author, at
        return None

    def _local_change_at(self, session: Session, incident_id: str, field: str) -> datetime | None:
        kinds = {"severity": ["severity"], "phase": ["phase"], "roles": ["role", "handover"]}[field]
        return session.exec(select(TimelineEntry.at).where(
            TimelineEntry.incident_id == incident_id, col(TimelineEntry.kind).in_(kinds),
            TimelineEntry.origin == "local").order_by(col(TimelineEntry.hlc).desc())).first()

    def _apply(self, incident: Incident, field: str, value: str, text: str, session: Session, now: datetime) -> None:
        """Take the tracker's value. No timeline entry is written here: the cockpit that made the change sent
        its own entry, which arrives as a message, so every cockpit ends with the same timeline."""
        del text
        if field == "severity":
            incident.severity = int(Severity.parse(value))
            incident.severity_reason = f"{value} (set in {self.tracker})"
            incident.severity_overridden = True
        elif field == "phase":
            incident.phase = Phase.parse(value).value
        elif field == "roles":
            self._apply_roles(session, incident.id, parse_roles(value), now)
        incident.updated_at = now
        session.add(incident)

    def _apply_roles(self, session: Session, incident_id: str, wanted: dict[str, list[str]], now: datetime) -> None:
        current = session.exec(select(RoleAssignment).where(
            RoleAssignment.incident_id == incident_id, col(RoleAssignment.until).is_(None))).all()
        held = {(a.role, a.holder) for a in current}
        target = {(role, name) for role, names in wanted.items() for name in names}
        for assignment in current:
            if (assignment.role, assignment.holder) not in target:
                assignment.until = now
                session.add(assignment)
        for role, name in sorted(target - held):
            session.add(RoleAssignment(id=str(uuid.uuid4()), incident_id=incident_id, role=role, holder=name,
                                       assigned_by=self.tracker, since=now))

    def agree(self, incident_id: str, fields: dict[str, str]) -> None:
        """After a successful push: these values are now what the tracker holds."""
        with self.incidents.store.write() as session:
            state = self.state(session)
            current = dict(state.remote_state.get(incident_id, {}))
            current.update({k: v for k, v in fields.items() if k in SYNCED_FIELDS})
            state.remote_state = {**state.remote_state, incident_id: current}
            session.add(state)

    def conflicts(self) -> list[ConflictView]:
        with self.incidents.store.read() as session:
            rows = session.exec(select(Conflict, Incident.ref_key).join(
                Incident, col(Conflict.incident_id) == col(Incident.id)).order_by(col(Conflict.at))).all()
            return [ConflictView(c.id, ids.display_ref(key), c.field, c.local_value, c.remote_value, c.kept,
                                 c.local_at, c.remote_at, c.remote_author, c.restored) for c, key in rows]


def restore_conflict(incidents: IncidentService, conflict_id: str) -> str:
    """Put back the value a conflict discarded, as a normal local change (it then syncs like any other)."""
    from cockpit.errors import InvalidInput, NotFound, RuleViolation

    with incidents.store.read() as session:
        rows = session.exec(select(Conflict).where(col(Conflict.id).startswith(conflict_id.strip().lower(),
                                                                  autoescape=True))).all()
    if not rows:
        raise NotFound(f"No conflict {conflict_id}; `cockpit sync conflicts` lists them.")
    if len(rows) > 1:
        raise InvalidInput(f"'{conflict_id}' matches several conflicts; type more of its id.")
    row = rows[0]
    if row.restored:
        raise RuleViolation("That value was already restored.")
    losing = row.local_value if row.kept == "remote" else row.remote_value
    if row.field == "severity":
        kept = row.remote_value if row.kept == "remote" else row.local_value
        incidents.override_severity(row.incident_id, Severity.parse(losing),
                                    f"restored after a sync conflict that had kept {kept}")
    elif row.field == "phase":
        incidents.set_phase(row.incident_id, Phase.parse(losing))
    else:
        _restore_roles(incidents, row.incident_id, parse_roles(losing))
    with incidents.store.write() as session:
        stored = session.get(Conflict, row.id)
        if stored is not None:
            stored.restored = True
            session.add(stored)
    return f"{row.field} set back to {losing}"


def _restore_roles(incidents: IncidentService, incident_id: str, wanted: dict[str, list[str]]) -> None:
    """Make the role board hold exactly ``wanted`` again: release who should not hold a role, then assign."""
    from cockpit.domain.roles import Role

    with incidents.store.read() as session:
        current = _current_roles(session, incident_id)
    for role, holders in current.items():
        for holder in holders:
            if holder not in wanted.get(role, []):
                incidents.release_role(incident_id, Role(role), holder)
    for role, holders in wanted.items():
        for holder in holders:
            if holder not in current.get(role, []):
                incidents.assign_role(incident_id, Role(role), holder)
