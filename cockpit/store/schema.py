"""The tables the plain read path uses, by name, and how their stored values read back: without SQLAlchemy.

The read-only commands and the first frame read with the standard library's ``sqlite3`` (importing the ORM
costs most of a second); the ORM models in ``models.py`` stay the shape the migrations build. This module
names each table's columns once; ``tests/unit/store/test_schema_names.py`` checks it against the models, so a
column added to a model and not here (or the other way) fails a test rather than a read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cockpit.errors import StoreError

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: every stored time must be timezone-aware UTC")
    return value.astimezone(UTC).strftime(ISO_FORMAT)


def unreadable(table: str, column: str, raw: object) -> StoreError:
    """A stored value the cockpit cannot read (a file edited by hand or by another tool): one sentence naming it."""
    shown = repr(raw) if len(repr(raw)) <= 60 else f"{repr(raw)[:57]}..."
    return StoreError(f"The database holds a value that cannot be read in {table}.{column} ({shown}); fix or "
                      "remove that record, or restore the database from a backup.")


def from_db_time(value: str) -> datetime:
    # fromisoformat is many times faster than strptime, which matters for 100,000-entry timelines
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class Table:
    """One table: its name, every column, and which columns hold times, JSON or flags."""

    name: str
    columns: tuple[str, ...]
    times: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()  # JSON
    flags: frozenset[str] = frozenset()  # booleans, stored as 0/1

    def select(self, names: Sequence[str] | None = None) -> str:
        """``SELECT a, b FROM table`` for these columns (all by default); unknown names are refused."""
        return f"SELECT {', '.join(self._known(names))} FROM {self.name}"

    def insert(self, names: Sequence[str]) -> str:
        """``INSERT INTO table (a, b) VALUES (?, ?)``; unknown names are refused."""
        chosen = self._known(names)
        return f"INSERT INTO {self.name} ({', '.join(chosen)}) VALUES ({', '.join('?' * len(chosen))})"

    def _known(self, names: Sequence[str] | None) -> tuple[str, ...]:
        chosen = tuple(names) if names is not None else self.columns
        if unknown := [n for n in chosen if n not in self.columns]:
            raise KeyError(f"{self.name} has no column {', '.join(unknown)}")
        return chosen

    def values(self, record: object) -> dict[str, Any]:
        """An ORM row's columns by name (the same mapping ``decode`` gives for a plain row)."""
        return {name: getattr(record, name) for name in self.columns}

    def rows(self, conn: sqlite3.Connection, tail: str = "", params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every column of the rows ``SELECT ... FROM table {tail}`` finds, decoded."""
        return [self.decode(row) for row in conn.execute(f"{self.select()} {tail}", params)]

    def decode(self, row: Sequence[Any], names: Sequence[str] | None = None) -> dict[str, Any]:
        """A row of these columns as Python values, as the ORM would read them."""
        values: dict[str, Any] = {}
        for name, raw in zip(names if names is not None else self.columns, row, strict=True):
            if raw is None:
                values[name] = None
            elif name in self.times or name in self.documents:
                try:
                    values[name] = from_db_time(raw) if name in self.times else json.loads(raw)
                except (ValueError, TypeError, RecursionError):
                    raise unreadable(self.name, name, raw) from None
            elif name in self.flags:
                values[name] = bool(raw)
            else:
                values[name] = raw
        return values


INCIDENT = Table(
    "incident",
    ("id", "ref_key", "title", "services", "impact", "scope", "triggers", "severity", "severity_reason",
     "severity_overridden", "phase", "declared_by", "declared_at", "started_at", "acknowledged_at", "mitigated_at",
     "resolved_at", "last_update_at", "updated_at", "root_cause", "kind", "to_tracker"),
    times=frozenset({"declared_at", "started_at", "acknowledged_at", "mitigated_at", "resolved_at", "last_update_at",
                     "updated_at"}),
    documents=frozenset({"services", "triggers"}),
    flags=frozenset({"severity_overridden", "to_tracker"}),
)

TIMELINE_ENTRY = Table(
    "timeline_entry",
    ("id", "incident_id", "hlc", "at", "kind", "author", "text", "data", "origin", "arrived_late_at"),
    times=frozenset({"at", "arrived_late_at"}),
    documents=frozenset({"data"}),
)

ROLE_ASSIGNMENT = Table(
    "role_assignment",
    ("id", "incident_id", "role", "holder", "assigned_by", "since", "until"),
    times=frozenset({"since", "until"}),
)

OUTBOX_OP = Table(
    "outbox_op",
    ("seq", "id", "incident_id", "op", "entity_id", "payload", "created_at", "state", "attempts", "next_attempt_at",
     "last_error"),
    times=frozenset({"created_at", "next_attempt_at"}),
    documents=frozenset({"payload"}),
)

SLO_READING = Table(
    "slo_reading",
    ("slo_key", "service", "payload", "read_at", "attempted_at", "error"),
    times=frozenset({"read_at", "attempted_at"}),
    documents=frozenset({"payload"}),
)

INCIDENT_BUDGET = Table(
    "incident_budget",
    ("incident_id", "slo_key", "declared_remaining", "resolved_remaining", "consumed_pct", "consumed_until",
     "resolved"),
    times=frozenset({"consumed_until"}),
    flags=frozenset({"resolved"}),
)

SHIFT = Table(
    "shift",
    ("id", "responder", "position", "starts_at", "ends_at"),
    times=frozenset({"starts_at", "ends_at"}),
)

PAGE = Table(
    "page",
    ("id", "at", "responder", "service", "alert_name", "acknowledged_at", "incident_id", "false_positive"),
    times=frozenset({"at", "acknowledged_at"}),
    flags=frozenset({"false_positive"}),
)

ACTION_ITEM = Table(
    "action_item",
    ("id", "number", "incident_id", "type", "description", "owner", "priority", "deadline", "status", "ticket",
     "source_entry_id", "created_at", "done_at"),
    times=frozenset({"created_at", "done_at"}),
)

HANDOFF = Table(
    "handoff",
    ("id", "number", "author", "created_at", "updated_at", "sections", "signed_at", "acknowledged_by",
     "acknowledged_at", "recipient"),
    times=frozenset({"created_at", "updated_at", "signed_at", "acknowledged_at"}),
    documents=frozenset({"sections"}),
)

ALERT_LOG = Table(
    "alert_log",
    ("fingerprint", "name", "service", "level", "group_key", "labels", "annotations", "state", "starts_at",
     "first_seen_at", "last_seen_at", "resolved_at", "incident_id", "acknowledged_at", "acknowledged_by",
     "false_positive", "fired_count"),
    times=frozenset({"starts_at", "first_seen_at", "last_seen_at", "resolved_at", "acknowledged_at"}),
    documents=frozenset({"labels", "annotations"}),
    flags=frozenset({"false_positive"}),
)

#: The tables the plain path reads or writes, checked against the ORM models by a test.
TABLES = (INCIDENT, TIMELINE_ENTRY, ROLE_ASSIGNMENT, OUTBOX_OP, SLO_READING, INCIDENT_BUDGET, SHIFT, PAGE,
          ACTION_ITEM, HANDOFF, ALERT_LOG)

#: The columns the timeline shows, in the order ``Entry`` takes them.
ENTRY_FIELDS = ("id", "at", "kind", "author", "text", "hlc", "arrived_late_at")
