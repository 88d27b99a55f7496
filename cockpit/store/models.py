"""The SQLModel tables. Their shape must match the newest migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from cockpit.store.types import UTCDateTime


def _time(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Incident(SQLModel, table=True):
    __tablename__ = "incident"

    id: str = Field(primary_key=True, max_length=36)
    ref_key: str = Field(unique=True, index=True, max_length=16)
    title: str
    services: list[str] = _json(list)
    impact: str
    scope: str
    triggers: dict[str, bool] = _json(dict)
    severity: int
    severity_reason: str
    severity_overridden: bool = False
    phase: str = Field(index=True)
    declared_by: str
    declared_at: datetime = _time()
    started_at: datetime | None = _time(nullable=True)
    acknowledged_at: datetime | None = _time(nullable=True)
    mitigated_at: datetime | None = _time(nullable=True)
    resolved_at: datetime | None = _time(nullable=True)
    last_update_at: datetime | None = _time(nullable=True)
    updated_at: datetime = _time(index=True)
    root_cause: str = ""


class TimelineEntry(SQLModel, table=True):
    """Append-only: SQLite triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "timeline_entry"
    __table_args__ = (Index("ix_timeline_incident_hlc", "incident_id", "hlc"),)

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(foreign_key="incident.id")
    hlc: int = Field(index=True)
    at: datetime = _time()
    kind: str
    author: str
    text: str
    data: dict[str, Any] = _json(dict)
    origin: str = "local"
    #: Set on an entry that reached this cockpit after entries that sort after it (migration 0008): when it came.
    arrived_late_at: datetime | None = _time(nullable=True)


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    role: str
    holder: str
    assigned_by: str
    since: datetime = _time()
    until: datetime | None = _time(nullable=True)


class OutboxOp(SQLModel, table=True):
    """One change waiting to reach the tracker. ``id`` is the idempotency key, fixed at write time."""

    __tablename__ = "outbox_op"

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, max_length=36)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    op: str
    entity_id: str
    payload: dict[str, Any] = _json(dict)
    created_at: datetime = _time()
    state: str = Field(default="pending", index=True)  # an OutboxState (cockpit.domain.incident)
    attempts: int = 0
    next_attempt_at: datetime | None = _time(nullable=True)
    last_error: str | None = None


class StoreMeta(SQLModel, table=True):
    __tablename__ = "store_meta"

    key: str = Field(primary_key=True)
    value: str


class Shift(SQLModel, table=True):
    """One on-call shift of the rotation (added by migration 0002)."""

    __tablename__ = "shift"

    id: str = Field(primary_key=True, max_length=36)
    responder: str = Field(index=True)
    position: str = "primary"  # primary | secondary
    starts_at: datetime = _time(index=True)
    ends_at: datetime = _time()


class Page(SQLModel, table=True):
    """One page sent to the on-call engineer (added by migration 0002)."""

    __tablename__ = "page"

    id: str = Field(primary_key=True, max_length=36)
    at: datetime = _time(index=True)
    responder: str
    service: str = ""
    alert_name: str = ""
    acknowledged_at: datetime | None = _time(nullable=True)
    incident_id: str | None = Field(default=None, foreign_key="incident.id")
    false_positive: bool = False


class RunbookRun(SQLModel, table=True):
    """A runbook being walked on an incident (added by migration 0003). Step outcomes are timeline entries."""

    __tablename__ = "runbook_run"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    runbook_id: str
    runbook_title: str
    started_by: str
    started_at: datetime = _time()
    section: str = "diagnosis"  # diagnosis | mitigation | done
    option: int | None = None
    step_index: int = 0
    escalated_at: datetime | None = _time(nullable=True)
    updated_at: datetime = _time()
    #: the runbook as it was when the run started (migration 0009_safe3am); None for older runs
    runbook: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ActionItemRow(SQLModel, table=True):
    """A postmortem action item, AI-<number> (added by migration 0004)."""

    __tablename__ = "action_item"

    id: str = Field(primary_key=True, max_length=36)
    number: int = Field(unique=True)
    incident_id: str | None = Field(default=None, foreign_key="incident.id", index=True)
    type: str = "prevent"
    description: str
    owner: str = ""
    priority: str = "P1"
    deadline: str | None = None  # YYYY-MM-DD
    status: str = "open"
    ticket: str = ""
    source_entry_id: str | None = None
    created_at: datetime = _time()
    done_at: datetime | None = _time(nullable=True)


