"""Postmortems, action items, handoffs and the monthly report, against the sample data and a constructed set."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from cockpit.domain import postmortem as pm
from cockpit.domain.handoff import to_markdown as handoff_md
from cockpit.domain.postmortem import blame_check
from cockpit.domain.severity import Impact, Scope, Triggers
from cockpit.errors import InvalidInput, NotFound, RuleViolation
from cockpit.service.aftercare import Aftercare
from cockpit.service.handoffs import Handoffs
from cockpit.service.incidents import IncidentService
from cockpit.service.sample import load_sample_data
from cockpit.store.db import Store
from cockpit.store.models import Page, Shift
from tests.conftest import FakeClock, run_cli, seeded_rand

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
FIRST_FREE_ACTION = 8  # the sample data's two reviewed incidents accepted AI-001..AI-007 in their postmortems


@pytest.fixture
def sample(tmp_path: Path) -> IncidentService:
    store = Store.open(tmp_path / "s.db")
    load_sample_data(store)  # unshifted: times exactly as written in the files
    return IncidentService(store, "reviewer", clock=FakeClock(NOW))


def ref_of(svc: IncidentService, title_start: str) -> str:
    return next(s.ref for s in svc.list_incidents(include_closed=True) if s.title.startswith(title_start))


def test_postmortem_times_match_hand_computed_values(sample: IncidentService) -> None:
    # 03-catalog-api-5xx-after-deploy.yaml: impact 13:12, declared 13:23, triage 13:25, mitigate 13:43,
    # resolve 15:19 (all 2026-11-18 UTC)
    draft = Aftercare(sample).postmortem(ref_of(sample, "Elevated 5xx on catalog-api"))
    assert draft.detection["time_to_detect_minutes"] == 11
    assert draft.detection["time_to_acknowledge_minutes"] == 2
    assert draft.resolution["time_to_mitigate_minutes"] == 20
    assert draft.resolution["time_to_resolve_minutes"] == 116
    assert draft.duration == "2 hours 7 minutes" and draft.date == "2026-11-18"
    assert not draft.unresolved and not draft.quick  # a SEV2 gets the full template
    detail = sample.get(ref_of(sample, "Elevated 5xx on catalog-api"))
    assert len(draft.timeline) == len(detail.timeline)  # the whole timeline
    proposed = [a for a in draft.action_items if a.proposed]
    assert [a.description for a in proposed] == [e.text for e in detail.timeline if e.kind == "action"]
    first = FIRST_FREE_ACTION  # the reviewed incidents' accepted items come first
    assert [a.key for a in proposed] == [f"AI-{i:03d}" for i in range(first, first + len(proposed))]


def test_postmortem_formats(sample: IncidentService) -> None:
    ref = ref_of(sample, "Elevated 5xx on catalog-api")
    md = run_cli("--db", str(sample.store.path), "postmortem", ref)
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Postmortem: Elevated 5xx on catalog-api after v3.8.0 deploy")
    for heading in ("## Executive Summary", "## Timeline (UTC)", "### 5 Whys", "## Detection", "## Resolution",
                    "## What Went Well", "## Where We Got Lucky", "## Action Items"):
        assert heading in md.stdout
    assert "- Time to mitigate: 20.0 min" in md.stdout
    data = yaml.safe_load(run_cli("--db", str(sample.store.path), "postmortem", ref, "--format", "yaml").stdout)
    body = data["postmortem"]
    assert body["severity"] == "SEV2" and body["resolution"]["time_to_resolve_minutes"] == 116
    assert body["status"] == "draft" and body["action_items"][0]["id"] == f"AI-{FIRST_FREE_ACTION:03d}"
    quick = run_cli("--db", str(sample.store.path), "postmortem", ref_of(sample, "Disk usage high"))
    assert quick.stdout.startswith("# Quick Postmortem:") or "# Quick Postmortem:" in quick.stdout
    assert "not resolved yet" in quick.stderr and "Draft of an unresolved incident" in quick.stdout
    assert quick.returncode == 0


@pytest.mark.parametrize(("text", "phrase"), [
    ("Dave caused the outage by running the migration.", "Dave caused"),
    ("This was human error.", "human error"),
    ("The on-call should have checked the dashboard.", "should have"),
    ("It was the fault of the release team.", "fault of"),
])
def test_blame_check_flags_blame(text: str, phrase: str) -> None:
    [flag] = blame_check(text)
    assert flag.phrase.lower() == phrase.lower()
    assert "What conditions allowed this?" in flag.suggestion


@pytest.mark.parametrize("text", [
    "The migration ran without an index because CI has no query plan check.",
    "The alert routed to a channel nobody watched.",
    "Caused by a missing timeout in the client.",
])
def test_blame_check_leaves_systems_language_alone(text: str) -> None:
    assert blame_check(text) == []


def test_action_items_cli(sample: IncidentService) -> None:
    db = str(sample.store.path)
    ref = ref_of(sample, "Elevated 5xx on catalog-api")
    key = run_cli("--db", db, "action", "add", "Canary under peak load", "--incident", ref, "--owner", "alice",
                  "--priority", "P0", "--type", "detect", "--due", "2026-11-01").stdout.strip()
    new = f"AI-{FIRST_FREE_ACTION:03d}"
    assert key == new
    listed = json.loads(run_cli("--db", db, "action", "list", "--incident", ref, "--json").stdout)
    assert listed[0]["id"] == new and listed[0]["overdue"] and listed[0]["incident"] == ref
    assert "OVERDUE" in run_cli("--db", db, "action", "list", "--overdue").stdout
    assert run_cli("--db", db, "action", "done", new.lower()).returncode == 0
    assert json.loads(run_cli("--db", db, "action", "list", "--incident", ref, "--json").stdout) == []
    bad = run_cli("--db", db, "action", "done", "AI-999")
    assert bad.returncode == 3 and "No action item AI-999" in bad.stderr
    bad_date = run_cli("--db", db, "action", "add", "x", "--due", "tomorrow")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr
    # stored items replace their proposals in the postmortem
    draft = Aftercare(sample).postmortem(ref)
    assert draft.action_items[0].key == new and not draft.action_items[0].proposed


def test_handoff_drafted_from_the_sample_data(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "h.db")
    load_sample_data(store, now=NOW)
    svc = IncidentService(store, "priya", clock=FakeClock(NOW))
    Aftercare(svc).add_action("Alert on pgbouncer cl_waiting", owner="dmitri", priority="P1")
    made = Handoffs(svc).draft()
    issues = [i["issue"] for i in made.sections["open_issues"]]
    open_refs = [s.ref for s in svc.list_incidents()]
    assert len(open_refs) == 3
    for ref in open_refs:
        assert any(issue.startswith(ref) for issue in issues)
    assert any("SEV1 MITIGATE: Checkout API returning 500s" in i for i in issues)
    assert any(i.startswith(f"AI-{FIRST_FREE_ACTION:03d} (P1, prevent): Alert on pgbouncer") for i in issues)
    checkout = next(i for i in made.sections["open_issues"] if "Checkout API" in i["issue"])
    assert checkout["status"].startswith("IC priya; last status: SEV1 mitigated for 27 min")
    expected_changes = sorted(
        (e.at, e.text) for s in svc.list_incidents(include_closed=True) for e in svc.get(s.ref).timeline
        if e.kind in ("change", "deploy") and e.at >= NOW - timedelta(days=7))
    assert len(made.sections["recent_changes"]) == len(expected_changes) > 0
    for (at, text), item in zip(expected_changes, made.sections["recent_changes"], strict=True):
        assert item["change"].startswith(f"{at:%Y-%m-%d %H:%M}Z") and item["change"].endswith(text)


def test_handoff_lifecycle_and_markdown(tmp_path: Path, snapshot) -> None:
    clock = FakeClock(NOW)
    store = Store.open(tmp_path / "h.db")
    outgoing = IncidentService(store, "priya", clock=clock, rand=seeded_rand("handoff"))
    incoming = IncidentService(store, "sofia", clock=clock)
    outgoing.open_incident("Search latency", Impact.DEGRADED, Scope.LT25, Triggers(), ["search-api"],
                           commander="priya")
    handoffs = Handoffs(outgoing)
    made = handoffs.draft()
    sections = dict(made.sections)
    sections["known_risks"] = [{"event": "Black Friday traffic", "watch_for": "checkout p99 above 800 ms"}]
    sections["maintenance"] = [{"when": "2026-11-24 02:00Z", "what": "orders-db minor upgrade",
                                "duration": "30 min", "rollback": "failover to replica"}]
    handoffs.save(made.key, sections)
    with pytest.raises(RuleViolation, match="not signed off yet"):
        Handoffs(incoming).acknowledge(made.key)
    clock.advance(minutes=5)
    handoffs.sign(made.key)
    clock.advance(minutes=90)
    assert handoffs.get(made.key).overdue_ack(clock.now)  # not acknowledged within the hour: flagged
    done = Handoffs(incoming).acknowledge(made.key)
    assert done.acknowledged_by == "sofia" and done.acknowledged_at == clock.now and not done.overdue_ack(clock.now)
    with pytest.raises(RuleViolation, match="can no longer change"):
        handoffs.save(made.key, sections)
    assert handoff_md(handoffs.get(made.key)) == snapshot
    with pytest.raises(NotFound, match="No handoff H-042"):
        handoffs.get("H-042")
    with pytest.raises(InvalidInput, match="not a handoff id"):
        handoffs.get("yesterday")


def test_handoff_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    out = run_cli("--db", db, "handoff", "draft")
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == "H-001"
    assert run_cli("--db", db, "handoff", "sign", "H-001").returncode == 0
    ack = run_cli("--db", db, "--as", "sofia", "handoff", "ack", "1")
    assert ack.returncode == 0 and "acknowledged by sofia" in ack.stdout
    listed = json.loads(run_cli("--db", db, "handoff", "list", "--json").stdout)
    assert listed[0]["state"] == "acknowledged" and listed[0]["acknowledged_by"] == "sofia"
    exported = run_cli("--db", db, "handoff", "export", "H-001", "--format", "md").stdout
    assert exported.startswith("## On-Call Handoff:") and "### Open Issues" in exported
    missing = run_cli("--db", db, "handoff", "show", "H-009")
    assert missing.returncode == 3 and "No handoff H-009" in missing.stderr and "Traceback" not in missing.stderr


# --- the monthly report against a constructed data set with known answers -----------------------
def test_monthly_report_known_answers(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "r.db")
    clock = FakeClock(datetime(2026, 10, 5, 10, 0, tzinfo=UTC))  # a Monday, office hours
    svc = IncidentService(store, "ic", clock=clock)

    def incident(title: str, service: str, impact: Impact, scope: Scope, at: datetime, started_min: int,
                 mitigate_min: int | None, resolve_min: int | None) -> None:
        clock.now = at
        ref = svc.open_incident(title, impact, scope, services=[service],
                                started_at=at - timedelta(minutes=started_min)).ref
        from cockpit.domain.lifecycle import Phase

        for phase, minutes in ((Phase.TRIAGE, 1), (Phase.RESPOND, 2), (Phase.MITIGATE, mitigate_min),
                               (Phase.RESOLVE, resolve_min)):
            if minutes is None:
                break
            clock.now = at + timedelta(minutes=minutes)
            svc.set_phase(ref, phase)

    base = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    incident("Checkout API errors", "checkout-api", Impact.CORE_DOWN, Scope.ALL, base, 10, 20, 60)        # SEV1
    incident("Checkout API errors again", "checkout-api", Impact.CORE_DOWN, Scope.LT25,  # SEV2, a repeat
             base + timedelta(days=7), 6, 40, 100)
    incident("Search slow", "search-api", Impact.DEGRADED, Scope.LT25, base + timedelta(days=8), 0, 30, None)  # SEV3
    incident("Logo blurry", "web", Impact.COSMETIC, Scope.ONE_USER, base + timedelta(days=15), 2, None, None)  # SEV4
    incident("October outage", "web", Impact.CORE_DOWN, Scope.ALL, datetime(2026, 10, 20, tzinfo=UTC), 0, 5, 9)
    with store.write() as session:
        shifts = [("priya", "primary", 2), ("sofia", "secondary", 2), ("marcus", "primary", 9),
                  ("lena", "primary", 16), ("chen", "primary", 23), ("kwame", "primary", 30)]
        for i, (who, position, day) in enumerate(shifts):
            start = datetime(2026, 11, day, 9, tzinfo=UTC) if day <= 30 else None
            assert start is not None
            session.add(Shift(id=f"s{i}", responder=who, position=position, starts_at=start,
                              ends_at=start + timedelta(days=7)))
        pages = [  # (day, hour, ack minutes, false positive)
            (3, 14, 2, False), (4, 3, 20, False), (7, 11, 4, True), (8, 23, 6, False),  # Nov 7 is a Saturday
            (12, 10, 1, False), (20, 2, 9, False),
        ]
        for i, (day, hour, ack, fp) in enumerate(pages):
            at = datetime(2026, 11, day, hour, tzinfo=UTC)
            session.add(Page(id=f"p{i}", at=at, responder="priya", acknowledged_at=at + timedelta(minutes=ack),
                             false_positive=fp))
    clock.now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    care = Aftercare(svc)
    care.add_action("Add a canary", deadline="2026-11-10")          # overdue on 11-25
    care.add_action("Write runbook", deadline="2026-12-10")          # open, not overdue
    done = care.add_action("Fix alert routing")
    care.set_status(done.key, "done")                                # completed this month

    data = care.monthly_report("2026-11", date(2026, 11, 25))["monthly_report"]
    inc = data["incidents"]
    assert inc["total"] == 4 and inc["by_severity"] == {"SEV1": 1, "SEV2": 1, "SEV3": 1, "SEV4": 1}
    assert inc["mttd_minutes"] == 4.5        # (10 + 6 + 0 + 2) / 4
    assert inc["mttr_minutes"] == 80.0       # (60 + 100) / 2 resolved
    assert inc["repeat_incidents"] == 1      # "Checkout API errors again": same service, similar title
    oc = data["on_call"]
    assert oc["total_pages"] == 6 and oc["off_hours_pages"] == 4  # 03:00, Saturday 11:00, 23:00, 02:00
    assert oc["avg_ack_time_min"] == 7.0     # (2 + 20 + 4 + 6 + 1 + 9) / 6
    assert oc["false_positive_pct"] == 16.7  # 1 of 6
    assert oc["pages_per_shift"] == 1.2      # 6 pages over 5 primary shifts overlapping November
    assert oc["time_to_mitigate_min"] == 30.0  # (20 + 40 + 30) / 3
    assert oc["off_hours_pages_per_week"] == round(4 / (30 / 7), 2)
    health = data["on_call_health"]  # 0.93 off-hours pages a week is under the seed's 1/week
    assert health == {"pages_per_shift": "healthy", "off_hours_pages_per_week": "healthy",
                      "time_to_acknowledge": "warning", "time_to_mitigate": "warning",
                      "false_positive_rate": "warning"}
    assert data["action_items"] == {"open": 2, "proposed": 0, "completed_this_month": 1, "overdue": 1}
    weeks = data["weekly_incidents"]
    assert weeks[0]["week_of"] == "2026-10-26" and weeks[1]["SEV1"] == 1 and weeks[2]["SEV2"] == 1


def test_report_cli_and_bad_month(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    bad = run_cli("--db", db, "report", "monthly", "--month", "2026-13")
    assert bad.returncode == 2 and "'2026-13' is not a month" in bad.stderr and "Traceback" not in bad.stderr
    ok = run_cli("--db", db, "report", "monthly", "--month", "2026-11", "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["monthly_report"]["incidents"]["total"] == 0
    md = run_cli("--db", db, "report", "monthly", "--month", "2026-11")
    assert md.stdout.startswith("# Monthly Reliability Report: 2026-11") and "| Pages per shift |" in md.stdout


def test_postmortem_helpers() -> None:
    with pytest.raises(InvalidInput, match="not an action type"):
        pm.check_action_fields("blame", "P1", "open")
