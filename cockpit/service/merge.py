"""Bringing the tracker's record in: imported incidents, remote timeline entries (a union by id), and
single-value fields (last writer wins, checked against the last agreed value, with a conflict log).

A tracker is someone else's server, so everything here treats what it sends as hostile:

* **One bad record never stops the sync.** What cannot be read or stored (an id that is not a UUID, an
  unknown severity, an impossible time, a reference that collides with a local incident, an entry whose id
  another incident already holds) is *parked* with its reason (``ParkedRecord``) and the rest merges. A later
  pull that reads it fine releases it; ``cockpit sync retry`` releases it by hand.
* **The tracker obeys the incident rules.** A phase that skips phases, a role board that breaks the role rules
  or names a new Incident Commander without a handover, an entry over the 1 MB text limit: refused. A refused
  field becomes a conflict with its reason, kept on the local value, for the incident commander to see.
* **One order everywhere.** An entry keeps the hybrid-logical-clock stamp its author's cockpit gave it (it
  travels in the comment's header; a comment written in the tracker gets one from its creation time), so
  every cockpit lists the same entries in the same order (ties by id). An entry that arrives after entries
  that sort after it is marked as late (``arrived_late_at``).

Nothing here enqueues outbox rows for what came from the tracker: it does not go back to it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from sqlalchemy import func
from sqlmodel import Session, col, select

from cockpit.domain import ids
from cockpit.domain.incident import ENTRY_KINDS
from cockpit.domain.lifecycle import Phase, check_remote_move
from cockpit.domain.roles import Role, check_board
from cockpit.domain.severity import Impact, Scope, Severity, Triggers
from cockpit.errors import InvalidInput, RuleViolation, StoreConflict
from cockpit.service.incidents import MAX_TEXT, MAX_TITLE, IncidentService
from cockpit.service.role_holders import current_assignments, holders_by_role
from cockpit.store.models import (
    Conflict,
    Incident,
    ParkedRecord,
    RemoteLink,
    RoleAssignment,
    SyncState,
    TimelineEntry,
)

SYNCED_FIELDS = ("severity", "phase", "roles")
_TIME = r"(?:\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\dZ?"
CONFLICT_TEXT = re.compile(rf"Conflict on (?P<field>\w+): (?P<me>.+?) set (?P<mine>\S+)(?: at (?P<mine_at>{_TIME}))?, "
                           rf"(?P<them>.+?) set (?P<theirs>\S+) at (?P<theirs_at>{_TIME}) — kept (?P<kept>\S+)$")
PHASE_TEXT = re.compile(r"^Phase (?P<back>back )?(?P<source>[A-Z]+) → (?P<target>[A-Z]+)")
ROOT_CAUSE_PREFIX = "Root cause: "
MAX_AHEAD = timedelta(days=1)  # a stamp further in the future than this is not believed
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RemoteEntry:
    id: str  # the cockpit UUID it carries, or a deterministic uuid5 of the tracker's identity + remote id
    remote_id: str
    at: datetime
    author: str
    kind: str
    text: str
    hlc: int | None = None  # the author's cockpit's stamp; None: derived from ``at`` (comments written by hand)
    facts: dict[str, str] = field(default_factory=dict)  # a declaration's services, started, triggers
    legacy_ids: tuple[str, ...] = ()  # ids earlier releases gave the same comment (by the tracker's local name)


@dataclass(frozen=True)
class RemoteIncident:
    remote_id: str
    cockpit_uuid: str
    ref: str
    title: str
    fields: dict[str, str]  # severity ("SEV2"), phase ("RESPOND"), impact, scope, roles, severity_reason
    changed_at: datetime
    changed_by: str
    entries: Sequence[RemoteEntry]


@dataclass(frozen=True)
class RemoteProblem:
    """A record the adapter could not read, or the merge could not take: parked with its reason."""

    kind: str  # incident | entry | field | listing
    remote_id: str  # the tracker's id for it (issue 42, message 17, "42:severity", "pull")
    what: str  # how a person recognises it: "issue 42", "message 17 on issue 42"
    reason: str
    incident_uuid: str = ""


@dataclass
class Pulled:
    """What one pull brought: the incidents it read, and the records it could not read."""

    incidents: list[RemoteIncident] = field(default_factory=list)
    problems: list[RemoteProblem] = field(default_factory=list)


def roles_text(roles: dict[str, list[str]]) -> str:
    """The one-line form of a role board that travels in the tracker's ``roles`` field."""
    return "; ".join(f"{role}: {', '.join(sorted(names))}" for role, names in sorted(roles.items()) if names)