class HandoffRow(SQLModel, table=True):
    """An on-call handoff in the seed's template shape (added by migration 0004)."""

    __tablename__ = "handoff"

    id: str = Field(primary_key=True, max_length=36)
    number: int = Field(unique=True)
    author: str
    created_at: datetime = _time()
    updated_at: datetime = _time()
    sections: dict[str, Any] = _json(dict)
    signed_at: datetime | None = _time(nullable=True)
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = _time(nullable=True)
    recipient: str | None = None  # who the handoff is for (migration 0009_safe3am)


class RemoteLink(SQLModel, table=True):
    """Which tracker item mirrors a local incident or entry (added by migration 0005)."""

    __tablename__ = "remote_link"

    tracker: str = Field(primary_key=True)
    local_id: str = Field(primary_key=True, max_length=36)
    kind: str
    remote_id: str


class SyncState(SQLModel, table=True):
    """Per tracker: pull cursor, last successes, reachability (added by migration 0005)."""

    __tablename__ = "sync_state"

    tracker: str = Field(primary_key=True)
    pull_cursor: datetime | None = _time(nullable=True)
    last_push_at: datetime | None = _time(nullable=True)
    last_pull_at: datetime | None = _time(nullable=True)
    last_attempt_at: datetime | None = _time(nullable=True)
    reachable: bool = True
    login_needed: bool = False
    last_error: str | None = None
    remote_state: dict[str, Any] = _json(dict)  # per incident: the field values last agreed with the tracker
    #: The tracker's identity (kind and address; migration 0008): ids of comments written in the tracker derive
    #: from it, so they do not depend on the name this cockpit gave the tracker.
    identity: str | None = None
    #: The address answers, but not as the configured tracker (a 404 at its API): sync waits for the settings.
    url_wrong: bool = False


class Conflict(SQLModel, table=True):
    """A field both sides changed; the losing value stays visible and restorable (added by migration 0005)."""

    __tablename__ = "conflict"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    field: str
    local_value: str
    remote_value: str
    kept: str
    local_at: datetime | None = _time(nullable=True)
    remote_at: datetime | None = _time(nullable=True)
    remote_author: str = ""
    at: datetime = _time()
    restored: bool = False
    #: Who made the local side's value (migration 0008; before, the deciding cockpit was assumed).
    local_author: str = ""
    #: Set when the incident rules refused the tracker's value (migration 0008): why it was not taken.
    reason: str | None = None


class ParkedRecord(SQLModel, table=True):
    """Something the tracker sent that the cockpit could not take (unreadable, or refused by the rules), kept
    aside with its reason while the rest syncs (added by migration 0008). A later pull that reads it fine
    releases it; ``cockpit sync retry`` releases it by hand and reads the tracker again."""

    __tablename__ = "parked_record"

    id: str = Field(primary_key=True, max_length=36)  # uuid5 of tracker, kind and remote id: stable across pulls
    tracker: str = Field(index=True)
    kind: str  # incident | entry | field | listing
    remote_id: str
    what: str  # "issue 42", "message 17 on issue 42", "severity of issue 42", "the issue listing"
    reason: str
    incident_id: str | None = None  # the cockpit UUID it belongs to, when known (not necessarily held here)
    first_seen_at: datetime = _time()
    last_seen_at: datetime = _time()
    times: int = 1


