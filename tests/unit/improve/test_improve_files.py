"""The improvement files: the corpus of broken files (each problem at its file:line:column), the samples, and
writing results and toil items back without losing what the file held."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cockpit.domain import capacity, chaos, toil
from cockpit.errors import InvalidInput
from cockpit.service import improve_files as files

ROOT = Path(__file__).resolve().parents[3]
BAD = ROOT / "tests" / "data" / "improve_bad"
VALIDATORS = {"chaos": chaos.validate, "toil": toil.validate, "capacity": capacity.validate}

#: file → the start of its first problem after the file name: line:column: field: message
EXPECTED = {
    "capacity_down_above_up.yaml": "14:27: capacity_model.scaling_strategy.scale_down_threshold: 85 must be below "
                                   "the scale-up threshold (80)",
    "capacity_growth_1000pct.yaml": "10:25: capacity_model.growth_forecast.monthly_growth_pct: 1000 is too high: the "
                                    "monthly growth (%) must be at most 100",
    "capacity_peak_text.yaml": "5:27: capacity_model.current_state.peak_utilization_pct: '62%' is not a number",
    "capacity_threshold_above_100.yaml": "13:25: capacity_model.scaling_strategy.scale_up_threshold: 120 is too "
                                         "high: the scale-up threshold (% utilisation) must be at most 100",
    "capacity_wrong_headroom.yaml": "6:19: capacity_model.current_state.headroom_pct: is 38 (100 − peak utilisation)",
    "capacity_wrong_projection.yaml": "11:20: capacity_model.growth_forecast.projected_6mo: is 38.0 (30 growing 4 % "
                                      "a month for 6 months)",
    "chaos_bad_duration.yaml": "13:15: experiment.method.duration: 'forever' is not a duration",
    "chaos_bad_fault_type.yaml": "10:17: experiment.method.fault_type: 'earthquake' is not one of network, compute",
    "chaos_bad_outcome.yaml": "19:14: experiment.results.outcome: 'maybe' is not an outcome",
    "chaos_empty_rollback.yaml": "17:20: experiment.safety.rollback_plan: is empty",
    "chaos_misspelled_field.yaml": "3:3: experiment.hypotesis: unknown field (did you mean 'hypothesis'?)",
    "chaos_no_abort_condition.yaml": "15:23: experiment.safety.abort_conditions: must list at least one abort "
                                     "condition",
    "chaos_range_not_numeric.yaml": "8:27: experiment.steady_state.metrics[0].acceptable_range: 'low' is not a range",
    "chaos_tab_indent.yaml": "9:1: YAML syntax error",
    "chaos_template_placeholder.yaml": "11:13: experiment.method.target: still the template's TARGET-SERVICE",
    "chaos_unbalanced_query.yaml": "17:16: experiment.safety.abort_conditions[0].query: has unbalanced brackets",
    "toil_bad_difficulty.yaml": "10:30: items[0].toil_item.automation_difficulty: 'trivial' is not one of low, "
                                "medium, high",
    "toil_duplicate_item.yaml": "12:13: items[1].toil_item.name: the toil item 'Manual deployments' is given twice",
    "toil_negative_minutes.yaml": "8:32: items[0].toil_item.time_per_occurrence_min: -30 is negative",
    "toil_team_hours_text.yaml": "2:23: team_hours_per_month: 'lots' is not a number",
    "toil_value_above_toil.yaml": "11:25: items[0].toil_item.automation_value: automating saves at most the 12 hours",
    "toil_wrong_total.yaml": "11:30: items[0].toil_item.total_hours_per_month: is 12 hours (90 min × 8 a month / 60)",
}


def test_the_corpus_is_complete() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_file_names_its_line_column_and_field(name: str) -> None:
    made, problems = files.load_one(BAD / name, VALIDATORS[name.split("_")[0]])
    assert made is None and problems
    assert str(problems[0]).startswith(f"{BAD / name}:{EXPECTED[name]}"), str(problems[0])


def test_the_samples_are_valid() -> None:
    sample = ROOT / "sample_data"
    assert len(files.experiments([sample / "chaos"]).items) == 2 and not files.experiments([sample / "chaos"]).problems
    loaded = files.toil_inventories([sample / "toil"])
    assert not loaded.problems and len(loaded.items[0][1].items) == 7
    models = files.capacity_models([sample / "capacity"])
    assert not models.problems and {m.service for _, m in models.items} == {"checkout-api", "catalog-api",
                                                                             "log-store"}


def test_results_replace_the_results_block_and_keep_the_comments(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    shutil.copy(ROOT / "sample_data" / "chaos" / "checkout-db-latency.yaml", path)
    before = path.read_text(encoding="utf-8")
    results = chaos.Results("disproved", ("p99 went to 9 s: no timeout on the pool",), ("Add a 2 s pool timeout",))
    files.write_results(path, results)
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before.split("  results:")[0])  # everything up to the results is byte for byte the same
    made = files.experiments([path]).items[0][1]
    assert made.results == results
    files.write_results(path, chaos.Results("confirmed"))  # written twice: replaced, not appended
    assert files.experiments([path]).items[0][1].results == chaos.Results("confirmed")
    assert after.count("results:") == 1


def test_results_are_not_written_into_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    shutil.copy(BAD / "chaos_bad_fault_type.yaml", path)
    before = path.read_bytes()
    with pytest.raises(InvalidInput, match="fix the experiment file first, nothing was written"):
        files.write_results(path, chaos.Results("confirmed"))
    assert path.read_bytes() == before


def test_a_toil_item_is_appended_and_a_new_inventory_started(tmp_path: Path) -> None:
    item = toil.ToilItem("Restart the queue", "recovery", "weekly", 15, 4, "low", teams=("sre",))
    new = tmp_path / "team.yaml"
    files.add_toil_item(new, item, team="sre", team_hours=160)
    inventory = files.toil_inventories([new]).items[0][1]
    assert inventory.team == "sre" and inventory.team_hours == 160 and inventory.items == [item]
    second = toil.ToilItem("Rotate keys", "access", "monthly", 30, 1, "medium", value_hours=0.25)
    files.add_toil_item(new, second)
    assert files.toil_inventories([new]).items[0][1].items == [item, second]
    with pytest.raises(InvalidInput, match="already in"):
        files.add_toil_item(new, item)
    with pytest.raises(InvalidInput, match="give --team"):
        files.add_toil_item(tmp_path / "other.yaml", item)


def test_the_toil_inventory_with_an_empty_list_takes_an_item(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("# ours\nteam: sre\nitems: []\n", encoding="utf-8")
    files.add_toil_item(path, toil.ToilItem("x", "", "", 10, 3, "low"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ours\nteam: sre\nitems:\n  - toil_item:")
    assert yaml.safe_load(text)["items"][0]["toil_item"]["total_hours_per_month"] == 0.5  # 10 × 3 / 60


def test_folders_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COCKPIT_TOIL_DIRS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert files.folders("toil", [Path("/configured")]) == [tmp_path / "a", tmp_path / "b"]
    monkeypatch.delenv("COCKPIT_TOIL_DIRS")
    assert files.folders("toil", [Path("/configured")]) == [Path("/configured")]
