"""The sample data set loads through the real rules and covers what the demo promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentService
from cockpit.service.sample import SAMPLE_DIR, latest_time, load_sample_data, shift_clock_times
from cockpit.store.db import Store
from tests.conftest import run_cli


@pytest.fixture
def loaded(store: Store) -> IncidentService:
    load_sample_data(store)
    return IncidentService(store, "reader")


def test_every_severity_and_believable_timelines(loaded: IncidentService) -> None:
    incidents = loaded.list_incidents(include_closed=True)
    assert len(incidents) >= 4
    assert {i.severity for i in incidents} == set(Severity)
    phases = {i.phase for i in incidents}
    assert {Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE, Phase.REVIEW} <= phases
    assert sum(1 for i in incidents if i.phase.is_open) >= 2
    for summary in incidents:
        detail = loaded.get(summary.ref)
        assert len(detail.timeline) >= 24, summary.title
        times = [e.at for e in detail.timeline]
        assert times == sorted(times)
        assert detail.snapshot.commander is not None
        assert {e.kind for e in detail.timeline} >= {"declared", "phase", "role"}


def test_the_services_named_by_incidents_are_in_the_catalog(loaded: IncidentService) -> None:
    catalog = yaml.safe_load((SAMPLE_DIR / "services" / "catalog.yaml").read_text())
    entries = [item["service"] for item in catalog["services"]]
    seed_fields = {"name", "tier", "owner_team", "oncall_rotation", "dependencies", "data_classification",
                   "deployment_frequency", "architecture", "language", "infra", "traffic_pattern", "peak_rps",
                   "storage_gb", "monthly_cost_usd"}
    for entry in entries:
        assert seed_fields <= set(entry), entry.get("name")
        assert entry["tier"] in {"critical", "important", "standard", "experimental"}
    names = {e["name"] for e in entries}
    for summary in loaded.list_incidents(include_closed=True):
        assert set(summary.services) <= names


def test_rotation_and_pages_are_loaded(store: Store) -> None:
    result = load_sample_data(store)
    assert result.shifts >= 8 and result.pages >= 20


def test_demo_shift_keeps_durations_and_moves_text_times(tmp_path: Path) -> None:
    plain = IncidentService(Store.open(tmp_path / "a.db"), "r")
    load_sample_data(plain.store)
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    shifted = IncidentService(Store.open(tmp_path / "b.db"), "r")
    load_sample_data(shifted.store, now=now)
    newest = max(e.at for s in shifted.list_incidents(include_closed=True) for e in shifted.get(s.ref).timeline)
    assert now - timedelta(minutes=3) <= newest <= now
    by_title = {s.title: s for s in plain.list_incidents(include_closed=True)}
    for summary in shifted.list_incidents(include_closed=True):
        a = plain.get(by_title[summary.title].ref)
        b = shifted.get(summary.ref)
        assert [e.at - a.timeline[0].at for e in a.timeline] == [e.at - b.timeline[0].at for e in b.timeline]
        assert a.metrics.time_to_mitigate == b.metrics.time_to_mitigate
    assert shift_clock_times("Next update 18:13 UTC; 23:50-00:10", timedelta(minutes=30)) == (
        "Next update 18:43 UTC; 00:20-00:40")


def test_a_sample_file_that_breaks_a_rule_is_reported_with_its_line(tmp_path: Path, store: Store) -> None:
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "bad.yaml").write_text(
        "title: Broken\nimpact: degraded\nscope: lt25\ndeclared_by: a\ndeclared_at: 2026-11-01T10:00:00Z\n"
        "timeline:\n  - at: 2026-11-01T10:01:00Z\n    phase: triage\n  - at: 2026-11-01T10:02:00Z\n"
        "    phase: resolve\n")
    with pytest.raises(InvalidInput, match=r"bad.yaml:9:5: Cannot go from TRIAGE to RESOLVE"):
        load_sample_data(store, tmp_path)
    assert latest_time(tmp_path) == datetime(2026, 11, 1, 10, 2, tzinfo=UTC)


def test_demo_command_uses_a_scratch_database(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    result = run_cli("demo", "--no-ui", env={"COCKPIT_DB": str(real)})
    assert result.returncode == 0, result.stderr
    assert "sample incidents loaded" in result.stdout and "SEV1" in result.stdout
    assert not real.exists()
