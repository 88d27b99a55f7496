"""Severity classification against the seed's "Severity Classification Matrix".

Expected values are typed in from the seed document's table, not read from ``MATRIX``.
"""

from __future__ import annotations

import pytest

from cockpit.domain.severity import (
    Impact,
    Scope,
    Severity,
    Triggers,
    classify,
    override,
)
from cockpit.errors import InvalidInput

S1, S2, S3, S4 = Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4

CORE, DEGRADED, NON_CORE, COSMETIC = (
    Impact.CORE_DOWN,
    Impact.DEGRADED,
    Impact.NON_CORE_DOWN,
    Impact.COSMETIC,
)
ONE, LT25, GT25, ALL = Scope.ONE_USER, Scope.LT25, Scope.GT25, Scope.ALL

# The seed's table, cell by cell:
# | Impact: 1 User | Impact: <25% Users | Impact: >25% Users | Impact: All Users |
# | Core function down     | SEV3 | SEV2 | SEV1 | SEV1 |
# | Degraded performance   | SEV4 | SEV3 | SEV2 | SEV1 |
# | Non-core feature down  | SEV4 | SEV3 | SEV3 | SEV2 |
# | Cosmetic/minor         | SEV4 | SEV4 | SEV3 | SEV3 |
SEED_CELLS = [
    (CORE, ONE, S3),
    (CORE, LT25, S2),
    (CORE, GT25, S1),
    (CORE, ALL, S1),
    (DEGRADED, ONE, S4),
    (DEGRADED, LT25, S3),
    (DEGRADED, GT25, S2),
    (DEGRADED, ALL, S1),
    (NON_CORE, ONE, S4),
    (NON_CORE, LT25, S3),
    (NON_CORE, GT25, S3),
    (NON_CORE, ALL, S2),
    (COSMETIC, ONE, S4),
    (COSMETIC, LT25, S4),
    (COSMETIC, GT25, S3),
    (COSMETIC, ALL, S3),
]


def _cell_id(case: tuple[Impact, Scope, Severity]) -> str:
    impact, scope, severity = case
    return f"{impact.value}-{scope.value}-{severity.label}"


CELL_IDS = [_cell_id(c) for c in SEED_CELLS]


# --- the matrix ----------------------------------------------------------------------


@pytest.mark.parametrize(("impact", "scope", "expected"), SEED_CELLS, ids=CELL_IDS)
def test_matrix_cell_without_triggers(impact, scope, expected):
    result = classify(impact, scope)
    assert result.severity is expected
    assert result.matrix_severity is expected
    assert result.overridden is False


@pytest.mark.parametrize(("impact", "scope", "expected"), SEED_CELLS, ids=CELL_IDS)
def test_matrix_cell_with_explicit_empty_triggers_is_the_same(impact, scope, expected):
    assert classify(impact, scope, Triggers()).severity is expected


@pytest.mark.parametrize(("impact", "scope", "expected"), SEED_CELLS, ids=CELL_IDS)
def test_plain_cell_explanation_names_the_cell(impact, scope, expected):
    result = classify(impact, scope)
    assert result.explanation == f"{expected.label} because: {impact.label} × {scope.label} (matrix)"
    assert "matrix gave" not in result.explanation


def test_all_sixteen_cells_are_covered():
    assert {(i, s) for i, s, _ in SEED_CELLS} == {(i, s) for i in Impact for s in Scope}


# --- each trigger alone ----------------------------------------------------------------

# (impact, scope, matrix severity) for a spread of base cells, one per severity at least.
BASES = [
    (CORE, ALL, S1),
    (CORE, LT25, S2),
    (DEGRADED, GT25, S2),
    (CORE, ONE, S3),
    (NON_CORE, GT25, S3),
    (DEGRADED, ONE, S4),
    (COSMETIC, LT25, S4),
]
BASE_IDS = [_cell_id(c) for c in BASES]