def parse_roles(text: str) -> dict[str, list[str]]:
    """The role board from its one-line form; roles the cockpit does not know (typed in the tracker) are left out."""
    known = {role.value for role in Role}
    roles: dict[str, list[str]] = {}
    for part in text.split(";"):
        role, _, names = part.partition(":")
        if role.strip() in known and names.strip():
            roles[role.strip()] = [n.strip() for n in names.split(",") if n.strip()]
    return roles


def remote_entry_id(identity: str, remote_id: str) -> str:
    """A deterministic id for a comment written in the tracker itself (see ``ids.remote_entry_id``)."""
    return ids.remote_entry_id(identity, remote_id)


def canonical_uuid(text: str) -> str | None:
    """``text`` as a canonical lower-case UUID, or None when it is not one."""
    if not isinstance(text, str) or len(text) != 36:
        return None
    try:
        value = uuid.UUID(text)
    except ValueError:
        return None
    return str(value) if str(value) == text.lower() else None


def normalise_field(name: str, value: str) -> str:
    """A field value from the tracker in the cockpit's form; ``InvalidInput`` when it is not a valid value."""
    if name == "severity":
        return Severity.parse(value).label
    if name == "phase":
        return Phase.parse(value).value
    if name == "roles":
        return roles_text(parse_roles(value))
    return value


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
    local_author: str = ""
    reason: str | None = None

    @property
    def sentence(self) -> str:
        theirs = f"{self.remote_author or 'the tracker'} set {self.remote_value}" + (
            f" at {self.remote_at:%H:%M}" if self.remote_at else "")
        if self.reason:
            return f"{self.incident_ref} {self.field}: {theirs} — refused: {self.reason} Kept {self.local_value}"
        mine = f"{self.local_author or 'this cockpit'} set {self.local_value}" + (
            f" at {self.local_at:%H:%M}" if self.local_at else "")
        kept = self.remote_value if self.kept == "remote" else self.local_value
        return f"{self.incident_ref} {self.field}: {mine}, {theirs} — kept {kept}"


@dataclass(frozen=True)
class ParkedView:
    id: str
    tracker: str
    kind: str
    what: str
    reason: str
    first_seen_at: datetime
    last_seen_at: datetime
    times: int

    @property
    def sentence(self) -> str:
        return f"{self.what}: {self.reason}"


