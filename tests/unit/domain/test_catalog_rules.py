"""The seed's rules for #11, figures computed by hand: maturity bands, the quality score, the multi-region guide,
the postmortem-required rules, orphan action items, ISO weeks, and the proposal from store facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cockpit.domain import assessment as am
from cockpit.domain import discipline as dc
from cockpit.domain import readiness as rd
from cockpit.domain.catalog import cross_check, region_strategy, validate_catalog
from cockpit.domain.incident import Entry, IncidentSnapshot
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope, Severity, Triggers
from cockpit.domain.weekly import week_label, week_window
from cockpit.errors import InvalidInput

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("total", "name"), [
    (8, "Firefighting mode"), (16, "Firefighting mode"), (17, "Foundation built"), (24, "Foundation built"),
    (25, "Maturing"), (32, "Maturing"), (33, "Advanced"), (40, "Advanced"),
])
def test_each_maturity_band_boundary(total: int, name: str) -> None:
    assert am.band(total)[0] == name


def test_band_advice_is_the_seeds() -> None:
    assert am.band(16)[1] == "start with SLOs + incident process"
    assert am.band(17)[1] == "add chaos engineering + toil reduction"
    assert am.band(25)[1] == "optimize error budgets + capacity planning"
    assert am.band(33)[1] == "focus on predictive reliability + culture"


@pytest.mark.parametrize("total", [7, 41, 0])
def test_a_total_outside_8_to_40_is_refused(total: int) -> None:
    with pytest.raises(InvalidInput, match="8 to 40"):
        am.band(total)


def _assessment(**scores: int) -> am.Assessment:
    return am.Assessment("checkout-api", date(2026, 11, 2), "priya",
                         {k: am.Score(v, "note") for k, v in scores.items()})


def test_quality_score_of_a_constructed_assessment() -> None:
    made = _assessment(slos=3, monitoring=4, incident_response=3, automation=2, chaos=1, capacity=3, toil=5,
                       on_call=4, documentation=5)
    # by hand: 20*3/5 + 15*4/5 + 15*3/5 + 15*2/5 + 10*1/5 + 10*3/5 + 10*4/5 + 5*5/5
    #        = 12 + 12 + 9 + 6 + 2 + 6 + 8 + 5 = 60 (toil is not in the rubric)
    assert made.quality == 60
    # maturity: 3+4+3+2+1+3+5+4 = 25 (documentation is not a maturity dimension) → Maturing
    assert made.maturity_total == 25
    assert made.band[0] == "Maturing"


def test_quality_extremes_and_weights_sum_to_100() -> None:
    assert sum(am.QUALITY_WEIGHTS.values()) == 100
    assert am.quality_score(dict.fromkeys(am.QUALITY_WEIGHTS, 5)) == 100
    assert am.quality_score(dict.fromkeys(am.QUALITY_WEIGHTS, 1)) == 20


@pytest.mark.parametrize("bad", [0, 6, "3", 2.5, True])
def test_a_score_outside_1_to_5_is_refused(bad: object) -> None:
    with pytest.raises(InvalidInput, match="1 to 5"):
        am.check_score(bad)


def test_trend_is_oldest_first() -> None:
    old = _assessment(**dict.fromkeys(am.BY_KEY, 2))
    new = am.Assessment("checkout-api", date(2026, 12, 1), "priya", {k: am.Score(3, "n") for k in am.BY_KEY})
    assert am.trend([new, old]).text() == "2026-11-02 16/40 (40) → 2026-12-01 24/40 (60)"


@pytest.mark.parametrize(("target", "strategy"), [
    (99.0, "Single region with good backups"), (99.89, "Single region with good backups"),
    (99.9, "Active-passive with automated failover"), (99.95, "Active-passive with automated failover"),
    (99.96, "Active-active (read or full)"), (99.99, "Active-active (read or full)"),
    (99.991, "Cell-based architecture"), (99.999, "Cell-based architecture"),
])
def test_multi_region_guide_thresholds(target: float, strategy: str) -> None:
    assert region_strategy(target).strategy == strategy


def _snap(severity: Severity = Severity.SEV3, impact: Impact = Impact.DEGRADED, minutes: float = 10,
          phase: Phase = Phase.RESOLVE, triggers: Triggers | None = None) -> IncidentSnapshot:
    return IncidentSnapshot(id="i", ref="INC-TEST0001", title="t", services=("checkout-api",), impact=impact,
                            scope=Scope.LT25, triggers=triggers or Triggers(), severity=severity, severity_reason="",
                            severity_overridden=False, phase=phase, declared_at=T0, started_at=T0,
                            resolved_at=T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(("snap", "flags", "expected"), [
    (_snap(Severity.SEV1), (), ["SEV1 incident"]),
    (_snap(Severity.SEV2), (), ["SEV2 incident"]),
    (_snap(Severity.SEV3, minutes=15), (), []),  # exactly 15 minutes is not "over 15"
    (_snap(Severity.SEV3, minutes=16), (), ["customer-facing outage over 15 minutes (16 min)"]),
    (_snap(Severity.SEV3, impact=Impact.COSMETIC, minutes=90), (), []),  # cosmetic is not an outage
    (_snap(Severity.SEV4, triggers=Triggers(data_loss=True)), (), ["data loss or security incident"]),
    (_snap(Severity.SEV4, triggers=Triggers(security_pii=True)), (), ["data loss or security incident"]),
    (_snap(Severity.SEV4), ("near-miss",), ["near-miss that could have been severe"]),
    (_snap(Severity.SEV4), ("novel",), ["novel failure mode"]),
    (_snap(Severity.SEV4), (), []),
])
def test_postmortem_required_rules(snap: IncidentSnapshot, flags: tuple[str, ...], expected: list[str]) -> None:
    assert dc.postmortem_reasons(snap, T0 + timedelta(hours=5), flags) == expected


def test_postmortem_written_missing_or_due() -> None:
    reasons = ["SEV1 incident"]
    assert dc.postmortem_state(_snap(phase=Phase.REVIEW), reasons) == "written"
    assert dc.postmortem_state(_snap(phase=Phase.RESOLVE), reasons) == "missing"
    assert dc.postmortem_state(_snap(phase=Phase.MITIGATE), reasons) == "due after resolution"
    assert dc.postmortem_state(_snap(phase=Phase.RESOLVE), []) is None


def test_flags_come_from_what_people_wrote_only() -> None:
    entries = [Entry("1", T0, "note", "ann", "This was a #near-miss: the replica almost lagged out"),
               Entry("2", T0, "system", "cockpit", "#novel"),  # the cockpit's own words do not flag
               Entry("3", T0, "decision", "bo", "call it #Novel"),
               Entry("4", T0, "note", "bo", "see issue#near-missing")]
    assert dc.flags_in(entries) == {"near-miss", "novel"}


def test_orphan_action_items_need_owner_date_and_ticket() -> None:
    assert dc.orphan_gaps("priya", date(2026, 12, 1), "OPS-1") == []
    assert dc.orphan_gaps("", None, " ") == ["owner", "date", "ticket"]
    assert dc.orphan_text(["date", "ticket"]) == "ORPHAN: no date, no ticket"


def test_meeting_agenda_is_60_minutes_and_the_clock_counts_down() -> None:
    assert sum(minutes for _, minutes, _ in dc.MEETING) == 60
    assert dc.MeetingClock(0, 65).text() == "03:55 left"
    assert dc.MeetingClock(0, 301).text() == "over by 00:01"


@pytest.mark.parametrize(("text", "start"), [
    ("2026-W48", datetime(2026, 11, 23, tzinfo=UTC)),
    ("2026-W53", datetime(2026, 12, 28, tzinfo=UTC)),  # 2026 has 53 ISO weeks
    ("2027-W01", datetime(2027, 1, 4, tzinfo=UTC)),
])
def test_iso_weeks(text: str, start: datetime) -> None:
    assert week_window(text) == (start, start + timedelta(days=7))
    assert week_label(start.date()) == text


@pytest.mark.parametrize(("text", "message"), [
    ("2026-W54", "2026 has 53 ISO weeks"), ("2027-W53", "2027 has 52 ISO weeks"),
    ("2026-W00", "2026 has 53"), ("2026-48", "use YYYY-Www"), ("W48", "use YYYY-Www"),
])
def test_a_week_that_does_not_exist_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        week_window(text)


def test_catalog_enums_and_cross_checks() -> None:
    made, issues = validate_catalog({"services": [
        {"service": {"name": "a", "tier": "critical", "owner_team": "t", "oncall_rotation": "r",
                     "dependencies": {"upstream": ["b", "zz"]}}},
        {"service": {"name": "b", "tier": "gold", "owner_team": "t", "oncall_rotation": "r"}},
        {"service": {"name": "c", "tier": "standard", "owner_team": "t", "oncall_rotation": "r",
                     "dependencies": {"downstream": ["c"]}}},
    ]})
    assert [e.name for e, _ in made.entries] == ["a"]
    assert (("services", 1, "service", "tier"),
            "'gold' is not allowed: use one of critical | important | standard | experimental") in issues
    assert (("services", 2, "service", "dependencies", "downstream"), "'c' cannot depend on itself") in issues
    warnings = [m for _, _, m in cross_check([e for e, _ in made.entries])]
    assert warnings == ["warning: 'b' is not in the catalog", "warning: 'zz' is not in the catalog"]


def test_readiness_verdict() -> None:
    review = rd.Review("x", date(2026, 11, 20), "p", {c.id: rd.Answer("pass", "ok") for c in rd.CHECKLIST})
    assert review.ready and review.status == "ready"
    review.answers["data.retention"] = rd.Answer("n/a", "stateless")
    assert review.ready
    review.answers["deploy.canary"] = rd.Answer("fail", "no canary")
    assert not review.ready and [c.id for c in review.failing] == ["deploy.canary"]
    del review.answers["docs.api"]
    assert review.status == "not ready (1 failing)"
    assert len(rd.CHECKLIST) == 28 and len({c.category for c in rd.CHECKLIST}) == 9


def test_prefill_counts_runbooks_for_the_top_5() -> None:
    facts = rd.ReadinessFacts(slos=2, slos_measured=2, slos_with_runbook=2, rotation="payments-primary",
                              rotation_shifts=12, runbooks=(("a", "AlertA", "lead"), ("b", "", "lead"),
                                                            ("c", "AlertC", "")))
    answers = rd.prefill(facts)
    assert answers["incidents.top5_runbooks"] == rd.Answer("fail", "runbooks for top 5 failure modes: 3 found", True)
    assert answers["incidents.escalation"].status == "fail"
    assert answers["incidents.rotation"].status == "pass"
    assert answers["slos.slis_measured"].evidence == "2 of 2 SLO(s) measured with Prometheus queries"
    assert "alert lint not available" in answers["monitoring.alerts_with_runbooks"].evidence


@pytest.mark.parametrize(("pages", "shifts", "score"), [(3, 2, 5), (4, 2, 3), (10, 2, 3), (11, 2, 1)])
def test_on_call_proposal_from_pages_per_shift(pages: int, shifts: int, score: int) -> None:
    # 3/2 = 1.5 < 2 → 5; 4/2 = 2 and 10/2 = 5 → 3 (2-5 warning); 11/2 = 5.5 > 5 → 1
    assert am.propose(am.Facts("s", pages=pages, shifts=shifts))["on_call"].score == score


def test_proposals_for_monitoring_automation_and_the_rest() -> None:
    facts = am.Facts("s", slos=2, slos_measured=2, slos_with_runbook=1, budget_state="warning", runbooks=3,
                     runbooks_current=3, auto_remediations=2, deployment_frequency="daily", postmortems_required=2,
                     postmortems_missing=1)
    made = am.propose(facts)
    assert made["slos"].score == 4 and "1 without a runbook" in made["slos"].evidence
    assert made["monitoring"] == am.Score(3, "SLIs measured from Prometheus (2); alert lint not available")
    assert made["automation"].score == 4
    assert made["incident_response"].score == 2 and "1 of 2 required postmortem(s) written" in \
        made["incident_response"].evidence
    assert made["documentation"].score == 4
    assert "chaos" not in made and "toil" not in made and "capacity" not in made
    assert "no chaos experiments" in am.no_evidence("chaos")
    assert am.propose(am.Facts("s"))["slos"] == am.Score(1, "no SLO file names s")


@pytest.mark.parametrize(("load", "scaling", "score"), [("pass", "pass", 4), ("pass", None, 3), ("fail", "fail", 2),
                                                        (None, None, None)])
def test_capacity_proposal_from_the_readiness_review(load: str | None, scaling: str | None,
                                                     score: int | None) -> None:
    answers = {k: v for k, v in (("capacity.load_tested", load), ("capacity.autoscaling", scaling)) if v}
    made = am.propose(am.Facts("s", readiness=answers, readiness_date="2026-11-20"))
    assert (made["capacity"].score if "capacity" in made else None) == score


def test_monitoring_reaches_4_only_with_observability_passed_in_review() -> None:
    all_three = {"monitoring.golden_signals": "pass", "monitoring.structured_logging": "pass",
                 "monitoring.tracing": "pass"}
    assert am.propose(am.Facts("s", slos_measured=1, readiness=all_three))["monitoring"].score == 4
    two = {**all_three, "monitoring.tracing": "fail"}
    made = am.propose(am.Facts("s", slos_measured=1, readiness=two, readiness_date="2026-11-20"))["monitoring"]
    assert made.score == 3 and "not passed in the readiness review of 2026-11-20: tracing" in made.evidence
