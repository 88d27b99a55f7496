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
    EVIDENCE = "evidence"  # text piped in (`cockpit note REF -`, `--file`): folded in the timeline
    COMMAND = "command"  # a command line typed in `cockpit shell REF`, secrets redacted
    CHECKIN = "checkin"  # a role's check-in set, done or overdue (domain/role_watch.py)
    FATIGUE = "fatigue"  # the role board suggested an IC handover (domain/role_watch.py)


ENTRY_KINDS: tuple[str, ...] = tuple(kind.value for kind in EntryKind)
#: What a person may type (``cockpit note --kind``, the entry line's /d /a /s /c prefixes).
PERSON_KINDS: tuple[str, ...] = tuple(kind.value for kind in EntryKind)[:6]
#: Written by the cockpit's own rules: shown alike as "system" lines in the timeline.
RULE_KINDS: frozenset[str] = frozenset({EntryKind.PHASE, EntryKind.SEVERITY, EntryKind.ROLE, EntryKind.HANDOVER,
                                        EntryKind.DECLARED, EntryKind.SYSTEM, EntryKind.CONFLICT,
                                        EntryKind.FATIGUE})
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
    local_only: bool = False  # never sent to a tracker
    redacted: tuple[tuple[str, int], ...] = ()  # what the tracker got replaced, by pattern name: (("email", 2),)
    sha256: str = ""  # evidence: the SHA-256 of the whole input, as received

    @property
    def sharing(self) -> str:
        """What the tracker gets of this entry, when that is not simply all of it."""
        if self.local_only:
            return "local only: never sent to a tracker"
        if self.redacted:
            total = sum(count for _, count in self.redacted)
            names = ", ".join(name for name, _ in self.redacted)
            return f"sent to tracker with {total} redaction{'s' if total != 1 else ''}: {names}"
        return ""


LOCAL_MARK = "⌂"  # before a local-only entry's text, in the timeline and in `cockpit incident show`


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


#: In a queued create's payload: look for it on the tracker (by its cockpit id) before sending it, because it may be
#: there already (an imported incident: ``service/exchange.py``).
LOOK_FIRST = "_look_first"


class OutboxState(StrEnum):
    """Where a queued change to the tracker stands."""

    PENDING = "pending"  # waiting to be sent (or to be sent again)
    SENT = "sent"  # the tracker has it
    DEAD = "dead"  # refused for good: shown until a person retries it
