"""A read-only picture of one incident, as the core's rules need it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role, RoleHolding, current_holders
from cockpit.domain.severity import Impact, Scope, Severity, Triggers


class EntryKind(StrEnum):
    """Kinds of timeline entries. People write the first six; the cockpit writes the rest."""

    NOTE = "note"
    DECISION = "decision"
    ACTION = "action"
    STATUS = "status"
    CHANGE = "change"
    DEPLOY = "deploy"
    PHASE = "phase"
    SEVERITY = "severity"
    ROLE = "role"
    HANDOVER = "handover"
    COMMS = "comms"
    DECLARED = "declared"
    SYSTEM = "system"
    RUNBOOK = "runbook"
    CONFLICT = "conflict"
    ALERT = "alert"  # from Alertmanager: fired, attached, silenced, resolved


ENTRY_KINDS: tuple[str, ...] = tuple(kind.value for kind in EntryKind)
#: What a person may type (``cockpit note --kind``, the entry line's /d /a /s /c prefixes).
PERSON_KINDS: tuple[str, ...] = tuple(kind.value for kind in EntryKind)[:6]
#: Written by the cockpit's own rules: shown alike as "system" lines in the timeline.
RULE_KINDS: frozenset[str] = frozenset({EntryKind.PHASE, EntryKind.SEVERITY, EntryKind.ROLE, EntryKind.HANDOVER,
                                        EntryKind.DECLARED, EntryKind.SYSTEM, EntryKind.CONFLICT})
#: Kinds that count as a status update for the check-in cadence.
CHECK_IN_KINDS: frozenset[str] = frozenset({EntryKind.STATUS, EntryKind.COMMS})


@dataclass(frozen=True, slots=True)  # a 100,000-entry timeline: no per-entry dict
class Entry:
    id: str
    at: datetime
    kind: str
    author: str
    text: str
    hlc: int = 0  # causal order stamp (hybrid logical clock); larger is later
    arrived_late_at: datetime | None = None  # reached this cockpit after entries that sort after it


@dataclass(frozen=True)
class IncidentSnapshot:
    id: str
    ref: str
    title: str
    services: tuple[str, ...]
    impact: Impact
    scope: Scope
    triggers: Triggers
    severity: Severity
    severity_reason: str
    severity_overridden: bool
    phase: Phase
    declared_at: datetime
    started_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    last_update_at: datetime | None = None
    root_cause: str = ""
    roles: tuple[RoleHolding, ...] = field(default_factory=tuple)
    kind: str = "incident"  # or "exercise": a Game Day, never counted in the figures

    @property
    def exercise(self) -> bool:
        return self.kind == "exercise"

    def holders(self, role: Role) -> list[str]:
        return [h.holder for h in current_holders(self.roles)[role]]

    @property
    def commander(self) -> str | None:
        names = self.holders(Role.IC)
        return names[0] if names else None

    @property
    def check_in_base(self) -> datetime:
        return self.last_update_at or self.declared_at


class OutboxState(StrEnum):
    """Where a queued change to the tracker stands."""

    PENDING = "pending"  # waiting to be sent (or to be sent again)
    SENT = "sent"  # the tracker has it
    DEAD = "dead"  # refused for good: shown until a person retries it