class Merger:
    def __init__(self, incidents: IncidentService, tracker: str) -> None:
        self.incidents = incidents
        self.tracker = tracker
        self.parks = 0  # records parked by this merger (a pull reports how many it parked)
        self.new_parks = 0  # of which were not parked before (the pull reads their window again, once)

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

    # --- parked records -----------------------------------------------------------------------
    def _parked_id(self, kind: str, remote_id: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cockpit-parked:{self.tracker}:{kind}:{remote_id}"))

    def park(self, problem: RemoteProblem, session: Session | None = None) -> None:
        """Keep a record the cockpit could not take aside, with its reason (once per record, however often
        it is read again)."""
        if session is None:
            with self.incidents.store.write() as own:
                self.park(problem, own)
            return
        now = self.incidents.clock()
        self.parks += 1
        key = self._parked_id(problem.kind, problem.remote_id)
        row = session.get(ParkedRecord, key)
        reason = problem.reason[:500]
        if row is None:
            self.new_parks += 1
            session.add(ParkedRecord(id=key, tracker=self.tracker, kind=problem.kind,
                                     remote_id=problem.remote_id[:200], what=problem.what[:200], reason=reason,
                                     incident_id=problem.incident_uuid[:36] or None, first_seen_at=now,
                                     last_seen_at=now))
            return
        row.reason, row.what, row.last_seen_at, row.times = reason, problem.what[:200], now, row.times + 1
        session.add(row)

    def release(self, session: Session, kind: str, remote_id: str) -> None:
        """The record was read and taken this time: it is parked no more."""
        row = session.get(ParkedRecord, self._parked_id(kind, remote_id))
        if row is not None:
            session.delete(row)

    def release_unidentified(self, reported: set[str]) -> None:
        """Records parked without an id of their own (a listing item with no id) cannot be recognised when read
        again: after a complete pull, those not reported again are released."""
        with self.incidents.store.write() as session:
            for row in session.exec(select(ParkedRecord).where(ParkedRecord.tracker == self.tracker)).all():
                if "?" in row.remote_id and row.remote_id not in reported:
                    session.delete(row)

    def release_listing(self) -> None:
        with self.incidents.store.write() as session:
            self.release(session, "listing", "pull")

    def parked(self) -> list[ParkedView]:
        with self.incidents.store.read() as session:
            rows = session.exec(select(ParkedRecord).where(ParkedRecord.tracker == self.tracker)
                                .order_by(col(ParkedRecord.first_seen_at))).all()
            return [_parked_view(row) for row in rows]

    # --- merging ------------------------------------------------------------------------------
    def merge(self, remote: RemoteIncident) -> int:
        """Merge one remote incident; returns how many new timeline entries arrived. What cannot be taken is
        parked, never raised: one bad record does not stop the others."""
        svc = self.incidents
        now = svc.clock()
        what = f"issue {remote.remote_id}"
        try:
            with svc.store.write() as session:
                return self._merge(session, remote, now)
        except StoreConflict as exc:
            reason = f"the local database refused it: it clashes with a record already held ({exc.detail})"
        except (InvalidInput, RuleViolation) as exc:
            reason = str(exc)
        self.park(RemoteProblem("incident", remote.remote_id, what, reason, remote.cockpit_uuid))
        return 0

    def _merge(self, session: Session, remote: RemoteIncident, now: datetime) -> int:
        what = f"issue {remote.remote_id}"
        incident_id = canonical_uuid(remote.cockpit_uuid)
        if incident_id is None:
            self.park(RemoteProblem("incident", remote.remote_id, what,
                                    f"its cockpit id {remote.cockpit_uuid[:60]!r} is not a UUID"), session)
            return 0
        incident = session.get(Incident, incident_id)
        imported = incident is None
        if incident is None:
            problem = self._import_problem(session, remote)
            if problem is not None:
                self.park(RemoteProblem("incident", remote.remote_id, what, problem, incident_id), session)
                return 0
            incident = self._import(session, remote, incident_id, now)
        self.release(session, "incident", remote.remote_id)
        self.set_link(session, "incident", incident.id, remote.remote_id)
        added, effects = self._entries(session, incident, remote, now)
        if imported:
            self._import_fields(session, incident, remote, now)
        else:
            effects |= self._fields(session, incident, remote, now)
        if "phase" in effects:
            _replay_phase_times(session, incident)
        if "root_cause" in effects:
            _replay_root_cause(session, incident)
        if added:
            incident.updated_at = now
        session.add(incident)
        return added

    def _entries(self, session: Session, incident: Incident, remote: RemoteIncident,
                 now: datetime) -> tuple[int, set[str]]:
        known = set(session.exec(select(TimelineEntry.id).where(TimelineEntry.incident_id == incident.id)).all())
        newest = int(session.exec(select(func.max(TimelineEntry.hlc)).where(
            TimelineEntry.incident_id == incident.id)).one() or 0)
        added, effects = 0, set[str]()
        for entry in sorted(remote.entries, key=lambda e: (e.hlc or 0, e.id)):
            what = f"message {entry.remote_id} on issue {remote.remote_id}"
            held = entry.id if entry.id in known else next((i for i in entry.legacy_ids if i in known), None)
            if held is None:  # the same tracker comment under a garbled id: the link says it is held already
                linked = session.exec(select(RemoteLink.local_id).where(
                    RemoteLink.tracker == self.tracker, RemoteLink.kind == "entry",
                    RemoteLink.remote_id == entry.remote_id)).first()
                held = linked if linked in known else None
            if held is not None:
                self.set_link(session, "entry", held, entry.remote_id)
                self.release(session, "entry", entry.remote_id)
                continue
            problem, stamp = self._entry_problem(session, incident, entry, now)
            if problem is not None:
                self.park(RemoteProblem("entry", entry.remote_id, what, problem, incident.id), session)
                continue
            self.release(session, "entry", entry.remote_id)
            session.add(TimelineEntry(id=entry.id, incident_id=incident.id, hlc=stamp, at=entry.at, kind=entry.kind,
                                      author=entry.author, text=entry.text, data={"remote_id": entry.remote_id},
                                      origin=self.tracker, arrived_late_at=now if stamp < newest else None))
            session.flush()
            if entry.kind == "conflict":
                self._log_reported_conflict(session, incident.id, entry, now)
            elif entry.kind == "declared":
                _declared_facts(incident, entry.facts)
            elif entry.kind == "phase":
                effects.add("phase")
            elif entry.kind == "decision" and entry.text.startswith(ROOT_CAUSE_PREFIX):
                effects.add("root_cause")
            self.set_link(session, "entry", entry.id, entry.remote_id)
            known.add(entry.id)
            added += 1
        return added, effects

    def _entry_problem(self, session: Session, incident: Incident, entry: RemoteEntry,
                       now: datetime) -> tuple[str | None, int]:
        """Why this entry cannot be taken (None when it can), and the stamp it sorts by."""
        if canonical_uuid(entry.id) is None:
            return f"its entry id {entry.id[:60]!r} is not a UUID", 0
        if entry.kind not in ENTRY_KINDS:
            return f"'{entry.kind[:30]}' is not a kind of timeline entry this cockpit knows", 0
        if not entry.text.strip():
            return "it has no text", 0
        if len(entry.text) > MAX_TEXT:
            return (f"refused by the incident rules: {len(entry.text):,} characters, over the {MAX_TEXT:,}-character "
                    f"limit of an entry"), 0
        if not entry.author.strip() or len(entry.author) > 100 or "\x00" in entry.author:
            return f"its author {entry.author[:40]!r} is not a name", 0
        if entry.at.tzinfo is None or not EARLIEST <= entry.at <= now + MAX_AHEAD:
            return f"its time {entry.at.isoformat()[:40]} is impossible (before 2000 or more than a day ahead)", 0
        stamp = entry.hlc if entry.hlc is not None else _stamp_of_time(entry.at)
        if not ids.hlc_from_ms(int(EARLIEST.timestamp() * 1000)) <= stamp <= ids.hlc_from_ms(
                int((now + MAX_AHEAD).timestamp() * 1000)):
            return f"its clock stamp {stamp} is impossible (before 2000 or more than a day ahead)", 0
        elsewhere = session.exec(select(TimelineEntry.incident_id).where(TimelineEntry.id == entry.id)).first()
        if elsewhere is not None:
            ref = session.exec(select(Incident.ref_key).where(Incident.id == elsewhere)).first()
            return f"its id is already used by an entry of {ids.display_ref(ref or '?')}", 0
        return None, stamp

    def _import_problem(self, session: Session, remote: RemoteIncident) -> str | None:
        """Why a remote incident cannot be imported as it is (None when it can)."""
        try:
            key = (ids.normalize_ref_query(remote.ref) if remote.ref
                   else ids.ref_key_from_uuid(uuid.UUID(remote.cockpit_uuid)))
        except InvalidInput:
            return f"its reference {remote.ref[:40]!r} is not an incident reference"
        if len(key) != ids.REF_LENGTH:
            return f"its reference {remote.ref[:40]!r} is not a whole incident reference"
        holder = session.exec(select(Incident.id).where(Incident.ref_key == key)).first()
        if holder is not None:
            return f"its reference {ids.display_ref(key)} is already used by another incident here"
        title = " ".join(remote.title.split())
        if len(title) > MAX_TITLE:
            return f"refused by the incident rules: a title of {len(title):,} characters (at most {MAX_TITLE})"
        for name, parse in (("severity", Severity.parse), ("phase", Phase.parse), ("impact", Impact),
                            ("scope", Scope)):
            value = remote.fields.get(name) or ""
            if value:
                try:
                    parse(value)
                except (InvalidInput, ValueError):
                    return f"its {name} {value[:40]!r} is not one the cockpit knows"
        return None

    def _import(self, session: Session, remote: RemoteIncident, incident_id: str, now: datetime) -> Incident:
        key = (ids.normalize_ref_query(remote.ref) if remote.ref
               else ids.ref_key_from_uuid(uuid.UUID(incident_id)))
        severity = Severity.parse(remote.fields.get("severity") or "SEV3").label
        declared = [e for e in remote.entries if e.kind == "declared"]
        incident = Incident(
            id=incident_id, ref_key=key, title=" ".join(remote.title.split()) or "(untitled)", services=[],
            impact=remote.fields.get("impact") or "degraded", scope=remote.fields.get("scope") or "lt25",
            triggers={}, severity=int(Severity.parse(severity)),
            severity_reason=remote.fields.get("severity_reason") or f"{severity} (from {self.tracker})",
            severity_overridden=True, phase=Phase.parse(remote.fields.get("phase") or "detect").value,
            declared_by=(declared[0].author if declared else remote.changed_by) or self.tracker,
            declared_at=min((e.at for e in (declared or remote.entries)), default=now), updated_at=now,
        )
        session.add(incident)
        session.flush()
        return incident

    def _import_fields(self, session: Session, incident: Incident, remote: RemoteIncident, now: datetime) -> None:
        """The tracker's field values become the new incident's; a role board the rules refuse is left empty and
        the refusal logged."""
        agreed = {name: normalise_field(name, remote.fields[name]) for name in ("severity", "phase")
                  if remote.fields.get(name)}
        roles = remote.fields.get("roles") or ""
        if roles:
            wanted = roles_text(parse_roles(roles))
            refusal = self._refusal(session, incident, "roles", wanted)
            if refusal is None:
                self._apply_roles(session, incident.id, parse_roles(wanted), now)
            else:
                self._refused(session, incident, "roles", "", wanted, remote, refusal, now)
            agreed["roles"] = wanted
        _replay_phase_times(session, incident)
        _replay_root_cause(session, incident)
        state = self.state(session)
        state.remote_state = {**state.remote_state, incident.id: agreed}
        session.add(state)

    def _fields(self, session: Session, incident: Incident, remote: RemoteIncident, now: datetime) -> set[str]:
        """Three-way: base = what we last agreed with the tracker; whoever changed, wins; both changed -> the
        later change wins and the other is kept in the conflict log. A value the incident rules refuse is not
        taken: the refusal is logged as a conflict kept on the local value."""
        state = self.state(session)
        agreed: dict[str, Any] = dict(state.remote_state.get(incident.id, {}))
        local = {"severity": Severity(incident.severity).label, "phase": incident.phase,
                 "roles": roles_text(holders_by_role(session, incident.id))}
        effects: set[str] = set()
        for name in SYNCED_FIELDS:
            raw = remote.fields.get(name)
            if not raw:
                continue
            try:
                theirs = normalise_field(name, raw)
                if not theirs:
                    raise InvalidInput(f"'{raw[:60]}' names no role the cockpit knows")
            except InvalidInput as exc:
                self.park(RemoteProblem("field", f"{remote.remote_id}:{name}",
                                        f"the {name} of issue {remote.remote_id}", str(exc), incident.id), session)
                continue
            self.release(session, "field", f"{remote.remote_id}:{name}")
            base, mine = agreed.get(name), local[name]
            if theirs in (mine, base):
                agreed[name] = theirs  # the tracker unchanged (ours still to push) or already equal to ours
                continue
            refusal = self._refusal(session, incident, name, theirs)
            if mine == base or (base is None and mine == theirs):
                if refusal is not None:
                    self._refused(session, incident, name, mine, theirs, remote, refusal, now)
                else:
                    self._apply(session, incident, name, theirs, remote, now)
                    effects.add(name)
                agreed[name] = theirs
                continue
            # both sides changed it since we last agreed: the later decision wins. A change another cockpit made
            # arrives with its own timeline entry (who, and when they decided, to the millisecond); a change made
            # in the tracker itself has only the tracker's stamp (whole seconds: a tie goes to the tracker).
            local_who, local_at = self._local_change(session, incident.id, name)
            who, remote_at = self._remote_change(session, incident.id, name, theirs) or (
                remote.changed_by, remote.changed_at)
            remote_wins = local_at is None or remote_at >= (
                local_at if remote_at.microsecond else local_at.replace(microsecond=0))
            if remote_wins and refusal is not None:
                self._refused(session, incident, name, mine, theirs, remote, refusal, now)
                agreed[name] = theirs
                continue
            kept = theirs if remote_wins else mine
            me = local_who or self.incidents.author
            session.add(Conflict(id=self.incidents.new_id(now), incident_id=incident.id, field=name, local_value=mine,
                                 remote_value=theirs, kept="remote" if remote_wins else "local", local_at=local_at,
                                 remote_at=remote_at, remote_author=who, local_author=me, at=now))
            when_mine = f" at {_stamp(local_at)}" if local_at else ""
            self.incidents.append_in(session, incident, "conflict",
                                   f"Conflict on {name}: {me} set {mine}{when_mine}, {who or 'someone'} "
                                   f"set {theirs} at {_stamp(remote_at)} — kept {kept}", now,
                                   {"field": name, "local": mine, "remote": theirs, "kept": kept})
            if remote_wins:
                self._apply(session, incident, name, theirs, remote, now)
                effects.add(name)
            agreed[name] = theirs  # when ours won, the tracker still holds theirs until our change is pushed
        state.remote_state = {**state.remote_state, incident.id: agreed}
        session.add(state)
        return effects

    def _refusal(self, session: Session, incident: Incident, name: str, value: str) -> str | None:
        """Why the incident rules refuse this value from the tracker, or None when they allow it."""
        try:
            if name == "phase":
                steps = set()
                for text in session.exec(select(TimelineEntry.text).where(
                        TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "phase")).all():
                    match = PHASE_TEXT.match(text)
                    if match and not match["back"]:
                        try:
                            steps.add((Phase(match["source"]), Phase(match["target"])))
                        except ValueError:
                            continue
                check_remote_move(Phase(incident.phase), Phase.parse(value), steps)
            elif name == "roles":
                wanted = {Role(role): names for role, names in parse_roles(value).items()}
                check_board(wanted)
                self._check_ic_handover(session, incident, wanted.get(Role.IC, []))
        except RuleViolation as exc:
            return str(exc)
        return None

    def _check_ic_handover(self, session: Session, incident: Incident, wanted: list[str]) -> None:
        """A new Incident Commander comes with the handover a cockpit recorded (the incoming IC confirms it
        there); a name typed into the tracker's roles field does not make anyone IC."""
        current = {a.holder.casefold() for a in current_assignments(session, incident.id, Role.IC)}
        texts = session.exec(select(TimelineEntry.text).where(
            TimelineEntry.incident_id == incident.id, col(TimelineEntry.kind).in_(["role", "handover"]))).all()
        title = Role.IC.title
        for name in wanted:
            if name.casefold() in current:
                continue
            if any(t == f"{name} is now {title}"
                   or (t.startswith(f"{title} handed over: ") and t.endswith(f" → {name}")) for t in texts):
                continue
            raise RuleViolation(f"{name} was made {title} in the tracker without a handover recorded in a cockpit "
                                f"(the incoming IC confirms a handover there).")

    def _refused(self, session: Session, incident: Incident, name: str, mine: str, theirs: str,
                 remote: RemoteIncident, reason: str, now: datetime) -> None:
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cockpit-refused:{incident.id}:{name}:{theirs}:{remote.changed_at}"))
        if session.get(Conflict, key) is not None:
            return
        session.add(Conflict(id=key, incident_id=incident.id, field=name, local_value=mine, remote_value=theirs,
                             kept="local", local_at=None, remote_at=remote.changed_at,
                             remote_author=remote.changed_by or self.tracker, local_author="", at=now, reason=reason))

    def _log_reported_conflict(self, session: Session, incident_id: str, entry: RemoteEntry, now: datetime) -> None:
        """Another cockpit decided a conflict and recorded it: log it with its two parties and their times as
        that cockpit saw them (this cockpit may have been neither)."""
        match = CONFLICT_TEXT.match(entry.text)
        if match is None:
            return
        session.merge(Conflict(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"conflict:{entry.id}")), incident_id=incident_id,
                               field=match["field"], local_value=match["mine"], remote_value=match["theirs"],
                               kept="local" if match["kept"] == match["mine"] else "remote",
                               local_at=_parse_stamp(match["mine_at"], entry.at),
                               remote_at=_parse_stamp(match["theirs_at"], entry.at), remote_author=match["them"],
                               local_author=match["me"], at=now))

    def _remote_change(self, session: Session, incident_id: str, name: str, value: str) -> tuple[str, datetime] | None:
        """Who made the tracker's value, and when, from the timeline entry their cockpit wrote with it."""
        kinds = {"severity": ["severity"], "phase": ["phase"], "roles": ["role", "handover"]}[name]
        rows = session.exec(select(TimelineEntry).where(
            TimelineEntry.incident_id == incident_id, col(TimelineEntry.kind).in_(kinds),
            TimelineEntry.origin == self.tracker).order_by(col(TimelineEntry.hlc).desc(),
                                                           col(TimelineEntry.id).desc()).limit(20)).all()
        for row in rows:
            if name == "roles" or f"→ {value}" in row.text:
                at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
                return row.author, at
        return None

    def _local_change(self, session: Session, incident_id: str, name: str) -> tuple[str, datetime | None]:
        kinds = {"severity": ["severity"], "phase": ["phase"], "roles": ["role", "handover"]}[name]
        row = session.exec(select(TimelineEntry.author, TimelineEntry.at).where(
            TimelineEntry.incident_id == incident_id, col(TimelineEntry.kind).in_(kinds),
            TimelineEntry.origin == "local").order_by(col(TimelineEntry.hlc).desc(),
                                                      col(TimelineEntry.id).desc())).first()
        return (row[0], row[1]) if row is not None else ("", None)

    def _apply(self, session: Session, incident: Incident, name: str, value: str, remote: RemoteIncident,
               now: datetime) -> None:
        """Take the tracker's value. No timeline entry is written here: the cockpit that made the change sent
        its own entry, which arrives as a message, so every cockpit ends with the same timeline."""
        if name == "severity":
            incident.severity = int(Severity.parse(value))
            incident.severity_reason = remote.fields.get("severity_reason") or f"{value} (set in {self.tracker})"
            incident.severity_overridden = True
            for companion, kind in (("impact", Impact), ("scope", Scope)):
                raw = remote.fields.get(companion) or ""
                try:
                    setattr(incident, companion, kind(raw).value)
                except ValueError:
                    continue
        elif name == "phase":
            incident.phase = Phase.parse(value).value
        elif name == "roles":
            self._apply_roles(session, incident.id, parse_roles(value), now)
        incident.updated_at = now
        session.add(incident)

    def _apply_roles(self, session: Session, incident_id: str, wanted: dict[str, list[str]], now: datetime) -> None:
        current = current_assignments(session, incident_id)
        held = {(a.role, a.holder) for a in current}
        target = {(role, name) for role, names in wanted.items() for name in names}
        for assignment in current:
            if (assignment.role, assignment.holder) not in target:
                assignment.until = now
                session.add(assignment)
        for role, name in sorted(target - held):
            session.add(RoleAssignment(id=self.incidents.new_id(now), incident_id=incident_id, role=role, holder=name,
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
                                 c.local_at, c.remote_at, c.remote_author, c.restored, c.local_author, c.reason)
                    for c, key in rows]


