"""The weekly SRE review and the complete monthly report against a constructed data set with known answers
(a real SQLite file; every figure below is worked out by hand from the data built here)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.domain.weekly import monthly_markdown, to_markdown
from cockpit.service.aftercare import Aftercare
from cockpit.service.catalog import CatalogService, load_catalog
from cockpit.service.incidents import IncidentService
from cockpit.service.reviews import Reviews
from cockpit.store.db import Store
from cockpit.store.models import Page, Shift
from tests.conftest import FakeClock


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _resolve(svc: IncidentService, clock: FakeClock, ref: str, when: datetime, *, review: bool = False) -> None:
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE):
        svc.set_phase(ref, phase)
    clock.now = when
    svc.set_phase(ref, Phase.RESOLVE)
    if review:
        svc.set_phase(ref, Phase.REVIEW)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Reviews, dict[str, str]]:
    clock = FakeClock(at(12, 8))
    svc = IncidentService(Store.open(tmp_path / "c.db"), "tester", clock=clock)
    refs: dict[str, str] = {}
    # D, the week before: SEV2 (core down, < 25 %), resolved 08:20, never reviewed → postmortem missing
    refs["D"] = svc.open_incident("Payments 429", Impact.CORE_DOWN, Scope.LT25, services=["pay"]).ref
    _resolve(svc, clock, refs["D"], at(12, 8, 20))
    # A: SEV1 (core down, > 25 %), impact from 09:50, declared 10:00, resolved 11:00 → 70 min, postmortem missing
    clock.now = at(16, 10)
    refs["A"] = svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.GT25, services=["checkout-api"],
                                  started_at=at(16, 9, 50)).ref
    _resolve(svc, clock, refs["A"], at(16, 11))
    # B: SEV3 (degraded, < 25 %), 10 minutes: no postmortem required (not over 15 minutes)
    clock.now = at(18, 14)
    refs["B"] = svc.open_incident("Search slow", Impact.DEGRADED, Scope.LT25, services=["search"]).ref
    _resolve(svc, clock, refs["B"], at(18, 14, 10))
    # C: SEV4 (cosmetic, one user), flagged a novel failure mode, reviewed → postmortem written
    clock.now = at(20, 9)
    refs["C"] = svc.open_incident("Replica clock skew", Impact.COSMETIC, Scope.ONE_USER, services=["db"]).ref
    svc.add_entry(refs["C"], "#novel: clock skew on one replica reordered events")
    _resolve(svc, clock, refs["C"], at(20, 9, 5), review=True)

    care = Aftercare(svc)
    clock.now = at(19, 12)
    care.add_action("Pool alarms", query=refs["A"], owner="ann", deadline="2026-11-20", ticket="OPS-1")  # overdue
    care.add_action("Someone should look", query=refs["A"])  # orphan: no owner, date or ticket
    care.add_action("Probe", query=refs["A"], type_="detect", owner="bo", deadline="2026-12-01", ticket="OPS-3")
    care.add_action("Runbook review", query=refs["A"], type_="process", owner="bo", deadline="2026-12-01",
                    ticket="OPS-4")
    care.set_status("AI-003", "done")  # done 11-19: automation shipped (detect)
    care.set_status("AI-004", "done")  # done 11-19: completed, not automation (process)

    with svc.store.write() as session:
        for when, fp in ((at(16, 9, 45), False), (at(17, 2), True), (at(21, 12), False), (at(23, 10), False)):
            session.add(Page(id=str(uuid.uuid4()), at=when, responder="ann", service="checkout-api",
                             false_positive=fp))
        for start, end in ((at(9, 9), at(16, 9)), (at(16, 9), at(23, 9)), (at(23, 9), at(30, 9))):
            session.add(Shift(id=str(uuid.uuid4()), responder="ann", position="primary", starts_at=start,
                              ends_at=end))
    clock.now = at(22, 18)
    return Reviews(CatalogService(svc, load_catalog([]))), refs


def test_weekly_review_known_answers(built: tuple[Reviews, dict[str, str]]) -> None:
    reviews, refs = built
    w = reviews.weekly("2026-W47", date(2026, 11, 22))["weekly_review"]
    assert (w["from"], w["to"]) == ("2026-11-16", "2026-11-22")
    assert w["slo_status"]["available"] is False
    inc = w["incidents"]
    assert inc["count"] == 3  # A, B, C (D was the week before)
    assert inc["by_severity"] == {"SEV1": 1, "SEV2": 0, "SEV3": 1, "SEV4": 1}
    assert [(i["ref"], i["duration_minutes"], i["postmortem"]) for i in inc["items"]] == [
        (refs["A"], 70.0, "missing"), (refs["B"], 10.0, None), (refs["C"], 5.0, "written")]
    assert sorted(inc["postmortems_missing"]) == sorted([refs["A"], refs["D"]])
    ai = w["action_items"]
    assert (ai["open"], ai["overdue"], ai["orphans"]) == (2, 1, 1)
    assert [r["orphan"] for r in ai["items"]] == [[], ["owner", "date", "ticket"]]
    oc = w["on_call"]
    # pages in the week: Mon 09:45 (business hours), Tue 02:00 (off-hours, false positive), Sat 12:00 (weekend);
    # primary shifts overlapping the week: 11-09→11-16 09:00 and 11-16→11-23 → 3 / 2 = 1.5 per shift
    assert (oc["pages"], oc["off_hours"], oc["false_positives"], oc["pages_per_shift"]) == (3, 2, 1, 1.5)
    assert oc["health"] == {"pages_per_shift": "healthy", "off_hours_pages_per_week": "warning"}
    assert oc["alert_pages_per_week"] is None  # the alerts seam is not wired: "not available", not 0
    rw = w["reliability_work"]
    assert (rw["action_items_completed"], rw["automation_shipped"]) == (2, 1)
    assert rw["toil_reduced_hours"] is None and rw["chaos_experiments_run"] is None
    text = to_markdown({"weekly_review": w})
    assert "Not available: no SLO figures in the store" in text
    assert "- Alert volume from the alerts feed: not available" in text
    assert "- Chaos experiments run: not available" in text
    assert "AI-002 Someone should look — no owner, no date, no ticket **ORPHAN: no owner, no date, no ticket**" in text
    assert f"| {refs['A']} Checkout 500s | SEV1 | 70.0 min | missing |" in text


def test_complete_monthly_report_known_answers(built: tuple[Reviews, dict[str, str]]) -> None:
    reviews, refs = built
    reviews.edit_notes("2026-11", highlights=["Checkout recovered in 70 min"], concerns=["Orphan items"],
                       priorities=["Write the missing postmortems"])
    report = reviews.monthly("2026-11", date(2026, 11, 22))
    body = report["monthly_report"]
    assert body["incidents"]["total"] == 4
    assert body["incidents"]["by_severity"] == {"SEV1": 1, "SEV2": 1, "SEV3": 1, "SEV4": 1}
    # MTTR (declared → resolved): D 20, A 60, B 10, C 5 → 95 / 4 = 23.75 → 23.8 (one decimal)
    assert body["incidents"]["mttr_minutes"] == 23.8
    assert body["postmortems"]["required"] == 3 and body["postmortems"]["written"] == 1
    assert sorted(body["postmortems"]["missing"]) == sorted([refs["A"], refs["D"]])
    assert body["action_items"]["orphans"] == ["AI-002"]
    assert body["action_items"]["open"] == 2 and body["action_items"]["completed_this_month"] == 2
    assert body["toil"]["hours_spent"] is None
    assert body["slo_summary"] is None and body["error_budget"] is None
    assert body["highlights"] == ["Checkout recovered in 70 min"]
    assert body["next_month_priorities"] == ["Write the missing postmortems"]
    text = monthly_markdown(report)
    assert "- SLO summary: not available (no SLO figures in the store)" in text
    assert "- Hours spent: not available · automated away: not available · share of SRE time: not available" in text
    assert "## Concerns\n1. Orphan items" in text
    assert "- Required: 3 · written: 1 · missing: 2" in text
    for section in ("period", "slo_summary", "incidents", "error_budget", "toil", "on_call", "action_items",
                    "highlights", "concerns", "next_month_priorities"):
        assert section in body, section  # every section of the seed's monthly_report


def test_the_postmortem_flags_orphan_action_items(built: tuple[Reviews, dict[str, str]]) -> None:
    from cockpit.domain.postmortem import to_markdown as pm_markdown

    reviews, refs = built
    text = pm_markdown(Aftercare(reviews.incidents).postmortem(refs["A"]))
    # AI-001 has owner, date and ticket; AI-002 has none; AI-003/004 are done
    assert ("**Orphan action items** (every item needs an owner, a date and a ticket): AI-002 (no owner, no date, "
            "no ticket)") in text


def test_the_commands_give_the_same_known_answers(built: tuple[Reviews, dict[str, str]],
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from cockpit.cli.main import main

    reviews, refs = built
    monkeypatch.delenv("COCKPIT_SERVICE_DIRS", raising=False)  # the reviews need no catalog
    db = str(reviews.incidents.store.path)

    def run(*args: str) -> dict[str, object]:
        with pytest.raises(SystemExit) as exited:
            main(["--db", db, *args])
        out = capsys.readouterr()
        assert exited.value.code in (0, None), out.err
        loaded = json.loads(out.out)
        assert isinstance(loaded, dict)
        return loaded

    w = run("review", "weekly", "--week", "2026-W47", "--format", "json")["weekly_review"]
    assert isinstance(w, dict)
    assert w["incidents"]["by_severity"] == {"SEV1": 1, "SEV2": 0, "SEV3": 1, "SEV4": 1}
    assert [(i["ref"], i["duration_minutes"], i["postmortem"]) for i in w["incidents"]["items"]] == [
        (refs["A"], 70.0, "missing"), (refs["B"], 10.0, None), (refs["C"], 5.0, "written")]
    assert (w["on_call"]["pages"], w["on_call"]["off_hours"], w["on_call"]["pages_per_shift"]) == (3, 2, 1.5)
    assert w["action_items"]["orphans"] == 1 and w["reliability_work"]["automation_shipped"] == 1
    m = run("review", "monthly", "--month", "2026-11", "--format", "json")["monthly_report"]
    assert isinstance(m, dict)
    assert m["incidents"]["total"] == 4 and m["incidents"]["mttr_minutes"] == 23.8
    assert m["postmortems"] == {"required": 3, "written": 1, "missing": m["postmortems"]["missing"]}
    assert sorted(m["postmortems"]["missing"]) == sorted([refs["A"], refs["D"]])
    assert m["toil"]["hours_spent"] is None and m["slo_summary"] is None
