"""The seed's "Communication Templates", filled from a hand-built incident snapshot."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cockpit.domain.comms import (
    RenderedComms,
    Template,
    add_business_days,
    channel_name,
    render,
    slugify,
)
from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role, RoleHolding
from cockpit.domain.severity import Impact, Scope, Severity, Triggers
from cockpit.errors import InvalidInput


def utc(day: int, hour: int, minute: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# 2026-02-17 is a Tuesday; 2026-02-20 is a Friday.
DECLARED = utc(17, 14, 3)
NOW = utc(17, 14, 20)


def snapshot(**changes: object) -> IncidentSnapshot:
    base = IncidentSnapshot(
        id="0195f3a2-0000-7000-8000-000000000001",
        ref="INC-K7Q2M9XF",
        title="Checkout API returning 500s",
        services=("payments-api",),
        impact=Impact.CORE_DOWN,
        scope=Scope.LT25,
        triggers=Triggers(),
        severity=Severity.SEV2,
        severity_reason="core function down × <25% of users (matrix)",
        severity_overridden=False,
        phase=Phase.RESPOND,
        declared_at=DECLARED,
        started_at=utc(17, 13, 52),
        roles=(RoleHolding(Role.IC, "alice", since=DECLARED), RoleHolding(Role.OPS, "carol", since=DECLARED)),
    )
    return replace(base, **changes)


def lines(rendered: RenderedComms) -> list[str]:
    return rendered.text.split("\n")


# --- initial notification (internal) ------------------------------------------------------
# Seed: 🔴 INCIDENT: [Title] Severity: SEV[X] Impact: [Who/what is affected] Status: Investigating
#       IC: [Name] Channel: #inc-[date]-[slug] Next update: [time]


def test_initial_notification_line_by_line():
    rendered = render(Template.INITIAL, snapshot(), NOW)
    assert rendered.template is Template.INITIAL
    assert rendered.draft_note is None
    assert lines(rendered) == [
        "🔴 INCIDENT: Checkout API returning 500s",
        "Severity: SEV2",
        "Impact: Core function down for <25% of users (payments-api)",
        "Status: Investigating",
        "IC: alice",
        "Channel: #inc-2026-02-17-checkout-api-returning-500s",
        "Next update: 14:33 UTC",  # declared 14:03 + 30 min (SEV2)
    ]


@pytest.mark.parametrize(
    ("severity", "last_update", "expected"),
    [
        (Severity.SEV1, None, "Next update: 14:18 UTC"),
        (Severity.SEV2, None, "Next update: 14:33 UTC"),
        (Severity.SEV3, None, "Next update: 15:03 UTC"),
        (Severity.SEV4, None, "Next update: 18:03 UTC"),
        (Severity.SEV1, utc(17, 14, 50), "Next update: 15:05 UTC"),
        (Severity.SEV2, utc(17, 14, 50), "Next update: 15:20 UTC"),
    ],
)
def test_initial_next_update_is_last_update_or_declaration_plus_cadence(severity, last_update, expected):
    incident = snapshot(severity=severity, last_update_at=last_update)
    assert lines(render(Template.INITIAL, incident, NOW))[-1] == expected


@pytest.mark.parametrize(
    ("phase", "status"),
    [
        (Phase.DETECT, "Status: Investigating"),
        (Phase.TRIAGE, "Status: Investigating"),
        (Phase.RESPOND, "Status: Investigating"),
        (Phase.MITIGATE, "Status: Impact mitigated, root cause investigation ongoing"),
    ],
)
def test_initial_status_line_follows_the_phase(phase, status):
    assert lines(render(Template.INITIAL, snapshot(phase=phase), NOW))[3] == status


def test_initial_without_ic_or_services():
    incident = snapshot(
        roles=(), services=(), severity=Severity.SEV1, impact=Impact.DEGRADED, scope=Scope.ALL
    )
    text = lines(render(Template.INITIAL, incident, NOW))
    assert text[1] == "Severity: SEV1"
    assert text[2] == "Impact: Degraded performance for all users"
    assert text[4] == "IC: unassigned"


def test_initial_uses_current_ic_after_handover():
    roles = (
        RoleHolding(Role.IC, "alice", since=DECLARED, until=utc(17, 14, 10)),
        RoleHolding(Role.IC, "bob", since=utc(17, 14, 10)),
    )
    assert lines(render(Template.INITIAL, snapshot(roles=roles), NOW))[4] == "IC: bob"


def test_channel_date_is_the_declaration_date_near_midnight():
    incident = snapshot(declared_at=utc(17, 23, 50), title="Login broken")
    text = lines(render(Template.INITIAL, incident, utc(17, 23, 55)))
    assert text[5] == "Channel: #inc-2026-02-17-login-broken"
    assert text[6] == "Next update: 00:20 UTC"


def test_channel_and_next_update_are_in_utc_for_non_utc_aware_datetimes():
    plus5 = timezone(timedelta(hours=5))
    declared = datetime(2026, 2, 18, 1, 30, tzinfo=plus5)  # = 2026-02-17 20:30 UTC
    incident = snapshot(declared_at=declared, started_at=None, title="Login broken")
    text = lines(render(Template.INITIAL, incident, declared))
    assert text[5] == "Channel: #inc-2026-02-17-login-broken"
    assert text[6] == "Next update: 21:00 UTC"


def test_channel_name_shape():
    assert re.fullmatch(r"#inc-\d{4}-\d{2}-\d{2}-[a-z0-9-]+", channel_name(snapshot()))


# --- customer-facing status -----------------------------------------------------------------
# Seed: [Service] - Investigating increased error rates We are currently investigating reports of
# [symptom]. Some users may experience [user-visible impact]. Our team is actively working on a
# resolution. We will provide an update within [time].


def test_customer_facing_investigating_sev2():
    rendered = render(Template.CUSTOMER, snapshot(), NOW)
    assert rendered.template is Template.CUSTOMER
    assert rendered.draft_note is None
    headline, blank, body = lines(rendered)
    assert headline == "payments-api - Investigating checkout API returning 500s"
    assert blank == ""
    assert body.startswith("We are currently investigating reports of checkout API returning 500s. ")
    assert "Some users may experience errors or be unable to use the service." in body
    assert "Our team is actively working on a resolution." in body
    assert body.endswith("We will provide an update within 30 minutes.")


@pytest.mark.parametrize(
    ("severity", "within"), [(Severity.SEV1, "15 minutes"), (Severity.SEV2, "30 minutes")]
)
def test_customer_facing_update_promise_follows_the_seed_cadence(severity, within):
    text = render(Template.CUSTOMER, snapshot(severity=severity), NOW).text
    assert text.endswith(f"We will provide an update within {within}.")


def test_customer_facing_names_every_service():
    incident = snapshot(services=("payments-api", "checkout-web"))
    assert lines(render(Template.CUSTOMER, incident, NOW))[0].startswith("payments-api, checkout-web - ")


def test_customer_facing_without_service():
    incident = snapshot(services=())
    assert lines(render(Template.CUSTOMER, incident, NOW))[0].startswith("Our service - Investigating")


@pytest.mark.parametrize(
    ("scope", "who"),
    [
        (Scope.ONE_USER, "A small number of users"),
        (Scope.LT25, "Some users"),
        (Scope.GT25, "Many users"),
        (Scope.ALL, "All users"),
    ],
)
def test_customer_facing_who(scope, who):
    assert f"{who} may experience" in render(Template.CUSTOMER, snapshot(scope=scope), NOW).text


def test_customer_facing_mitigated_and_resolved():
    mitigated = render(Template.CUSTOMER, snapshot(phase=Phase.MITIGATE), NOW).text
    assert mitigated.startswith("payments-api - Monitoring a fix")
    assert "We will provide an update within 30 minutes." in mitigated
    resolved = render(Template.CUSTOMER, snapshot(phase=Phase.RESOLVE, resolved_at=NOW), NOW).text
    assert resolved.startswith("payments-api - Resolved")
    assert "has been resolved" in resolved
    assert "We will provide an update" not in resolved


# --- resolution notification ------------------------------------------------------------------
# Seed: ✅ RESOLVED: [Title] Duration: [X hours Y minutes] Impact: [Summary]
#       Root cause: [One sentence] Postmortem: [Link] (within 5 business days)


def resolved(**changes: object) -> IncidentSnapshot:
    values: dict[str, object] = {
        "phase": Phase.RESOLVE,
        "started_at": utc(17, 13, 52),
        "resolved_at": utc(17, 15, 4),  # 72 minutes after the impact started
        "root_cause": "A migration dropped the index on payments.customer_id.",
    }
    values.update(changes)
    return snapshot(**values)


def test_resolution_line_by_line():
    rendered = render(Template.RESOLUTION, resolved(), utc(18, 9, 0), postmortem_link="https://wiki/pm/42")
    assert rendered.template is Template.RESOLUTION
    assert rendered.draft_note is None
    assert lines(rendered) == [
        "✅ RESOLVED: Checkout API returning 500s",
        "Duration: 1 hour 12 minutes",
        "Impact: Core function down for <25% of users (payments-api)",
        "Root cause: A migration dropped the index on payments.customer_id.",
        "Postmortem: https://wiki/pm/42 (within 5 business days, by 2026-02-24)",  # Tue -> next Tue
    ]


def test_resolution_duration_is_counted_from_impact_start_not_declaration():
    # declared 14:03, but impact started 13:52: duration is 72, not 61, minutes
    assert lines(render(Template.RESOLUTION, resolved(), NOW))[1] == "Duration: 1 hour 12 minutes"


def test_resolution_without_started_at_counts_from_declaration():
    rendered = render(Template.RESOLUTION, resolved(started_at=None), NOW)
    assert lines(rendered)[1] == "Duration: 1 hour 1 minute"


def test_resolution_defaults_for_link_and_root_cause():
    text = lines(render(Template.RESOLUTION, resolved(root_cause="   "), NOW))
    assert text[3] == "Root cause: Under investigation."
    assert text[4] == "Postmortem: to follow (within 5 business days, by 2026-02-24)"


@pytest.mark.parametrize(
    ("resolved_at", "due"),
    [
        (utc(20, 16, 45), "2026-02-27"),  # Friday -> next Friday
        (utc(21, 10, 0), "2026-02-27"),  # Saturday -> Friday after
        (utc(22, 10, 0), "2026-02-27"),  # Sunday -> Friday after
        (utc(23, 10, 0), "2026-03-02"),  # Monday -> next Monday
        (utc(17, 15, 4), "2026-02-24"),  # Tuesday -> next Tuesday
    ],
)
def test_postmortem_due_in_five_business_days(resolved_at, due):
    incident = resolved(started_at=resolved_at - timedelta(minutes=30), resolved_at=resolved_at)
    text = render(Template.RESOLUTION, incident, resolved_at + timedelta(days=1)).text
    assert text.endswith(f"(within 5 business days, by {due})")


def test_friday_resolution_lands_on_next_friday():
    friday = utc(20, 16, 45)
    assert friday.weekday() == 4
    due = add_business_days(friday, 5)
    assert due.weekday() == 4
    assert due.date() == utc(27, 0, 0).date()


@pytest.mark.parametrize("phase", [Phase.DETECT, Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE])
def test_resolution_for_open_incident_is_a_draft(phase):
    incident = snapshot(phase=phase, started_at=utc(17, 13, 52), resolved_at=None)
    rendered = render(Template.RESOLUTION, incident, utc(17, 14, 37))
    assert rendered.draft_note is not None
    assert "INC-K7Q2M9XF" in rendered.draft_note
    assert phase.value in rendered.draft_note
    assert "draft" in rendered.draft_note
    assert lines(rendered)[1] == "Duration: 45 minutes"  # 13:52 -> now 14:37


def test_resolution_for_review_phase_is_not_a_draft():
    assert render(Template.RESOLUTION, resolved(phase=Phase.REVIEW), NOW).draft_note is None


# --- slugify ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Checkout API returning 500s", "checkout-api-returning-500s"),
        ("Café déjà vu", "cafe-deja-vu"),
        ("Ünïcödé Örders", "unicode-orders"),
        ("DB: 500s!!! on /api/v1", "db-500s-on-api-v1"),
        ("  --Hello,   World--  ", "hello-world"),
        ("Payments API returns errors for all European customers", "payments-api-returns-errors-for"),
        ("a" * 40, "a" * 32),
        ("", "incident"),
        ("   ", "incident"),
        ("!!!", "incident"),
        ("日本語", "incident"),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


@given(st.text())
def test_slugify_is_always_a_clean_short_slug(title):
    slug = slugify(title)
    assert 1 <= len(slug) <= 32
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


@given(st.lists(st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True), min_size=1, max_size=12))
def test_slugify_cuts_long_titles_at_a_word_boundary(words):
    full = "-".join(words)
    slug = slugify(" ".join(words))
    if len(full) <= 32:
        assert slug == full
    else:
        assert full.startswith(slug)
        # the cut falls between words, or inside the first word when that alone is too long
        assert full[len(slug)] == "-" or (slug == full[:32] and "-" not in slug)


# --- Template.parse -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "template"),
    [("initial", Template.INITIAL), (" CUSTOMER ", Template.CUSTOMER), ("Resolution", Template.RESOLUTION)],
)
def test_template_parse(text, template):
    assert Template.parse(text) is template


@pytest.mark.parametrize("text", ["", "status", "resolved", "initial notification"])
def test_template_parse_rejects(text):
    with pytest.raises(InvalidInput) as err:
        Template.parse(text)
    message = str(err.value)
    assert f"'{text}'" in message
    for name in ("initial", "customer", "resolution"):
        assert name in message