def _parked_view(row: ParkedRecord) -> ParkedView:
    return ParkedView(row.id, row.tracker, row.kind, row.what, row.reason, row.first_seen_at, row.last_seen_at,
                      row.times)


def parked_records(incidents: IncidentService) -> list[ParkedView]:
    """Everything any tracker sent that is parked, oldest first."""
    with incidents.store.read() as session:
        rows = session.exec(select(ParkedRecord).order_by(col(ParkedRecord.first_seen_at))).all()
        return [_parked_view(row) for row in rows]


def release_parked(incidents: IncidentService, parked_id: str | None) -> tuple[int, set[str]]:
    """Release parked records (one by id prefix, or all with None) so the next pull reads them again from the
    start; returns how many, and the trackers whose pull starts over."""
    with incidents.store.write() as session:
        query = select(ParkedRecord)
        if parked_id is not None:
            query = query.where(col(ParkedRecord.id).startswith(parked_id.strip().lower(), autoescape=True))
        rows = session.exec(query).all()
        if parked_id is not None and len(rows) > 1:
            from cockpit.errors import Ambiguous

            raise Ambiguous(f"'{parked_id}' matches {len(rows)} parked records; type more of its id.")
        trackers = {row.tracker for row in rows}
        for row in rows:
            session.delete(row)
        for tracker in trackers:
            state = session.get(SyncState, tracker)
            if state is not None:
                state.pull_cursor = None  # read everything again: the record may have been fixed in the tracker
                session.add(state)
        return len(rows), trackers


