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
    state: str = Field(default="pending", index=True)
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
    #: the runbook as it was when the run started (migration 0006_safe3am); None for older runs
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
    recipient: str | None = None  # who the handoff is for (migration 0006_safe3am)


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
