"""ICS roles (the seed's "Incident Command System") and the IC rules as warnings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput, RuleViolation


class Role(Enum):
    IC = "ic"
    COMMS = "comms"
    OPS = "ops"
    SME = "sme"
    SCRIBE = "scribe"

    @property
    def title(self) -> str:
        return ROLE_TITLES[self]

    @property
    def responsibility(self) -> str:
        return ROLE_DUTIES[self]

    @property
    def single_holder(self) -> bool:
        """Every role has one holder at a time except Subject Matter Expert (several)."""
        return self is not Role.SME

    def handover_text(self, previous: str, holder: str) -> str:
        """The timeline entry that records a single-holder role passing from ``previous`` to ``holder``."""
        return f"{self.title} handed over: {previous} → {holder}"

    def release_text(self, holder: str) -> str:
        """The timeline entry that records ``holder`` leaving this role."""
        return f"{holder} released as {self.title}"

    @classmethod
    def parse(cls, value: str) -> Role:
        text = value.strip().lower()
        aliases = {
            "commander": "ic", "incident-commander": "ic",
            "communications": "comms", "comms-lead": "comms",
            "operations": "ops", "ops-lead": "ops",
            "expert": "sme",
        }
        text = aliases.get(text, text)
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(r.value for r in Role)
            raise InvalidInput(f"'{value}' is not a role: use one of {names}.") from None


ROLES: tuple[Role, ...] = tuple(Role)

ROLE_TITLES = {
    Role.IC: "Incident Commander",
    Role.COMMS: "Communications Lead",
    Role.OPS: "Operations Lead",
    Role.SME: "Subject Matter Expert",
    Role.SCRIBE: "Scribe",
}
ROLE_DUTIES = {
    Role.IC: "Owns resolution, makes decisions, manages timeline",
    Role.COMMS: "Status updates, stakeholder comms, customer-facing",
    Role.OPS: "Hands-on-keyboard, executing fixes",
    Role.SME: "Deep knowledge of affected system",
    Role.SCRIBE: "Documenting timeline, actions, decisions",
}

#: The seed's IC rules, shown on the role board.
IC_RULES: tuple[str, ...] = (
    "IC does NOT debug — IC coordinates",
    "IC makes final decisions when team disagrees",
    "IC can escalate severity at any time",
    "IC owns handoff if rotation changes",
    "IC calls end-of-incident",
)


@dataclass(frozen=True)
class RoleHolding:
    """One person holding one role over a span of time (``until`` is None while held)."""

    role: Role
    holder: str
    since: datetime
    until: datetime | None = None

    @property
    def current(self) -> bool:
        return self.until is None


@dataclass(frozen=True)
class RoleWarning:
    code: str
    message: str


def current_holders(holdings: Iterable[RoleHolding]) -> dict[Role, list[RoleHolding]]:
    board: dict[Role, list[RoleHolding]] = {role: [] for role in ROLES}
    for holding in holdings:
        if holding.current:
            board[holding.role].append(holding)
    return board


def check_roles(
    holdings: Iterable[RoleHolding], severity: Severity, phase: Phase
) -> list[RoleWarning]:
    """The IC rules that the current role board breaks, most important first."""
    board = current_holders(holdings)
    warnings: list[RoleWarning] = []
    ics = {h.holder.casefold() for h in board[Role.IC]}
    active = phase.is_open
    if active and not ics and severity <= Severity.SEV2:
        warnings.append(RoleWarning(
            "no-ic", f"No Incident Commander on a {severity} incident: assign an IC now."))
    elif active and not ics:
        warnings.append(RoleWarning("no-ic-minor", "No Incident Commander assigned."))
    for ops in board[Role.OPS]:
        if ops.holder.casefold() in ics:
            warnings.append(RoleWarning(
                "ic-debugs",
                f"IC does NOT debug — IC coordinates: {ops.holder} is both Incident Commander "
                "and Operations Lead; hand Operations Lead to someone else.",
            ))
    for sme in board[Role.SME]:
        if sme.holder.casefold() in ics:
            warnings.append(RoleWarning(
                "ic-debugs",
                f"IC does NOT debug — IC coordinates: {sme.holder} is both Incident Commander "
                "and Subject Matter Expert.",
            ))
    if active and severity == Severity.SEV1 and not board[Role.COMMS]:
        warnings.append(RoleWarning(
            "no-comms", "SEV1 without a Communications Lead: someone must own status updates."))
    return warnings


MAX_NAME = 100
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def check_board(board: dict[Role, list[str]]) -> None:
    """A role board from elsewhere (another cockpit, the tracker) held to the local rules: one holder for every
    role but SME, and holders' names as a person could type them. Raises ``RuleViolation``."""
    for role, names in board.items():
        if role.single_holder and len(names) > 1:
            raise RuleViolation(f"{role.title} has one holder at a time, not {len(names)} ({', '.join(names)}).")
        for name in names:
            if not name.strip() or len(name) > MAX_NAME or _CONTROL.search(name):
                raise RuleViolation(f"'{name[:40]!r}' is not a name a role can be given to (at most {MAX_NAME} "
                                    f"characters, no control characters).")