def _stamp_of_time(at: datetime) -> int:
    """The clock stamp of a comment written in the tracker, known only by its time there. Trackers stamp in whole
    seconds, so such a time means "during that second": it sorts at the second's end, after the entries cockpits
    wrote within it (the same on every cockpit)."""
    ms = int(at.timestamp() * 1000)
    return ids.hlc_from_ms(ms + 999 if at.microsecond == 0 else ms)


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _parse_stamp(text: str | None, near: datetime) -> datetime | None:
    """A time written in a conflict entry: ISO (since 0006) or HH:MM:SS on the day of the entry."""
    if not text:
        return None
    try:
        if len(text) > 9:
            return datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00")).astimezone(UTC)
        clock = datetime.strptime(text.rstrip("Z"), "%H:%M:%S").time()
    except ValueError:
        return None
    moment = datetime.combine(near.astimezone(UTC).date(), clock, tzinfo=UTC)
    return moment - timedelta(days=1) if moment > near + timedelta(minutes=5) else moment


def _declared_facts(incident: Incident, facts: dict[str, str]) -> None:
    """What a declaration carries beyond the tracker's fields: services, impact start, triggers."""
    if facts.get("services") and not incident.services:
        names = [" ".join(unquote(part).split()) for part in facts["services"].split(",")]
        incident.services = [name for name in names if name and len(name) <= 100][:50]
    if facts.get("started") and incident.started_at is None:
        try:
            started = datetime.fromisoformat(facts["started"].replace("Z", "+00:00"))
        except ValueError:
            started = None
        if started is not None and started.tzinfo is not None and EARLIEST <= started <= incident.declared_at:
            incident.started_at = started
    if facts.get("triggers") and not any(incident.triggers.values()):
        on = set(facts["triggers"].split(","))
        incident.triggers = Triggers.from_dict({name: name in on for name in Triggers().as_dict()}).as_dict()


