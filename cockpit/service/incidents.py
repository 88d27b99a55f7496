"""Incident use cases: declare, classify, move through phases, staff roles, log, communicate."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from cockpit.domain import cadence, ids
from cockpit.domain.incident import CHECK_IN_KINDS, PERSON_KINDS, Entry, IncidentSnapshot, OutboxState
from cockpit.domain.lifecycle import Direction, Phase, plan_transition
from cockpit.domain.metrics import IncidentMetrics, compute_metrics
from cockpit.domain.roles import Role, RoleHolding, RoleWarning, check_roles
from cockpit.domain.severity import Assessment, Impact, Scope, Severity, Triggers, classify, override
from cockpit.errors import Ambiguous, InvalidInput, NotFound, RuleViolation
from cockpit.redact import SYNC_PATTERNS, Redactor
from cockpit.service.clock import Clock, random_bytes, utc_now
from cockpit.service.role_holders import commanders_plain, current_assignments, holders_by_role, holdings_plain
from cockpit.store.db import PlainWrite, Store
from cockpit.store.schema import ENTRY_FIELDS, INCIDENT, OUTBOX_OP, TIMELINE_ENTRY, from_db_time, to_db_time
from cockpit.textsafe import control_characters

if TYPE_CHECKING:  # the ORM is imported by the use cases that write: reading uses plain sqlite3
    from sqlmodel import Session

    from cockpit.domain import comms
    from cockpit.domain.evidence import Evidence
    from cockpit.store.models import Incident, RoleAssignment, TimelineEntry

T = TypeVar("T")

MAX_TITLE = 200
MAX_TEXT = 1_000_000  # one entry may hold a long paste (a stack trace), not an unbounded one
#: What a tracker never receives unless the config says more (``redact_patterns:``): emails and IP addresses.
SYNC_REDACTOR = Redactor.build(SYNC_PATTERNS, label="name")


@dataclass(frozen=True)
class IncidentSummary:
    id: str
    ref: str
    title: str
    severity: Severity
    phase: Phase
    declared_at: datetime
    updated_at: datetime
    commander: str | None
    services: tuple[str, ...]
    last_update_at: datetime | None = None  # the last status update or comms sent (the check-in countdown)

    def check_in(self, now: datetime) -> cadence.CheckIn | None:
        """When the next status update is due (None once resolved)."""
        return cadence.next_check_in(self.severity, self.phase, self.last_update_at or self.declared_at, now)


@dataclass(frozen=True)
class IncidentDetail:
    snapshot: IncidentSnapshot
    timeline: Sequence[Entry]
    role_history: Sequence[RoleHolding]
    warnings: Sequence[RoleWarning]
    check_in: cadence.CheckIn | None
    metrics: IncidentMetrics
    earlier: int = 0  # entries before ``timeline`` not read with it (``get_newest``): ``timeline_before`` has them


def _clean_name(value: str, what: str) -> str:
    if found := control_characters(value):  # a name is shown everywhere: on screens, in exports, on trackers
        raise InvalidInput(f"The {what} contains a control character ({found}); type it as plain text.")
    name = " ".join(value.split())
    if not name:
        raise InvalidInput(f"The {what} is empty: give a name.")
    if len(name) > 100:
        raise InvalidInput(f"The {what} is longer than 100 characters.")
    return name


def clean_text(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"The {what} is empty: write something.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"The {what} is longer than {MAX_TEXT:,} characters; attach a link instead.")
    return text


def clean_title(value: str, what: str, hint: str) -> str:
    """A one-line title: runs of white space made one space; empty or over MAX_TITLE refused (``hint`` says what a
    title should say)."""
    title = " ".join(value.split())
    if not title:
        raise InvalidInput(f"The {what} is empty: {hint}.")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The {what} is longer than {MAX_TITLE} characters; shorten it.")
    return title


class IncidentService:
    """What a responder can do to incidents. The TUI and the CLI both call this."""

    def __init__(
        self,
        store: Store,
        author: str,
        clock: Clock = utc_now,
        rand: Callable[[int], bytes] = random_bytes,
        redactor: Redactor = SYNC_REDACTOR,
    ) -> None:
        self.store = store
        self.redactor = redactor  # applied to each entry's text on its way to the outbox
        self.author = _clean_name(author, "responder name")
        self.clock = clock
        self.rand = rand
        self._window = threading.local()  # ``get_newest``'s count, for the ``get`` it makes in the same thread

    def act_as(self, name: str) -> None:
        """Write from now on as ``name`` (the responder said who they are)."""
        self.author = _clean_name(name, "responder name")

    # --- identities -------------------------------------------------------------------
    def new_id(self, now: datetime) -> str:
        return str(ids.uuid7(int(now.timestamp() * 1000), self.rand(10)))

    def _next_hlc(self, session: Session, now: datetime) -> int:
        last = session.connection().exec_driver_sql("SELECT max(hlc) FROM timeline_entry").scalar() or 0
        return ids.hlc_tick(int(last), int(now.timestamp() * 1000))

    # --- writing helpers (always inside one write transaction) ----------------------------
    def append_in(
        self,
        session: Session,
        incident: Incident,
        kind: str,
        text: str,
        now: datetime,
        data: dict[str, Any] | None = None,
        author: str | None = None,
    ) -> TimelineEntry:
        from cockpit.store.models import TimelineEntry

        """Write one entry and queue it for the tracker: redacted (what was replaced is kept in its data, shown
        locally), or not at all when it is local-only."""
        data = dict(data or {})
        if not data.get("local_only") and (counts := self.redactor.apply(text)[1]):
            data["redacted"] = counts
        entry = TimelineEntry(
            id=self.new_id(now),
            incident_id=incident.id,
            hlc=self._next_hlc(session, now),
            at=ids.whole_ms(now),
            kind=kind,
            author=author or self.author,
            text=text,
            data=data,
        )
        session.add(entry)
        incident.updated_at = now
        if kind in CHECK_IN_KINDS:
            incident.last_update_at = now
        session.add(incident)
        self.queue_entry_in(session, incident, entry, now)
        return entry

    def queue_entry_in(self, session: Session, incident: Incident, entry: TimelineEntry, now: datetime,
                       extra: dict[str, Any] | None = None) -> bool:
        """Queue an entry for the tracker, redacted; a local-only entry gets no outbox row at all (False)."""
        if (entry.data or {}).get("local_only"):
            return False
        sent, _counts = self.redactor.apply(entry.text)
        self.enqueue_in(session, incident, "add_entry", entry.id, {
            **_entry_payload(entry.id, entry.at, entry.hlc, entry.kind, entry.author, sent, entry.data or {}),
            **(extra or {})}, now)
        return True

    def enqueue_in(
        self, session: Session | PlainWrite, incident: Incident | Mapping[str, Any], op: str, entity_id: str,
        payload: dict[str, Any], now: datetime,
    ) -> None:
        """Queue a change for the tracker, in the caller's transaction: an ORM session, or the short path's plain
        write (``incident`` then is the plain row's columns)."""
        if isinstance(incident, Mapping):
            kind, to_tracker, incident_id = incident["kind"], incident["to_tracker"], incident["id"]
        else:
            kind, to_tracker, incident_id = incident.kind, incident.to_tracker, incident.id
        if kind == "exercise" and not to_tracker:
            return  # a Game Day stays in this cockpit unless it was asked to go to the tracker
        if isinstance(session, PlainWrite):
            session.conn.execute(_INSERT_OUTBOX, (self.new_id(now), incident_id, op, entity_id, json.dumps(payload),
                                                  to_db_time(now), OutboxState.PENDING.value, 0))
            return
        from cockpit.store.models import OutboxOp

        session.add(OutboxOp(
            id=self.new_id(now), incident_id=incident_id, op=op, entity_id=entity_id,
            payload=payload, created_at=now,
        ))

    def _update_fields(self, session: Session, incident: Incident, fields: dict[str, Any], now: datetime) -> None:
        self.enqueue_in(session, incident, "update_incident", incident.id, fields, now)

    # --- lookup -----------------------------------------------------------------------
    def find_in(self, session: Session, query: str) -> Incident:
        from sqlmodel import col, select

        from cockpit.store.models import Incident

        return _match(
            query, lambda key: session.get(Incident, key),
            lambda key: session.exec(
                select(Incident).where(col(Incident.ref_key) >= key, col(Incident.ref_key) < key + "~")
                .order_by(col(Incident.ref_key)).limit(6)).all(),
            lambda found: found.ref_key)

    def resolve(self, query: str) -> str:
        """The incident id for a reference, a unique prefix of one, or a full id."""
        with self.store.plain() as conn:
            return str(_find_plain(conn, query)["id"])

    # --- use cases --------------------------------------------------------------------
    def open_incident(
        self,
        title: str,
        impact: Impact,
        scope: Scope,
        triggers: Triggers | None = None,
        services: Iterable[str] = (),
        commander: str | None = None,
        started_at: datetime | None = None,
        kind: str = "incident",
        to_tracker: bool = True,
    ) -> IncidentSnapshot:
        """``kind="exercise"``: a Game Day, never counted in the figures, sent to the tracker only when
        ``to_tracker``."""
        if kind not in ("incident", "exercise"):
            raise InvalidInput(f"'{kind}' is not an incident kind: incident or exercise.")
        title = clean_title(title, "incident title", "say in a few words what is wrong")
        service_list = [_clean_name(s, "service name") for s in services]
        triggers = triggers or Triggers()
        assessment = classify(impact, scope, triggers)
        now = self.clock()
        if started_at is not None and started_at > now:
            raise InvalidInput("The impact start time is in the future; give a time before now.")
        from sqlmodel import select

        from cockpit.store.models import Incident

        with self.store.write() as session:
            incident_id = self.new_id(now)
            ref_key = ids.ref_key_from_uuid(uuid.UUID(incident_id))
            while session.exec(select(Incident.id).where(Incident.ref_key == ref_key)).first():
                incident_id = self.new_id(now)
                ref_key = ids.ref_key_from_uuid(uuid.UUID(incident_id))
            incident = Incident(
                id=incident_id, ref_key=ref_key, title=title, services=service_list,
                impact=impact.value, scope=scope.value, triggers=triggers.as_dict(),
                severity=int(assessment.severity), severity_reason=assessment.explanation,
                severity_overridden=False, phase=Phase.DETECT.value, declared_by=self.author,
                declared_at=now, started_at=started_at, updated_at=now, kind=kind,
                to_tracker=to_tracker or kind == "incident",
            )
            session.add(incident)
            session.flush()
            self.enqueue_in(session, incident, "create_incident", incident.id, incident_payload(incident), now)
            self.append_in(session, incident, "declared", f"Incident declared: {title}. {assessment.explanation}",
                         now, {"severity": assessment.severity.label, "impact": impact.value,
                               "scope": scope.value, "triggers": triggers.as_dict(), "services": service_list,
                               **({"started_at": started_at.isoformat()} if started_at else {})})
            if commander:
                self._assign(session, incident, Role.IC, _clean_name(commander, "commander's name"), now)
            return snapshot_of(session, incident)

    def add_entry(self, query: str, text: str, kind: str = "note", local_only: bool = False) -> Entry:
        """The short path (see ``_add``): the entry, the incident's times and the outbox row in one transaction."""
        if kind not in PERSON_KINDS:  # the other kinds are written by the use cases themselves
            raise InvalidInput(f"'{kind}' is not an entry kind: use one of {', '.join(PERSON_KINDS)}.")
        return self._add(query, kind, clean_text(text, "entry text"), {"local_only": True} if local_only else {})

    def add_evidence(self, query: str, evidence: Evidence, local_only: bool = False) -> Entry:
        """Text piped in or read from a file, with the SHA-256 of everything received."""
        data: dict[str, Any] = {"sha256": evidence.sha256, "bytes": evidence.received}
        if evidence.cut:
            data["kept_bytes"] = evidence.kept
        if local_only:
            data["local_only"] = True
        return self._add(query, "evidence", evidence.text, data)

    def add_command(self, query: str, line: str, cwd: str, exit_code: int | None = None) -> Entry:
        """A command line typed in ``cockpit shell`` (already redacted by the caller), with where it ran."""
        ran = f"in {cwd}" + (f", exit {exit_code}" if exit_code is not None else "")
        data: dict[str, Any] = {"cwd": cwd, **({"exit": exit_code} if exit_code is not None else {})}
        return self._add(query, "command", clean_text(f"$ {line.strip()}  ({ran})", "command line"), data)

    def _add(self, query: str, kind: str, text: str, data: dict[str, Any]) -> Entry:
        now = self.clock()
        """Plain statements in one transaction (the entry, the incident's times, the outbox row), the same rows
        ``append_in`` writes through the ORM: redacted on its way to the tracker, or not queued when local-only."""
        now = ids.whole_ms(now)  # the shown time follows the stamps' order (see ids.whole_ms)
        at = to_db_time(now)
        data = dict(data)
        sent, counts = (text, {}) if data.get("local_only") else self.redactor.apply(text)
        if counts:
            data["redacted"] = counts
        with self.store.plain_write() as write:
            conn = write.conn
            incident = _find_plain(conn, query)
            entry = Entry(id=self.new_id(now), at=now, kind=kind, author=self.author, text=text,
                          hlc=ids.hlc_tick(write.last_hlc(), int(now.timestamp() * 1000)),
                          **_facts(data.get("local_only"), data.get("redacted"), data.get("sha256")))
            conn.execute(_INSERT_ENTRY, (entry.id, incident["id"], entry.hlc, at, kind, entry.author, text,
                                         json.dumps(data), "local"))
            write.newest = entry.hlc
            checked_in = ", last_update_at = ?" if kind in CHECK_IN_KINDS else ""
            conn.execute(f"UPDATE {INCIDENT.name} SET updated_at = ?{checked_in} WHERE id = ?",
                         (at, at, incident["id"]) if checked_in else (at, incident["id"]))
            if not entry.local_only:  # never leaves this machine: no outbox row at all
                self.enqueue_in(write, incident, "add_entry", entry.id,
                                _entry_payload(entry.id, now, entry.hlc, kind, entry.author, sent, data), now)
        return entry

    def set_phase(self, query: str, target: Phase) -> Entry:
        now = self.clock()
        with self.store.write() as session:
            incident = self.find_in(session, query)
            transition = plan_transition(Phase(incident.phase), target)
            incident.phase = target.value
            if transition.direction is Direction.ADVANCE:
                if target is Phase.TRIAGE and incident.acknowledged_at is None:
                    incident.acknowledged_at = now
                if target is Phase.MITIGATE:
                    incident.mitigated_at = now
                if target is Phase.RESOLVE:
                    incident.resolved_at = now
            else:
                if target.index < Phase.MITIGATE.index:
                    incident.mitigated_at = None
                if target.index < Phase.RESOLVE.index:
                    incident.resolved_at = None
            entry = self.append_in(session, incident, "phase", transition.description, now, {
                "from": transition.source.value, "to": target.value,
                "direction": transition.direction.value,
            })
            self._update_fields(session, incident, {"phase": target.value}, now)
            return _entry(entry)

    def advance_phase(self, query: str) -> Entry:
        with self.store.plain() as conn:
            phase = Phase(_find_plain(conn, query)["phase"])
        target = phase.next()
        if target is None:
            raise RuleViolation(f"The incident is already in {phase.value}, the last phase.")
        return self.set_phase(query, target)

    def step_back_phase(self, query: str) -> Entry:
        with self.store.plain() as conn:
            phase = Phase(_find_plain(conn, query)["phase"])
        target = phase.previous()
        if target is None:
            raise RuleViolation(f"The incident is in {phase.value}, the first phase.")
        return self.set_phase(query, target)

    def classify_severity(self, query: str, impact: Impact, scope: Scope, triggers: Triggers,
                          evidence: str | None = None) -> Assessment:
        """``evidence``: what the change rests on (e.g. the SLO burn behind "SLA breach imminent"), kept in the
        timeline entry."""
        return self._apply_severity(query, classify(impact, scope, triggers), impact, scope, triggers, evidence)

    def override_severity(self, query: str, severity: Severity, reason: str) -> Assessment:
        return self._apply_severity(query, override(severity, reason, self.author))

    def _apply_severity(
        self, query: str, assessment: Assessment,
        impact: Impact | None = None, scope: Scope | None = None, triggers: Triggers | None = None,
        evidence: str | None = None,
    ) -> Assessment:
        now = self.clock()
        with self.store.write() as session:
            incident = self.find_in(session, query)
            before = Severity(incident.severity)
            incident.severity = int(assessment.severity)
            incident.severity_reason = assessment.explanation
            incident.severity_overridden = assessment.overridden
            fields: dict[str, Any] = {"severity": assessment.severity.label,
                                      "severity_reason": assessment.explanation}
            if impact is not None and scope is not None and triggers is not None:
                incident.impact, incident.scope = impact.value, scope.value
                incident.triggers = triggers.as_dict()
                fields.update(impact=impact.value, scope=scope.value, triggers=triggers.as_dict())
            data: dict[str, Any] = {"from": before.label, "to": assessment.severity.label,
                                    "overridden": assessment.overridden}
            text = assessment.change_text(before)
            if evidence:
                text += f". Evidence: {evidence}"
                data["evidence"] = evidence
            self.append_in(session, incident, "severity", text, now, data)
            self._update_fields(session, incident, fields, now)
            return assessment

    def assign_role(self, query: str, role: Role, name: str) -> Entry:
        holder = _clean_name(name, "holder's name")
        now = self.clock()
        with self.store.write() as session:
            incident = self.find_in(session, query)
            return _entry(self._assign(session, incident, role, holder, now))

    def _assign(self, session: Session, incident: Incident, role: Role, holder: str, now: datetime) -> TimelineEntry:
        current = current_assignments(session, incident.id, role)
        if any(a.holder.casefold() == holder.casefold() for a in current):
            raise RuleViolation(f"{holder} already holds {role.title} on this incident.")
        data: dict[str, Any] = {"role": role.value, "holder": holder}
        if role.single_holder and current:
            previous = current[0]
            previous.until = now
            session.add(previous)
            data["previous"] = previous.holder
            kind = "handover" if role is Role.IC else "role"
            text = role.handover_text(previous.holder, holder)
        else:
            kind = "role"
            text = f"{holder} is now {role.title}"
        from cockpit.store.models import RoleAssignment

        session.add(RoleAssignment(
            id=self.new_id(now), incident_id=incident.id, role=role.value, holder=holder,
            assigned_by=self.author, since=now,
        ))
        entry = self.append_in(session, incident, kind, text, now, data)
        roles = holders_by_role(session, incident.id, every_role=True)
        self._update_fields(session, incident, {"roles": roles}, now)
        return entry

    def release_role(self, query: str, role: Role, name: str | None = None) -> Entry:
        now = self.clock()
        with self.store.write() as session:
            incident = self.find_in(session, query)
            current = current_assignments(session, incident.id, role)
            if name:
                current = [a for a in current if a.holder.casefold() == name.strip().casefold()]
                if not current:
                    raise RuleViolation(f"{name.strip()} does not hold {role.title} on this incident.")
            if not current:
                raise RuleViolation(f"Nobody holds {role.title} on this incident.")
            if len(current) > 1:
                names = ", ".join(a.holder for a in current)
                raise InvalidInput(f"Several people hold {role.title} ({names}); say which one to release.")
            holding = current[0]
            holding.until = now
            session.add(holding)
            entry = self.append_in(session, incident, "role", role.release_text(holding.holder), now,
                                 {"role": role.value, "released": holding.holder})
            roles = holders_by_role(session, incident.id, every_role=True)
            self._update_fields(session, incident, {"roles": roles}, now)
            return _entry(entry)

    def set_root_cause(self, query: str, text: str) -> Entry:
        text = clean_text(text, "root cause")
        now = self.clock()
        with self.store.write() as session:
            incident = self.find_in(session, query)
            incident.root_cause = text
            entry = self.append_in(session, incident, "decision", f"Root cause: {text}", now, {"root_cause": text})
            self._update_fields(session, incident, {"root_cause": text}, now)
            return _entry(entry)

    def render_comms(self, query: str, template: comms.Template) -> comms.RenderedComms:
        from cockpit.domain import comms

        with self.store.plain() as conn:
            snapshot = _snapshot_plain(conn, _find_plain(conn, query))
        return comms.render(template, snapshot, self.clock())

    def record_comms_sent(self, query: str, template: comms.Template, text: str | None = None) -> Entry:
        """Log that a filled template went out (``text``: exactly what was copied, when given); it counts as
        a status update (restarts the countdown)."""
        from cockpit.domain import comms

        now = self.clock()
        with self.store.write() as session:
            incident = self.find_in(session, query)
            sent = text if text is not None else comms.render(template, snapshot_of(session, incident), now).text
            entry = self.append_in(session, incident, "comms", comms.sent_text(template, sent),
                                 now, {"template": template.value})
            return _entry(entry)

    # --- reading (plain sqlite3: no ORM) --------------------------------------------------
    def list_incidents(self, include_closed: bool = False, limit: int | None = None) -> list[IncidentSummary]:
        open_phases = [p.value for p in Phase if p.is_open]
        closed = [p.value for p in Phase if not p.is_open]
        closed_last = f"phase IN ({', '.join('?' * len(closed))})"
        # open incidents most severe first (a relaunch lands on the SEV1, not on the SEV3 someone just
        # noted something on), then by activity; closed ones by activity alone
        query = INCIDENT.select(_SUMMARY)
        params: list[Any] = []
        if not include_closed:
            query += f" WHERE phase IN ({', '.join('?' * len(open_phases))})"
            params += open_phases
        query += f" ORDER BY {closed_last}, CASE WHEN {closed_last} THEN 0 ELSE severity END, updated_at DESC"
        params += closed + closed
        if limit:
            query += " LIMIT ?"
            params.append(limit)
        with self.store.plain() as conn:
            incidents = [INCIDENT.decode(row, _SUMMARY) for row in conn.execute(query, params)]
            ics = commanders_plain(conn, [i["id"] for i in incidents])
        summaries = [
            IncidentSummary(
                id=i["id"], ref=ids.display_ref(i["ref_key"]), title=i["title"], severity=Severity(i["severity"]),
                phase=Phase(i["phase"]), declared_at=i["declared_at"], updated_at=i["updated_at"],
                commander=ics.get(i["id"]), services=tuple(i["services"]), last_update_at=i["last_update_at"],
            )
            for i in incidents
        ]
        # open first, then closed (the query's order, kept by a stable sort)
        return sorted(summaries, key=lambda s: not s.phase.is_open)

    def get(self, query: str, with_timeline: bool = True) -> IncidentDetail:
        with self.store.plain() as conn:
            return self._detail(conn, query, with_timeline)

    @contextmanager
    def streamed(self, query: str, tail: int | None = None) -> Iterator[tuple[IncidentDetail, Iterator[EntryRow]]]:
        """``get`` without the timeline, and the timeline (its last ``tail`` entries when given) as rows to write out
        one by one, from one snapshot: ``show --json`` at 100,000 entries builds no ``Entry`` and parses no time."""
        with self.store.plain() as conn:
            detail = self._detail(conn, query, with_timeline=False)
            yield detail, _entry_rows(conn, detail.snapshot.id, tail)

    def _detail(self, conn: sqlite3.Connection, query: str, with_timeline: bool) -> IncidentDetail:
        now = self.clock()
        newest: int | None = getattr(self._window, "count", None)
        earlier = 0
        incident = _find_plain(conn, query)
        snapshot = _snapshot_plain(conn, incident)
        if not with_timeline:
            timeline = []
        elif newest is None:
            timeline = _timeline(conn, incident["id"])
        else:
            timeline, earlier = _newest(conn, incident["id"], newest)
        history = holdings_plain(conn, incident["id"], current_only=False)
        return IncidentDetail(
            snapshot=snapshot,
            timeline=timeline,
            role_history=history,
            warnings=check_roles(snapshot.roles, snapshot.severity, snapshot.phase),
            check_in=cadence.next_check_in(snapshot.severity, snapshot.phase, snapshot.check_in_base, now),
            metrics=compute_metrics(snapshot, now),
            earlier=earlier,
        )

    def get_newest(self, query: str, count: int) -> IncidentDetail:
        """``get`` with only the incident's newest ``count`` entries (one query down the (incident, stamp) index,
        so the read does not grow with the incident); ``earlier`` says how many come before them, and
        ``timeline_before`` brings those. It goes through ``get`` itself: one read path, seen by whatever watches
        ``get``."""
        if count < 1:
            raise ValueError("get_newest reads at least one entry")
        self._window.count = count
        try:
            return self.get(query)
        finally:
            self._window.count = None

    def timeline_before(self, incident_id: str, first: Entry) -> list[Entry]:
        """Every entry of one incident ordered before ``first`` (by stamp, ties by id), oldest first: the part
        ``get_newest`` left out."""
        with self.store.plain() as conn:
            return _entries(conn, _ENTRY_SELECT_BEFORE, (incident_id, first.hlc, first.hlc, first.id))

    def timeline_since(self, incident_id: str, after_hlc: int) -> list[Entry]:
        """Entries of one incident written after the stamp ``after_hlc`` (for live refresh)."""
        with self.store.plain() as conn:
            return _timeline(conn, incident_id, after_hlc)

    def timeline_count(self, incident_id: str) -> int:
        """How many entries the incident has (an entry that arrived late sorts before the newest: compare this
        with what is shown to notice it)."""
        with self.store.plain() as conn:
            return int(conn.execute(f"SELECT count(*) FROM {TIMELINE_ENTRY.name} WHERE incident_id = ?",
                                    (incident_id,)).fetchone()[0])

    def change_token(self, incident_id: str | None = None) -> tuple[str, int]:
        """A cheap fingerprint that changes whenever anything (or one incident) changes: poll it."""
        stamp = f"SELECT max(hlc) FROM {TIMELINE_ENTRY.name}"
        latest = f"SELECT max(updated_at) FROM {INCIDENT.name}"
        params: tuple[str, ...] = ()
        if incident_id is not None:
            stamp += " WHERE incident_id = ?"
            latest += " WHERE id = ?"
            params = (incident_id,)
        with self.store.plain() as conn:
            newest = conn.execute(latest, params).fetchone()[0]
            hlc = conn.execute(stamp, params).fetchone()[0]
        return (from_db_time(newest).isoformat() if newest else "", int(hlc or 0))

    def pending_outbox(self) -> int:
        with self.store.plain() as conn:
            return int(conn.execute("SELECT count(*) FROM outbox_op WHERE state = ?",
                                    (OutboxState.PENDING.value,)).fetchone()[0])


# --- mapping rows to domain pictures ------------------------------------------------------
def _holding(a: RoleAssignment) -> RoleHolding:
    return RoleHolding(role=Role(a.role), holder=a.holder, since=a.since, until=a.until)


def _entry(row: TimelineEntry) -> Entry:
    data = row.data or {}
    return Entry(id=row.id, at=row.at, kind=row.kind, author=row.author, text=row.text, hlc=row.hlc,
                 arrived_late_at=row.arrived_late_at, **_facts(bool(data.get("local_only")), data.get("redacted"),
                                                             data.get("sha256")))


def _facts(local_only: Any, redacted: Any, sha256: Any) -> dict[str, Any]:
    """An entry's local facts from its data (parsed defensively: the data may have come from another cockpit)."""
    if isinstance(redacted, str):  # json_extract hands an object back as its JSON text
        try:
            redacted = json.loads(redacted)
        except ValueError:
            redacted = None
    counts = tuple(sorted((str(k), v) for k, v in redacted.items() if isinstance(v, int))) \
        if isinstance(redacted, dict) else ()
    return {"local_only": bool(local_only), "redacted": counts, "sha256": sha256 if isinstance(sha256, str) else ""}


def _entry_payload(entry_id: str, at: datetime, hlc: int, kind: str, author: str, text: str,
                   data: dict[str, Any]) -> dict[str, Any]:
    """What the tracker is sent for a new entry (the outbox row's payload)."""
    return {"id": entry_id, "at": at.isoformat(), "hlc": hlc, "kind": kind, "author": author, "text": text,
            "data": data}


_INSERT_ENTRY = TIMELINE_ENTRY.insert(("id", "incident_id", "hlc", "at", "kind", "author", "text", "data", "origin"))
_INSERT_OUTBOX = OUTBOX_OP.insert(("id", "incident_id", "op", "entity_id", "payload", "created_at", "state",
                                   "attempts"))

#: The incident columns a summary (the list) needs.
_SUMMARY = ("id", "ref_key", "title", "severity", "phase", "declared_at", "updated_at", "services", "last_update_at")
#: An entry's columns, then its local facts from ``data`` (local-only, what was redacted, the evidence's hash).
_ENTRY_COLUMNS = (f"SELECT {', '.join(ENTRY_FIELDS)}, json_extract(data, '$.local_only'), "
                  "json_extract(data, '$.redacted'), json_extract(data, '$.sha256') "
                  f"FROM {TIMELINE_ENTRY.name} WHERE incident_id = ?")
_ENTRY_SELECT = f"{_ENTRY_COLUMNS} AND hlc > ? ORDER BY hlc, id"
#: Ordered before one entry (stamp, then id): the index narrows by stamp, the id decides ties.
_BEFORE = "hlc <= ? AND (hlc < ? OR id < ?)"
_ENTRY_SELECT_BEFORE = f"{_ENTRY_COLUMNS} AND {_BEFORE} ORDER BY hlc, id"
_ENTRY_SELECT_NEWEST = f"{_ENTRY_COLUMNS} ORDER BY hlc DESC, id DESC LIMIT ?"
_COUNT_BEFORE = f"SELECT count(*) FROM {TIMELINE_ENTRY.name} WHERE incident_id = ? AND {_BEFORE}"


def _entries(conn: sqlite3.Connection, query: str, params: Sequence[Any]) -> list[Entry]:
    """Entries as ``_ENTRY_COLUMNS`` reads them."""
    parse = from_db_time
    return [Entry(id=r[0], at=parse(r[1]), kind=r[2], author=r[3], text=r[4], hlc=r[5],
                  arrived_late_at=None if r[6] is None else parse(r[6]), **_facts(r[7], r[8], r[9]))
            for r in conn.execute(query, params)]


def _timeline(conn: sqlite3.Connection, incident_id: str, after_hlc: int = 0) -> list[Entry]:
    """One order on every cockpit: the author's clock stamp (it travels with the entry), ties by id."""
    return _entries(conn, _ENTRY_SELECT, (incident_id, after_hlc))


def _newest(conn: sqlite3.Connection, incident_id: str, count: int) -> tuple[list[Entry], int]:
    """The newest ``count`` entries, oldest first, and how many come before them."""
    newest = _entries(conn, _ENTRY_SELECT_NEWEST, (incident_id, count))
    newest.reverse()
    if len(newest) < count:
        return newest, 0
    first = newest[0]
    return newest, int(conn.execute(_COUNT_BEFORE, (incident_id, first.hlc, first.hlc, first.id)).fetchone()[0])


#: One timeline entry as ``show --json`` writes it: id, time (as stored), kind, author, text, arrived late at (as
#: stored, or None), then its local facts: local-only, what was redacted, the evidence's hash.
EntryRow = tuple[str, str, str, str, str, str | None, bool, tuple[tuple[str, int], ...], str]
_ROW_COLUMNS = "id, at, kind, author, text, arrived_late_at, data"
_ROWS_SELECT = f"SELECT {_ROW_COLUMNS} FROM {TIMELINE_ENTRY.name} WHERE incident_id = ? ORDER BY hlc, id"
_TAIL_SELECT = (f"SELECT {_ROW_COLUMNS} FROM (SELECT {_ROW_COLUMNS}, hlc FROM {TIMELINE_ENTRY.name} "
                "WHERE incident_id = ? ORDER BY hlc DESC, id DESC LIMIT ?) ORDER BY hlc, id")


def _entry_rows(conn: sqlite3.Connection, incident_id: str, tail: int | None) -> Iterator[EntryRow]:
    """The timeline in its one order (as ``_timeline``), as plain rows; an entry's data is parsed only when it holds
    something (most hold ``{}``)."""
    cursor = conn.execute(_ROWS_SELECT, (incident_id,)) if tail is None else \
        conn.execute(_TAIL_SELECT, (incident_id, tail))
    for entry_id, at, kind, author, text, late, data in cursor:
        if data == "{}" or data is None:
            yield entry_id, at, kind, author, text, late, False, (), ""
            continue
        try:
            found = json.loads(data)
        except ValueError:
            found = None
        facts = _facts(found.get("local_only"), found.get("redacted"), found.get("sha256")) \
            if isinstance(found, dict) else _facts(None, None, None)
        yield entry_id, at, kind, author, text, late, facts["local_only"], facts["redacted"], facts["sha256"]


def _match(query: str, by_id: Callable[[str], T | None], by_prefix: Callable[[str], Sequence[T]],
           ref_key: Callable[[T], str]) -> T:
    """The one incident a full id, a reference or a unique prefix of one names (ORM or plain rows alike)."""
    text = query.strip()
    if len(text) == 36 and text.count("-") == 4:
        found = by_id(text.lower())
        if found is not None:
            return found
        raise NotFound(f"No incident has the id {text}.")
    # a range, not LIKE: the unique index on ref_key answers it ("~" sorts after every Crockford letter)
    matches = by_prefix(ids.normalize_ref_query(text))
    if not matches:
        raise NotFound(f"No incident matches '{query}'; `cockpit incident list --all` shows every reference.")
    if len(matches) > 1:
        shown = ", ".join(ids.display_ref(ref_key(m)) for m in matches[:5])
        more = " and more" if len(matches) > 5 else ""
        raise Ambiguous(f"'{query}' matches several incidents ({shown}{more}); type more characters.")
    return matches[0]


def _find_plain(conn: sqlite3.Connection, query: str) -> dict[str, Any]:
    """``find_in`` on a plain connection: the incident's columns as Python values."""
    def rows(where: str, *params: str) -> list[dict[str, Any]]:
        return [INCIDENT.decode(row) for row in conn.execute(f"{INCIDENT.select()} {where}", params)]

    return _match(query, lambda key: next(iter(rows("WHERE id = ?", key)), None),
                  lambda key: rows("WHERE ref_key >= ? AND ref_key < ? ORDER BY ref_key LIMIT 6", key, key + "~"),
                  lambda found: str(found["ref_key"]))


def _snapshot_plain(conn: sqlite3.Connection, incident: dict[str, Any]) -> IncidentSnapshot:
    return _snapshot(incident, tuple(holdings_plain(conn, incident["id"])))


def snapshot_of(session: Session, incident: Incident) -> IncidentSnapshot:
    roles = current_assignments(session, incident.id)
    return _snapshot({name: getattr(incident, name) for name in INCIDENT.columns},
                     tuple(_holding(a) for a in roles))


def _snapshot(i: dict[str, Any], roles: tuple[RoleHolding, ...]) -> IncidentSnapshot:
    """The domain's picture of an incident from its columns (read by the ORM or by plain sqlite3)."""
    return IncidentSnapshot(
        id=i["id"], ref=ids.display_ref(i["ref_key"]), title=i["title"],
        services=tuple(i["services"]), impact=Impact(i["impact"]), scope=Scope(i["scope"]),
        triggers=Triggers.from_dict(i["triggers"]), severity=Severity(i["severity"]),
        severity_reason=i["severity_reason"], severity_overridden=i["severity_overridden"],
        phase=Phase(i["phase"]), declared_at=i["declared_at"], started_at=i["started_at"],
        acknowledged_at=i["acknowledged_at"], mitigated_at=i["mitigated_at"],
        resolved_at=i["resolved_at"], last_update_at=i["last_update_at"],
        root_cause=i["root_cause"], roles=roles, kind=i["kind"],
    )


def incident_payload(incident: Incident) -> dict[str, Any]:
    """What a ``create_incident`` outbox row carries to the tracker."""
    return {
        "id": incident.id, "ref": ids.display_ref(incident.ref_key), "title": incident.title,
        "services": incident.services, "impact": incident.impact, "scope": incident.scope,
        "triggers": incident.triggers, "severity": Severity(incident.severity).label,
        "severity_reason": incident.severity_reason, "phase": incident.phase,
        "declared_by": incident.declared_by, "declared_at": incident.declared_at.isoformat(),
    }