@pytest.mark.parametrize(("impact", "scope", "base"), BASES, ids=BASE_IDS)
def test_data_loss_alone_gives_sev1(impact, scope, base):
    result = classify(impact, scope, Triggers(data_loss=True))
    assert result.severity is S1
    assert result.matrix_severity is base


@pytest.mark.parametrize(("impact", "scope", "base"), BASES, ids=BASE_IDS)
def test_security_breach_with_pii_alone_gives_sev1(impact, scope, base):
    result = classify(impact, scope, Triggers(security_pii=True))
    assert result.severity is S1
    assert result.matrix_severity is base


REVENUE_EXPECTED = {S1: S1, S2: S2, S3: S2, S4: S2}


@pytest.mark.parametrize(("impact", "scope", "base"), BASES, ids=BASE_IDS)
def test_revenue_alone_lifts_to_at_least_sev2(impact, scope, base):
    result = classify(impact, scope, Triggers(revenue=True))
    assert result.severity is REVENUE_EXPECTED[base]
    assert result.matrix_severity is base


@pytest.mark.parametrize(
    ("impact", "scope", "expected"),
    [
        (COSMETIC, ONE, S2),  # SEV4 -> SEV2
        (NON_CORE, LT25, S2),  # SEV3 -> SEV2
        (CORE, LT25, S2),  # SEV2 stays
        (CORE, GT25, S1),  # SEV1 stays (revenue never lowers)
    ],
)
def test_revenue_examples(impact, scope, expected):
    assert classify(impact, scope, Triggers(revenue=True)).severity is expected


SLA_EXPECTED = {S1: S1, S2: S1, S3: S2, S4: S3}


@pytest.mark.parametrize(("impact", "scope", "base"), BASES, ids=BASE_IDS)
def test_sla_breach_alone_raises_one_level(impact, scope, base):
    result = classify(impact, scope, Triggers(sla_breach=True))
    assert result.severity is SLA_EXPECTED[base]
    assert result.matrix_severity is base


@pytest.mark.parametrize(
    ("impact", "scope", "expected"),
    [
        (DEGRADED, ONE, S3),  # SEV4 -> SEV3
        (COSMETIC, GT25, S2),  # SEV3 -> SEV2
        (NON_CORE, ALL, S1),  # SEV2 -> SEV1
        (DEGRADED, ALL, S1),  # SEV1 stays SEV1
    ],
)
def test_sla_breach_examples(impact, scope, expected):
    assert classify(impact, scope, Triggers(sla_breach=True)).severity is expected


def test_sla_breach_on_sev1_says_already_sev1():
    result = classify(CORE, ALL, Triggers(sla_breach=True))
    assert result.severity is S1
    assert "already SEV1" in result.explanation


def test_sla_breach_explanation_names_the_level_it_raised_from():
    result = classify(DEGRADED, ONE, Triggers(sla_breach=True))
    assert result.explanation == (
        "SEV3 because: SLA breach imminent (auto-escalation: one up from SEV4); matrix gave SEV4"
    )


# --- combinations ------------------------------------------------------------------------


@pytest.mark.parametrize(("impact", "scope"), [(DEGRADED, ONE), (COSMETIC, LT25), (NON_CORE, ONE)])
def test_revenue_and_sla_on_sev4_cell_gives_sev1(impact, scope):
    # documented order: revenue floors to SEV2, then SLA raises one level -> SEV1
    result = classify(impact, scope, Triggers(revenue=True, sla_breach=True))
    assert result.matrix_severity is S4
    assert result.severity is S1


def test_revenue_and_sla_on_sev3_cell_gives_sev1():
    assert classify(CORE, ONE, Triggers(revenue=True, sla_breach=True)).severity is S1


@pytest.mark.parametrize(
    "triggers",
    [
        Triggers(data_loss=True, revenue=True),
        Triggers(security_pii=True, sla_breach=True),
        Triggers(data_loss=True, security_pii=True, revenue=True, sla_breach=True),
    ],
)
@pytest.mark.parametrize(("impact", "scope"), [(COSMETIC, ONE), (NON_CORE, GT25), (CORE, ALL)])
def test_sev1_triggers_dominate_in_any_combination(impact, scope, triggers):
    assert classify(impact, scope, triggers).severity is S1


