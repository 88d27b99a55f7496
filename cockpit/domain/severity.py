"""Severity classification: the seed's impact x scope matrix and its auto-escalation triggers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum

from cockpit.errors import InvalidInput


class Severity(IntEnum):
    """SEV1 is the most severe. Comparisons follow the number: ``SEV1 < SEV2``."""

    SEV1 = 1
    SEV2 = 2
    SEV3 = 3
    SEV4 = 4

    @property
    def label(self) -> str:
        return f"SEV{self.value}"

    def __str__(self) -> str:
        return self.label

    @classmethod
    def parse(cls, value: str | int) -> Severity:
        """Accept ``1``, ``"1"``, ``"sev1"`` or ``"SEV1"``."""
        text = str(value).strip().upper().removeprefix("SEV")
        if text in {"1", "2", "3", "4"}:
            return cls(int(text))
        raise InvalidInput(f"'{value}' is not a severity: use 1, 2, 3 or 4 (SEV1 is the most severe).")

    def raised(self, levels: int = 1) -> Severity:
        """This severity made more severe by ``levels`` (never beyond SEV1)."""
        return Severity(max(1, self.value - levels))


class Impact(Enum):
    """What is broken (rows of the seed's matrix)."""

    CORE_DOWN = "core-down"
    DEGRADED = "degraded"
    NON_CORE_DOWN = "non-core-down"
    COSMETIC = "cosmetic"

    @property
    def label(self) -> str:
        return _IMPACT_LABELS[self]


class Scope(Enum):
    """Who is affected (columns of the seed's matrix)."""

    ONE_USER = "one-user"
    LT25 = "lt25"
    GT25 = "gt25"
    ALL = "all"

    @property
    def label(self) -> str:
        return _SCOPE_LABELS[self]


_IMPACT_LABELS = {
    Impact.CORE_DOWN: "core function down",
    Impact.DEGRADED: "degraded performance",
    Impact.NON_CORE_DOWN: "non-core feature down",
    Impact.COSMETIC: "cosmetic/minor",
}
_SCOPE_LABELS = {
    Scope.ONE_USER: "1 user",
    Scope.LT25: "<25% of users",
    Scope.GT25: ">25% of users",
    Scope.ALL: "all users",
}

IMPACTS: tuple[Impact, ...] = tuple(Impact)
SCOPES: tuple[Scope, ...] = tuple(Scope)

S1, S2, S3, S4 = Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4

#: The seed's "Severity Classification Matrix", row by row (impact), column by column (scope).
MATRIX: dict[Impact, dict[Scope, Severity]] = {
    Impact.CORE_DOWN: {Scope.ONE_USER: S3, Scope.LT25: S2, Scope.GT25: S1, Scope.ALL: S1},
    Impact.DEGRADED: {Scope.ONE_USER: S4, Scope.LT25: S3, Scope.GT25: S2, Scope.ALL: S1},
    Impact.NON_CORE_DOWN: {Scope.ONE_USER: S4, Scope.LT25: S3, Scope.GT25: S3, Scope.ALL: S2},
    Impact.COSMETIC: {Scope.ONE_USER: S4, Scope.LT25: S4, Scope.GT25: S3, Scope.ALL: S3},
}


@dataclass(frozen=True)
class Triggers:
    """The seed's auto-escalation triggers."""

    data_loss: bool = False
    security_pii: bool = False
    revenue: bool = False
    sla_breach: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {
            "data_loss": self.data_loss,
            "security_pii": self.security_pii,
            "revenue": self.revenue,
            "sla_breach": self.sla_breach,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> Triggers:
        data = data or {}
        return cls(**{name: bool(data.get(name, False)) for name in TRIGGER_LABELS})

    def active(self) -> list[str]:
        return [name for name, on in self.as_dict().items() if on]


TRIGGER_LABELS: dict[str, str] = {
    "data_loss": "data loss",
    "security_pii": "security breach with PII",
    "revenue": "revenue-impacting",
    "sla_breach": "SLA breach imminent",
}


@dataclass(frozen=True)
class Assessment:
    """The outcome of classifying an incident, with the reasons a person can read."""

    severity: Severity
    matrix_severity: Severity | None
    reasons: tuple[str, ...]
    overridden: bool = False

    @property
    def explanation(self) -> str:
        if self.overridden:
            return f"{self.severity} because: {'; '.join(self.reasons)}"
        assert self.matrix_severity is not None
        matrix_reason, trigger_reasons = self.reasons[0], self.reasons[1:]
        if self.severity == self.matrix_severity:
            text = f"{self.severity} because: {matrix_reason}"
            if trigger_reasons:
                text += f"; also {', '.join(trigger_reasons)}"
            return text
        return f"{self.severity} because: {'; '.join(trigger_reasons)}; matrix gave {self.matrix_severity}"

    def change_text(self, before: Severity) -> str:
        """The timeline entry that records this assessment replacing ``before``."""
        change = f"Severity {before} → {self.severity}" if before != self.severity else f"Severity stays {before}"
        return f"{change}: {self.explanation}"


def classify(impact: Impact, scope: Scope, triggers: Triggers | None = None) -> Assessment:
    """Classify by the seed's matrix, then apply the auto-escalation triggers.

    Order: the matrix gives a base; "data loss" and "security breach with PII" force SEV1;
    "revenue-impacting" lifts to at least SEV2; "SLA breach imminent" then raises one level
    from whatever the rest gave (so a revenue-impacting SEV2 with an imminent SLA breach is SEV1).
    The first reason always names the matrix cell.
    """
    triggers = triggers or Triggers()
    base = MATRIX[impact][scope]
    reasons = [f"{impact.label} × {scope.label} (matrix)"]
    severity = base
    if triggers.data_loss:
        reasons.append("data loss (auto-escalation)")
        severity = S1
    if triggers.security_pii:
        reasons.append("security breach with PII (auto-escalation)")
        severity = S1
    if triggers.revenue:
        if severity > S2:
            severity = S2
        reasons.append("revenue-impacting (auto-escalation)")
    if triggers.sla_breach:
        before = severity
        severity = severity.raised(1)
        if severity != before:
            reasons.append(f"SLA breach imminent (auto-escalation: one up from {before})")
        else:
            reasons.append("SLA breach imminent (already SEV1)")
    return Assessment(severity=severity, matrix_severity=base, reasons=tuple(reasons))


def override(severity: Severity, reason: str, by: str) -> Assessment:
    """A manual severity set by a person. The reason is required and kept."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("A manual severity needs a reason: add --reason TEXT saying why.")
    return Assessment(
        severity=severity,
        matrix_severity=None,
        reasons=(f"set manually by {by}: {reason}",),
        overridden=True,
    )
