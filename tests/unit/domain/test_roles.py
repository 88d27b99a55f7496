"""ICS roles and the seed's IC rules, surfaced as warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import ROLES, Role, RoleHolding, check_roles, current_holders
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput

T0 = datetime(2026, 2, 17, 14, 0, tzinfo=UTC)
OPEN_PHASES = [Phase.DETECT, Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE]
CLOSED_PHASES = [Phase.RESOLVE, Phase.REVIEW]


def hold(role: Role, holder: str, until: datetime | None = None) -> RoleHolding:
    return RoleHolding(role=role, holder=holder, since=T0, until=until)


def codes(warnings) -> list[str]:
    return [w.code for w in warnings]


# A full, healthy board: nothing to warn about at any severity.
FULL_BOARD = (
    hold(Role.IC, "alice"),
    hold(Role.COMMS, "bob"),
    hold(Role.OPS, "carol"),
    hold(Role.SME, "dan"),
    hold(Role.SCRIBE, "erin"),
)


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("severity", list(Severity))
def test_full_board_has_no_warnings(severity, phase):
    assert check_roles(FULL_BOARD, severity, phase) == []


@pytest.mark.parametrize("phase", OPEN_PHASES)
@pytest.mark.parametrize("severity", [Severity.SEV1, Severity.SEV2])
def test_no_ic_on_major_open_incident(severity, phase):
    warnings = check_roles([hold(Role.COMMS, "bob")], severity, phase)
    assert codes(warnings)[0] == "no-ic"
    assert severity.label in warnings[0].message
    assert "no-ic-minor" not in codes(warnings)


@pytest.mark.parametrize("phase", OPEN_PHASES)
@pytest.mark.parametrize("severity", [Severity.SEV3, Severity.SEV4])
def test_no_ic_on_minor_open_incident(severity, phase):
    warnings = check_roles([], severity, phase)
    assert codes(warnings) == ["no-ic-minor"]


@pytest.mark.parametrize("phase", CLOSED_PHASES)
@pytest.mark.parametrize("severity", list(Severity))
def test_no_ic_warning_once_resolved(severity, phase):
    warnings = check_roles([], severity, phase)
    assert "no-ic" not in codes(warnings)
    assert "no-ic-minor" not in codes(warnings)
    assert "no-comms" not in codes(warnings)


def test_ic_also_operations_lead_warns_ic_debugs():
    board = [hold(Role.IC, "alice"), hold(Role.OPS, "alice"), hold(Role.COMMS, "bob")]
    warnings = check_roles(board, Severity.SEV2, Phase.RESPOND)
    assert codes(warnings) == ["ic-debugs"]
    assert "IC does NOT debug" in warnings[0].message
    assert "alice" in warnings[0].message
    assert "Operations Lead" in warnings[0].message


def test_ic_also_sme_warns_ic_debugs():
    board = [hold(Role.IC, "alice"), hold(Role.SME, "dan"), hold(Role.SME, "alice")]
    warnings = check_roles(board, Severity.SEV3, Phase.TRIAGE)
    assert codes(warnings) == ["ic-debugs"]
    assert "IC does NOT debug" in warnings[0].message
    assert "Subject Matter Expert" in warnings[0].message


def test_ic_also_ops_and_sme_warns_twice():
    board = [hold(Role.IC, "alice"), hold(Role.OPS, "alice"), hold(Role.SME, "alice")]
    assert codes(check_roles(board, Severity.SEV3, Phase.RESPOND)) == ["ic-debugs", "ic-debugs"]


@pytest.mark.parametrize(("ic", "ops"), [("Alice", "alice"), ("ALICE", "alice"), ("straße", "STRASSE")])
def test_name_comparison_is_case_insensitive(ic, ops):
    board = [hold(Role.IC, ic), hold(Role.OPS, ops)]
    assert "ic-debugs" in codes(check_roles(board, Severity.SEV3, Phase.RESPOND))


def test_different_people_do_not_warn():
    board = [hold(Role.IC, "alice"), hold(Role.OPS, "alicia"), hold(Role.SME, "al")]
    assert check_roles(board, Severity.SEV3, Phase.RESPOND) == []


@pytest.mark.parametrize("phase", OPEN_PHASES)
def test_sev1_without_comms_lead(phase):
    warnings = check_roles([hold(Role.IC, "alice")], Severity.SEV1, phase)
    assert codes(warnings) == ["no-comms"]
    assert "SEV1" in warnings[0].message


@pytest.mark.parametrize("severity", [Severity.SEV2, Severity.SEV3, Severity.SEV4])
def test_comms_lead_only_required_on_sev1(severity):
    assert check_roles([hold(Role.IC, "alice")], severity, Phase.RESPOND) == []


def test_sev1_with_nobody_warns_no_ic_first_then_no_comms():
    assert codes(check_roles([], Severity.SEV1, Phase.DETECT)) == ["no-ic", "no-comms"]


def test_released_holdings_are_not_current():
    released = T0 + timedelta(minutes=20)
    board = [
        hold(Role.IC, "alice", until=released),
        hold(Role.COMMS, "bob", until=released),
        hold(Role.OPS, "alice", until=released),
    ]
    assert not any(h.current for h in board)
    assert current_holders(board) == {role: [] for role in ROLES}
    assert codes(check_roles(board, Severity.SEV1, Phase.RESPOND)) == ["no-ic", "no-comms"]


def test_handover_keeps_only_the_current_ic():
    board = [
        hold(Role.IC, "alice", until=T0 + timedelta(minutes=30)),
        hold(Role.IC, "bob"),
        hold(Role.OPS, "alice"),  # alice handed IC over, so she may debug now
        hold(Role.COMMS, "carol"),
    ]
    assert [h.holder for h in current_holders(board)[Role.IC]] == ["bob"]
    assert check_roles(board, Severity.SEV1, Phase.RESPOND) == []


def test_a_released_ops_holding_does_not_warn_ic_debugs():
    board = [hold(Role.IC, "alice"), hold(Role.OPS, "alice", until=T0 + timedelta(minutes=5))]
    assert check_roles(board, Severity.SEV3, Phase.RESPOND) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ic", Role.IC),
        ("IC", Role.IC),
        ("commander", Role.IC),
        ("Incident-Commander", Role.IC),
        ("comms", Role.COMMS),
        ("communications", Role.COMMS),
        ("comms-lead", Role.COMMS),
        ("ops", Role.OPS),
        ("operations", Role.OPS),
        ("OPS-LEAD", Role.OPS),
        ("sme", Role.SME),
        ("expert", Role.SME),
        ("scribe", Role.SCRIBE),
        ("  Scribe ", Role.SCRIBE),
    ],
)
def test_role_parse_aliases(text, expected):
    assert Role.parse(text) is expected


@pytest.mark.parametrize("text", ["", "boss", "lead", "incident commander", "smes"])
def test_role_parse_rejects_and_lists_roles(text):
    with pytest.raises(InvalidInput) as err:
        Role.parse(text)
    message = str(err.value)
    assert f"'{text}'" in message
    for name in ("ic", "comms", "ops", "sme", "scribe"):
        assert name in message


@pytest.mark.parametrize(
    ("role", "single"),
    [(Role.IC, True), (Role.COMMS, True), (Role.OPS, True), (Role.SME, False), (Role.SCRIBE, True)],
)
def test_sme_is_the_only_multi_holder_role(role, single):
    assert role.single_holder is single


@pytest.mark.parametrize(
    ("role", "title", "duty"),
    [
        (Role.IC, "Incident Commander", "Owns resolution, makes decisions, manages timeline"),
        (Role.COMMS, "Communications Lead", "Status updates, stakeholder comms, customer-facing"),
        (Role.OPS, "Operations Lead", "Hands-on-keyboard, executing fixes"),
        (Role.SME, "Subject Matter Expert", "Deep knowledge of affected system"),
        (Role.SCRIBE, "Scribe", "Documenting timeline, actions, decisions"),
    ],
)
def test_role_titles_and_duties_match_the_seed(role, title, duty):
    assert role.title == title
    assert role.responsibility == duty