@pytest.mark.parametrize(("impact", "scope", "base"), SEED_CELLS, ids=CELL_IDS)
@pytest.mark.parametrize(
    "triggers",
    [
        Triggers(data_loss=True),
        Triggers(security_pii=True),
        Triggers(revenue=True),
        Triggers(sla_breach=True),
        Triggers(revenue=True, sla_breach=True),
    ],
    ids=["data_loss", "security_pii", "revenue", "sla", "revenue+sla"],
)
def test_triggers_never_make_an_incident_less_severe(impact, scope, base, triggers):
    result = classify(impact, scope, triggers)
    assert result.severity <= base  # SEV1 < SEV2: smaller is more severe


# --- explanation text ----------------------------------------------------------------------


def test_explanation_for_data_loss_on_degraded_lt25():
    explanation = classify(DEGRADED, LT25, Triggers(data_loss=True)).explanation
    assert explanation.startswith("SEV1 because:")
    assert "data loss" in explanation
    assert explanation.endswith("matrix gave SEV3")


def test_explanation_lists_every_trigger_that_fired():
    explanation = classify(
        COSMETIC, ONE, Triggers(data_loss=True, security_pii=True, revenue=True, sla_breach=True)
    ).explanation
    assert explanation.startswith("SEV1 because:")
    for words in ("data loss", "security breach with PII", "revenue-impacting", "SLA breach imminent"):
        assert words in explanation
    assert explanation.endswith("matrix gave SEV4")


def test_first_reason_names_the_matrix_cell():
    result = classify(NON_CORE, GT25, Triggers(revenue=True))
    assert result.reasons[0] == "non-core feature down × >25% of users (matrix)"
    assert len(result.reasons) == 2


# --- manual override -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
def test_override_requires_a_reason(reason):
    with pytest.raises(InvalidInput) as err:
        override(S1, reason, by="alice")
    assert "reason" in str(err.value)


@pytest.mark.parametrize("severity", list(Severity))
def test_override_is_marked_and_explained(severity):
    result = override(severity, "  checkout fully down in EU  ", by="alice")
    assert result.severity is severity
    assert result.overridden is True
    assert result.matrix_severity is None
    assert result.explanation.startswith(f"{severity.label} because:")
    assert "alice" in result.explanation
    assert "checkout fully down in EU" in result.explanation
    assert "  checkout" not in result.explanation  # reason is trimmed
    assert "matrix gave" not in result.explanation


# --- Severity.parse ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, S1), ("2", S2), ("sev3", S3), ("SEV4", S4), (" Sev1 ", S1), (4, S4)],
)
def test_severity_parse_accepts(value, expected):
    assert Severity.parse(value) is expected


@pytest.mark.parametrize("value", ["5", "x", "", "0", "sev", "SEV5", 5, "-1"])
def test_severity_parse_rejects(value):
    with pytest.raises(InvalidInput) as err:
        Severity.parse(value)
    assert f"'{value}'" in str(err.value)


def test_severity_order_and_label():
    assert S1 < S2 < S3 < S4
    assert str(S2) == "SEV2"
    assert S4.raised(1) is S3
    assert S2.raised(5) is S1


def test_explanation_when_triggers_do_not_change_the_matrix_result():
    from cockpit.domain.severity import Impact, Scope, Triggers, classify

    result = classify(Impact.CORE_DOWN, Scope.ALL, Triggers(revenue=True))
    assert result.explanation == (
        "SEV1 because: core function down × all users (matrix); "
        "also revenue-impacting (auto-escalation)"
    )
    assert classify(Impact.DEGRADED, Scope.LT25).explanation == (
        "SEV3 because: degraded performance × <25% of users (matrix)"
    )