def _replay_phase_times(session: Session, incident: Incident) -> None:
    """Acknowledged, mitigated and resolved times from the phase entries in timeline order, as ``set_phase``
    sets them: the same entries give the same times on every cockpit."""
    rows = session.exec(select(TimelineEntry.at, TimelineEntry.text).where(
        TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "phase").order_by(
        col(TimelineEntry.hlc), col(TimelineEntry.id))).all()
    if not rows:
        return
    acknowledged = mitigated = resolved = None
    for at, text in rows:
        match = PHASE_TEXT.match(text)
        if match is None:
            continue
        try:
            target = Phase(match["target"])
        except ValueError:
            continue
        if match["back"]:
            if target.index < Phase.MITIGATE.index:
                mitigated = None
            if target.index < Phase.RESOLVE.index:
                resolved = None
            continue
        if target is Phase.TRIAGE and acknowledged is None:
            acknowledged = at
        if target is Phase.MITIGATE:
            mitigated = at
        if target is Phase.RESOLVE:
            resolved = at
    incident.acknowledged_at, incident.mitigated_at, incident.resolved_at = acknowledged, mitigated, resolved


def _replay_root_cause(session: Session, incident: Incident) -> None:
    """The root cause is the latest "Root cause: ..." decision in timeline order."""
    text = session.exec(select(TimelineEntry.text).where(
        TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "decision",
        col(TimelineEntry.text).startswith(ROOT_CAUSE_PREFIX)).order_by(
        col(TimelineEntry.hlc).desc(), col(TimelineEntry.id).desc())).first()
    if text is not None:
        incident.root_cause = text[len(ROOT_CAUSE_PREFIX):]


def restore_conflict(incidents: IncidentService, conflict_id: str) -> str:
    """Put back the value a conflict discarded, as a normal local change (it then syncs like any other)."""
    from cockpit.errors import NotFound

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
    with incidents.store.read() as session:
        current = holders_by_role(session, incident_id)
    for role, holders in current.items():
        for holder in holders:
            if holder not in wanted.get(role, []):
                incidents.release_role(incident_id, Role(role), holder)
    for role, holders in wanted.items():
        for holder in holders:
            if holder not in current.get(role, []):
                incidents.assign_role(incident_id, Role(role), holder)
