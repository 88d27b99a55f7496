"""The catalog joined with the store, on the sample data with a fixed clock: evidence checked by hand against
sample_data/rotation.yaml, the incident files and the runbooks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cockpit.domain import assessment as am
from cockpit.service.catalog import CatalogService, load_catalog
from cockpit.service.incidents import IncidentService
from cockpit.service.reviews import Reviews
from cockpit.service.runbooks import load_library
from cockpit.service.sample import SAMPLE_DIR, load_sample_data
from cockpit.service.slo_files import load_library as load_slos
from cockpit.store.db import Store
from tests.conftest import FakeClock

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


@pytest.fixture
def catalog(tmp_path: Path) -> CatalogService:
    store = Store.open(tmp_path / "c.db")
    load_sample_data(store, now=NOW)
    svc = IncidentService(store, "tester", clock=FakeClock(NOW))
    return CatalogService(svc, load_catalog([SAMPLE_DIR / "services"]), load_slos([SAMPLE_DIR / "slos"]),
                          load_library([SAMPLE_DIR / "runbooks"]))


def test_on_call_evidence_is_pages_per_primary_shift(catalog: CatalogService) -> None:
    facts = catalog.facts("payment-gateway")
    # 28 days to 2026-11-22 20:00: primary shifts of dmitri, chen, alice, priya (4); payment-gateway pages at
    # 11-02 11:30, 11-09 06:52, 11-09 10:14, 11-20 17:48 (4) → 1.00 per shift → 5 (< 2)
    assert (facts.pages, facts.shifts) == (4, 4)
    assert am.propose(facts)["on_call"] == am.Score(5, "4 page(s) over 4 primary shift(s): 1.00 per shift")


def test_postmortems_required_and_missing(catalog: CatalogService) -> None:
    dues = {d.ref: d for d in catalog.postmortems()}
    states = sorted(d.state for d in dues.values())
    assert states.count("due after resolution") >= 1  # 06, the open SEV1
    sev2 = [d for d in dues.values() if d.title.startswith("Card payments failing")]
    assert sev2 and sev2[0].state == "written" and "SEV2 incident" in sev2[0].reasons


def test_neighbours_name_open_incidents_up_and_down(catalog: CatalogService) -> None:
    lines = catalog.neighbours(["web-frontend"])
    assert any(line.startswith("web-frontend calls checkout-api, which has an open SEV1 (INC-") for line in lines)
    assert catalog.neighbours(["identity-api"]) == [] or all("identity-api" in x for x in catalog.neighbours(
        ["identity-api"]))


def test_readiness_walk_starts_from_stored_answers_then_the_store(catalog: CatalogService) -> None:
    review = catalog.readiness_start("checkout-api", "priya")
    assert review.answers["monitoring.tracing"].status == "fail"  # stored, by priya
    assert not review.answers["monitoring.tracing"].prefilled
    top5 = review.answers["incidents.top5_runbooks"]
    assert top5.prefilled and top5.evidence == "runbooks for top 5 failure modes: 3 found"
    names = sorted(b.id for b in catalog.service_runbooks("checkout-api"))  # type: ignore[attr-defined]
    assert names == ["checkout-error-rate-high", "db-connection-pool-exhausted", "dependency-rate-limited-429"]
    assert review.on == date(2026, 11, 22)


def test_written_review_reads_back(catalog: CatalogService, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "services"
    shutil.copytree(SAMPLE_DIR / "services", folder)
    catalog.catalog = load_catalog([folder])
    review = catalog.readiness_start("identity-api", "priya")
    path = catalog.write_review(review)
    again = catalog.write_review(review)
    assert path.name == "identity-api-2026-11-22.yaml" and again.name == "identity-api-2026-11-22-2.yaml"
    loaded = load_catalog([folder])
    assert not loaded.problems
    stored = loaded.latest_review("identity-api")
    assert stored is not None and stored.answers.keys() == review.answers.keys()


def test_monthly_notes_are_kept_and_edited(catalog: CatalogService) -> None:
    reviews = Reviews(catalog)
    reviews.edit_notes("2026-11", highlights=["Pool fix held"], concerns=["Tracing gap", "PSP limits"])
    notes = reviews.edit_notes("2026-11", removals=["concerns:1"], priorities=["Top-5 runbooks"])
    assert notes == {"highlights": ["Pool fix held"], "concerns": ["PSP limits"],
                     "next_month_priorities": ["Top-5 runbooks"]}
    assert Reviews(catalog).notes("2026-11") == notes  # read back through the store
    assert Reviews(catalog).notes("2026-10") == {"highlights": [], "concerns": [], "next_month_priorities": []}


def test_capacity_and_monitoring_evidence_from_the_stored_review(catalog: CatalogService) -> None:
    made = am.propose(catalog.facts("checkout-api"))
    # sample_data/services/readiness/checkout-api-2026-11-20.yaml: load test passed, auto-scaling not answered,
    # golden signals and structured logging passed, tracing failed
    assert made["capacity"] == am.Score(3, "readiness review of 2026-11-20: load tested to 2x peak")
    assert made["monitoring"].score == 3
    assert "not passed in the readiness review of 2026-11-20: tracing" in made["monitoring"].evidence
