"""What a public status page says about incidents: the words for their impact and state, derived from the rules.

Only what the incident commander published is text from people; everything else on the page is worded here from
severity and phase, so an internal note or the internal notification can never reach it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum

from cockpit.domain.comms import Template
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput

#: The templates meant for customers. The initial notification is internal and is never published.
PUBLISHABLE: tuple[Template, ...] = (Template.CUSTOMER, Template.RESOLUTION)

#: How long resolved incidents stay on the page.
RESOLVED_WINDOW_DAYS = 90


class ComponentState(IntEnum):
    """A component's state as status pages word it; a larger value is worse."""

    OPERATIONAL = 0
    MINOR = 1
    DEGRADED = 2
    PARTIAL_OUTAGE = 3
    MAJOR_OUTAGE = 4

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def css(self) -> str:
        return self.name.lower().replace("_", "-")


_STATE_LABELS = {
    ComponentState.OPERATIONAL: "Operational",
    ComponentState.MINOR: "Minor issue",
    ComponentState.DEGRADED: "Degraded performance",
    ComponentState.PARTIAL_OUTAGE: "Partial outage",
    ComponentState.MAJOR_OUTAGE: "Major outage",
}

_BY_SEVERITY = {
    Severity.SEV1: ComponentState.MAJOR_OUTAGE,
    Severity.SEV2: ComponentState.PARTIAL_OUTAGE,
    Severity.SEV3: ComponentState.DEGRADED,
    Severity.SEV4: ComponentState.MINOR,
}


def impact_state(severity: Severity) -> ComponentState:
    """The public wording of an open incident's impact, from its severity (SEV1: major outage ... SEV4: minor)."""
    return _BY_SEVERITY[severity]


def public_status(phase: Phase) -> str:
    """Where the response stands, in the words status pages use (never the internal phase name)."""
    if phase is Phase.MITIGATE:
        return "Monitoring"
    if not phase.is_open:
        return "Resolved"
    if phase is Phase.RESPOND:
        return "Identified"
    return "Investigating"


def check_publishable(template: Template, phase: Phase, ref: str) -> None:
    """Refuse what must not reach customers: the internal notification, or a resolution notice before the
    incident is resolved."""
    if template is Template.INITIAL:
        raise InvalidInput("The initial notification is internal and is never published; publish the "
                           "customer-facing status (customer) or, once resolved, the resolution notice.")
    if template is Template.RESOLUTION and phase.is_open:
        raise InvalidInput(f"{ref} is still in {phase.value}: resolve it before publishing the resolution notice; "
                           "publish the customer-facing status meanwhile.")


@dataclass(frozen=True)
class Component:
    name: str
    state: ComponentState


def overall(states: Iterable[ComponentState]) -> ComponentState:
    """The page's banner: the worst state of any component."""
    return max(states, default=ComponentState.OPERATIONAL)


def banner_text(state: ComponentState) -> str:
    return "All systems operational" if state is ComponentState.OPERATIONAL else {
        ComponentState.MINOR: "Minor service issue",
        ComponentState.DEGRADED: "Degraded performance",
        ComponentState.PARTIAL_OUTAGE: "Partial service outage",
        ComponentState.MAJOR_OUTAGE: "Major service outage",
    }[state]


def components(named: Iterable[str], incidents: Iterable[tuple[Severity, Phase, Iterable[str]]]) -> list[Component]:
    """Every component with its state: the worst impact of the open incidents naming it. ``named`` are the
    components always shown; services named on the page's incidents (open or resolved) are added after them."""
    order: dict[str, ComponentState] = {name: ComponentState.OPERATIONAL for name in named}
    for severity, phase, services in incidents:
        for service in services:
            state = impact_state(severity) if phase.is_open else ComponentState.OPERATIONAL
            order[service] = max(order.get(service, ComponentState.OPERATIONAL), state)
    return [Component(name, state) for name, state in order.items()]


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
