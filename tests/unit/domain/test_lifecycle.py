"""The seed's workflow: DETECT → TRIAGE → RESPOND → MITIGATE → RESOLVE → REVIEW."""

from __future__ import annotations

import itertools

import pytest

from cockpit.domain.lifecycle import Direction, Phase, plan_transition
from cockpit.errors import InvalidInput, RuleViolation

D, T, RSP, M, RSV, RV = (
    Phase.DETECT,
    Phase.TRIAGE,
    Phase.RESPOND,
    Phase.MITIGATE,
    Phase.RESOLVE,
    Phase.REVIEW,
)
# Typed in from the seed, not read from the code.
SEED_ORDER = [D, T, RSP, M, RSV, RV]

ADJACENT = list(itertools.pairwise(SEED_ORDER))
SKIPS = [
    (SEED_ORDER[i], SEED_ORDER[j], SEED_ORDER[i + 1])
    for i in range(len(SEED_ORDER))
    for j in range(i + 2, len(SEED_ORDER))
]
BACKWARD = [
    (SEED_ORDER[j], SEED_ORDER[i]) for i in range(len(SEED_ORDER)) for j in range(i + 1, len(SEED_ORDER))
]


def _pair_id(pair: tuple[Phase, ...]) -> str:
    return "-".join(p.value for p in pair[:2])


def test_phase_order_is_the_seeds():
    assert list(Phase) == SEED_ORDER
    assert [p.next() for p in SEED_ORDER] == [*SEED_ORDER[1:], None]
    assert [p.previous() for p in SEED_ORDER] == [None, *SEED_ORDER[:-1]]


@pytest.mark.parametrize(("source", "target"), ADJACENT, ids=[_pair_id(p) for p in ADJACENT])
def test_forward_one_step_is_allowed(source, target):
    transition = plan_transition(source, target)
    assert transition.source is source
    assert transition.target is target
    assert transition.direction is Direction.ADVANCE
    assert transition.description == f"Phase {source.value} → {target.value}"


@pytest.mark.parametrize(("source", "target", "expected_next"), SKIPS, ids=[_pair_id(s) for s in SKIPS])
def test_forward_skip_is_refused_and_names_the_next_phase(source, target, expected_next):
    with pytest.raises(RuleViolation) as err:
        plan_transition(source, target)
    message = str(err.value)
    assert f"the next phase is {expected_next.value}" in message
    assert source.value in message
    assert target.value in message


def test_respond_to_resolve_says_mitigate_first():
    # "Mitigated ≠ Resolved"
    with pytest.raises(RuleViolation, match="MITIGATE"):
        plan_transition(RSP, RSV)


def test_there_are_ten_skips_and_five_steps():
    assert len(SKIPS) == 10
    assert len(ADJACENT) == 5


@pytest.mark.parametrize(("source", "target"), BACKWARD, ids=[_pair_id(p) for p in BACKWARD])
def test_backward_is_allowed_and_marked_relapse(source, target):
    transition = plan_transition(source, target)
    assert transition.direction is Direction.RELAPSE
    assert transition.source is source
    assert transition.target is target
    assert "relapse" in transition.description
    assert "back" in transition.description


@pytest.mark.parametrize("phase", SEED_ORDER)
def test_same_phase_is_refused(phase):
    with pytest.raises(RuleViolation) as err:
        plan_transition(phase, phase)
    assert phase.value in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("detect", D),
        ("TRIAGE", T),
        ("Respond", RSP),
        ("  mitigate  ", M),
        ("rEsOlVe", RSV),
        ("review", RV),
    ],
)
def test_phase_parse_is_case_insensitive(text, expected):
    assert Phase.parse(text) is expected


@pytest.mark.parametrize("text", ["", "fix", "resolved", "DETECTED", "mitigation"])
def test_phase_parse_rejects_and_lists_valid_names(text):
    with pytest.raises(InvalidInput) as err:
        Phase.parse(text)
    message = str(err.value)
    assert f"'{text}'" in message
    for name in ("detect", "triage", "respond", "mitigate", "resolve", "review"):
        assert name in message


@pytest.mark.parametrize(
    ("phase", "is_open"),
    [(D, True), (T, True), (RSP, True), (M, True), (RSV, False), (RV, False)],
)
def test_is_open(phase, is_open):
    assert phase.is_open is is_open
