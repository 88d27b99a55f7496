"""The incident lifecycle: DETECT → TRIAGE → RESPOND → MITIGATE → RESOLVE → REVIEW.

Rules (from the seed's "Incident Response Workflow"):

* Forward, one phase at a time. Skipping a phase is refused, so RESOLVE before MITIGATE is
  only possible by passing through MITIGATE explicitly ("Mitigated ≠ Resolved").
* Back to any earlier phase is allowed (a relapse after "mitigated") and is recorded as such.
* Staying in the same phase is not a transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cockpit.errors import InvalidInput, RuleViolation


class Phase(Enum):
    DETECT = "DETECT"
    TRIAGE = "TRIAGE"
    RESPOND = "RESPOND"
    MITIGATE = "MITIGATE"
    RESOLVE = "RESOLVE"
    REVIEW = "REVIEW"

    @property
    def index(self) -> int:
        return PHASES.index(self)

    @property
    def is_open(self) -> bool:
        """An incident is open until it is resolved."""
        return self.index < Phase.RESOLVE.index

    def next(self) -> Phase | None:
        i = self.index + 1
        return PHASES[i] if i < len(PHASES) else None

    def previous(self) -> Phase | None:
        i = self.index - 1
        return PHASES[i] if i >= 0 else None

    @classmethod
    def parse(cls, value: str) -> Phase:
        text = value.strip().upper()
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(p.value.lower() for p in PHASES)
            raise InvalidInput(f"'{value}' is not a phase: use one of {names}.") from None


PHASES: tuple[Phase, ...] = tuple(Phase)

#: What each phase means for a status line or a status update (seed wording where it has one).
PHASE_STATUS: dict[Phase, str] = {
    Phase.DETECT: "Investigating",
    Phase.TRIAGE: "Investigating",
    Phase.RESPOND: "Investigating",
    Phase.MITIGATE: "Impact mitigated, root cause investigation ongoing",
    Phase.RESOLVE: "Resolved",
    Phase.REVIEW: "Resolved, postmortem in review",
}


class Direction(Enum):
    ADVANCE = "advance"
    RELAPSE = "relapse"


@dataclass(frozen=True)
class Transition:
    source: Phase
    target: Phase
    direction: Direction

    @property
    def description(self) -> str:
        if self.direction is Direction.ADVANCE:
            return f"Phase {self.source.value} → {self.target.value}"
        return f"Phase back {self.source.value} → {self.target.value} (relapse)"


def plan_transition(source: Phase, target: Phase) -> Transition:
    """Check a phase change against the rules; raise ``RuleViolation`` with the way forward."""
    if target is source:
        raise RuleViolation(f"The incident is already in {source.value}.")
    if target.index < source.index:
        return Transition(source, target, Direction.RELAPSE)
    expected = source.next()
    if target is not expected:
        assert expected is not None
        raise RuleViolation(
            f"Cannot go from {source.value} to {target.value} directly: "
            f"the next phase is {expected.value}; move there first."
        )
    return Transition(source, target, Direction.ADVANCE)


def check_remote_move(source: Phase, target: Phase, steps_recorded: set[tuple[Phase, Phase]]) -> None:
    """A phase another cockpit or the tracker reports, held to the same rules as a local move. Back is always
    allowed (a relapse); forward is allowed one phase at a time, so a jump of several phases is taken only when
    every step in between was recorded (``steps_recorded``: the (from, to) advances in the timeline, as another
    cockpit writes them). Otherwise ``RuleViolation`` with the rule's own sentence."""
    if target.index <= source.index or target is source.next():
        return
    step = source
    while step is not target:
        following = step.next()
        assert following is not None
        if (step, following) not in steps_recorded:
            plan_transition(source, target)  # raises with the way forward
        step = following