class PublishedUpdate(SQLModel, table=True):
    """A comms message the incident commander made public: the status page shows these and nothing else written
    by people (added by migration 0006_web). Append-only, like the timeline entry that records it."""

    __tablename__ = "published_update"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(foreign_key="incident.id")
    entry_id: str = Field(foreign_key="timeline_entry.id", max_length=36)
    template: str  # customer | resolution
    public_title: str
    text: str
    published_by: str
    published_at: datetime = _time()


class SloReading(SQLModel, table=True):
    """The last figures read for one SLO, kept so the cockpit shows them with their age when the source is down
    (added by migration 0007_slo). ``payload`` is the domain's ``SloEvaluation.as_dict()``."""

    __tablename__ = "slo_reading"

    slo_key: str = Field(primary_key=True)
    service: str = Field(index=True)
    payload: dict[str, Any] = _json(dict)
    read_at: datetime | None = _time(nullable=True)  # the last successful read
    attempted_at: datetime = _time()  # the last try, successful or not
    error: str | None = None  # why the last try failed


class IncidentBudget(SQLModel, table=True):
    """An SLO's error budget around one incident: remaining at declaration and at resolution, and the share of the
    window's budget the incident's own errors took (added by migration 0007_slo)."""

    __tablename__ = "incident_budget"

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=36)
    slo_key: str = Field(primary_key=True)
    declared_remaining: float | None = None
    resolved_remaining: float | None = None
    consumed_pct: float | None = None
    consumed_until: datetime | None = _time(nullable=True)
    resolved: bool = False  # the figures at resolution are in: nothing more to read


class AlertLogRow(SQLModel, table=True):
    """One alert as Alertmanager reported it, by fingerprint (added by migration 0010_alerts): fired, silenced or
    resolved, first and last seen, the incident it belongs to. Kept so the alerts show, with their age, offline."""

    __tablename__ = "alert_log"

    fingerprint: str = Field(primary_key=True, max_length=32)
    name: str
    service: str
    level: str | None = None  # P0..P3, or None when the severity label names no level
    group_key: str = Field(index=True)
    labels: dict[str, str] = _json(dict)
    annotations: dict[str, str] = _json(dict)
    state: str = Field(index=True)  # firing | silenced | resolved
    starts_at: datetime = _time(index=True)
    first_seen_at: datetime = _time()
    last_seen_at: datetime = _time()
    resolved_at: datetime | None = _time(nullable=True)
    incident_id: str | None = Field(default=None, foreign_key="incident.id")
    acknowledged_at: datetime | None = _time(nullable=True)
    acknowledged_by: str | None = None
    false_positive: bool = False
    fired_count: int = 1


class AlertSilenceRow(SQLModel, table=True):
    """An acknowledgement's silence (added by migration 0010_alerts). Written before it is sent: ``pending`` until
    Alertmanager holds it (``active``), ``expiring`` once the incident resolved, then ``expired``. The comment
    carries ``[cockpit:<id>]``, looked for before creating, so it exists at most once however often it is sent."""

    __tablename__ = "alert_silence"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str | None = Field(default=None, foreign_key="incident.id")
    reference: str
    target: str  # "alert <fingerprint>" or "group <key>"
    matchers: list[dict[str, Any]] = _json(list)
    created_by: str
    comment: str
    starts_at: datetime = _time()
    ends_at: datetime = _time()
    state: str = Field(default="pending", index=True)
    remote_id: str | None = None
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = _time()


class AlertSourceState(SQLModel, table=True):
    """The alert source's last poll (added by migration 0010_alerts): when it last answered, why not since, and the
    records it sent that could not be read."""

    __tablename__ = "alert_source_state"

    name: str = Field(primary_key=True)
    last_ok_at: datetime | None = _time(nullable=True)
    attempted_at: datetime | None = _time(nullable=True)
    error: str | None = None
    quarantined: list[str] = _json(list)
