"""``cockpit chaos``, ``toil`` and ``capacity`` in process: what they print, and one clear sentence with a
non-zero exit for bad input (an unknown template, negative hours, growth of 1,000 %, a threshold above 100)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cockpit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
BAD = ROOT / "tests" / "data" / "improve_bad"


def cockpit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the cockpit command in this process; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as ended:
        main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return int(ended.value.code or 0), out, err


def one_sentence(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_templates_and_a_new_experiment(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path) -> None:
    code, out, _ = cockpit(capsys, "chaos", "templates", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 12 and rows[0]["template"] == "db-latency-200ms"
    target = tmp_path / "e.yaml"
    code, out, _ = cockpit(capsys, "chaos", "new", str(target), "--from", "db-latency-200ms", "--target",
                           "checkout-api")
    assert code == 0 and "Wrote" in out and "name: \"Add 200ms latency to DB calls on checkout-api\"" in \
        target.read_text(encoding="utf-8")
    code, _, err = cockpit(capsys, "chaos", "validate", str(target))  # the rollback plan is still to write
    assert code == 1 and f"{target}:23:20: experiment.safety.rollback_plan: is empty" in err
    code, _, err = cockpit(capsys, "chaos", "new", str(target), "--from", "db-latency-200ms")
    assert code == 2 and "already exists" in one_sentence(err)


def test_an_unknown_template_is_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cockpit(capsys, "chaos", "new", str(tmp_path / "e.yaml"), "--from", "db-latency-9000ms")
    assert code == 2
    assert one_sentence(err).startswith("error: There is no chaos template named 'db-latency-9000ms'; the library "
                                        "has 12: db-latency-200ms,")
    assert not (tmp_path / "e.yaml").exists()


def test_chaos_list_and_show(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, _ = cockpit(capsys, "--db", str(db_path), "chaos", "list", str(SAMPLE / "chaos"), "--json")
    rows = {r["target"]: r for r in json.loads(out)}
    assert code == 0 and rows["catalog-api"]["outcome"] == "confirmed" and rows["checkout-api"]["outcome"] is None
    assert rows["checkout-api"]["maturity"] == 0
    code, out, _ = cockpit(capsys, "--db", str(db_path), "chaos", "show",
                           str(SAMPLE / "chaos" / "checkout-db-latency.yaml"))
    assert code == 0 and "rollback plan: toxiproxy-cli toxic remove" in out
    assert "5xx ratio above 5 %  [query: sum(rate(" in out and "Customer-visible errors detected  [by hand]" in out
    assert "checkout-api: chaos maturity 0 (None)" in out and "2. Verify steady state (15 min baseline)" in out


def test_a_broken_experiment_fails_validation_with_its_place(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cockpit(capsys, "chaos", "validate", str(BAD / "chaos_bad_fault_type.yaml"))
    assert code == 1 and "chaos_bad_fault_type.yaml:10:17: experiment.method.fault_type: 'earthquake'" in err


def test_toil_add_and_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "toil.yaml"
    code, out, _ = cockpit(capsys, "toil", "add", str(path), "--name", "Restart the queue", "--minutes", "30",
                           "--per-month", "24", "--difficulty", "low", "--team", "sre", "--team-hours", "40")
    assert code == 0 and "12.0 hours a month, do first (score 12.00)" in out  # 30 × 24 / 60 = 12 h, low effort
    code, out, _ = cockpit(capsys, "toil", "report", str(path))
    assert code == 0 and "DO FIRST" in out
    assert "OVER BUDGET: Toil takes 12.0 of 40 team hours a month (30.0 %)" in out  # 12 / 40 = 30 %
    code, out, _ = cockpit(capsys, "toil", "report", str(path), "--team-hours", "160", "--json")
    assert json.loads(out)[0]["budget"]["pct_of_team_time"] == 7.5 and not json.loads(out)[0]["budget"]["over"]


def test_negative_hours_are_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "toil.yaml"
    code, _, err = cockpit(capsys, "toil", "add", str(path), "--name", "x", "--minutes", "-30", "--per-month", "4",
                           "--difficulty", "low", "--team", "sre")
    assert code == 2
    assert one_sentence(err) == ("error: --minutes: -30 is negative: the time per occurrence (minutes) cannot be "
                                 "below 0.")
    assert not path.exists()
    code, _, err = cockpit(capsys, "toil", "report", str(BAD / "toil_negative_minutes.yaml"))
    assert code == 1 and "toil_negative_minutes.yaml:8:32:" in err and "-30 is negative" in err


def test_toil_report_of_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cockpit(capsys, "toil", "report", str(SAMPLE / "toil"), "--json")
    assert code == 0
    report = json.loads(out)[0]
    # 12 + 12 + 1.5 + 3 + 10 + 4 + 1 = 43.5 h of 640 = 6.8 %
    assert report["toil_hours_per_month"] == 43.5 and report["budget"]["pct_of_team_time"] == 6.8
    assert [i["cell"] for i in report["items"]] == ["do first", "do second", "do second", "quick win", "plan",
                                                    "evaluate", "skip"]


def test_capacity_report(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "none")
    code, out, _ = cockpit(capsys, "capacity", "report", str(SAMPLE / "capacity"), "--service", "log-store")
    assert code == 0
    assert "crosses the scale-up threshold in month 3 (2027-02) (threshold 85 %)" in out
    assert "$3,100 now, $3,491 in 6 months, $3,932 in 12" in out  # 3100 · 1.02^6 = 3491.1, · 1.02^12 = 3931.5
    code, out, _ = cockpit(capsys, "capacity", "report", str(SAMPLE / "capacity"), "--service", "catalog-api", "--json")
    row = json.loads(out)[0]
    # 45 % growing 7.5 % a month against 75 %: 45·1.075^7 = 74.66, ·1.075^8 = 80.26 → month 8
    assert row["threshold_month"] == 8 and row["threshold_date"] == "2027-07"
    code, _, err = cockpit(capsys, "capacity", "report", str(SAMPLE / "capacity"), "--service", "nope")
    assert code == 2 and "No capacity model for the service 'nope'" in one_sentence(err)


@pytest.mark.parametrize(("name", "sentence"), [
    ("capacity_growth_1000pct.yaml", "monthly_growth_pct: 1000 is too high: the monthly growth (%) must be at most "
                                     "100"),
    ("capacity_threshold_above_100.yaml", "scale_up_threshold: 120 is too high"),
])
def test_absurd_capacity_files_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str,
                                           sentence: str) -> None:
    shutil.copy(BAD / name, tmp_path / name)
    code, out, err = cockpit(capsys, "capacity", "report", str(tmp_path / name))
    assert code == 1 and out == ""
    problem, summary = err.strip().splitlines()
    assert sentence in problem and summary == "1 problem(s) in 1 file(s); 0 model(s) valid."


def test_no_folders_configured_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cockpit(capsys, "capacity", "report")
    assert code == 2 and "no capacity_dirs in the config file" in one_sentence(err)


def test_the_demo_uses_copies_of_the_sample_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.cli.improve import demo_dirs

    for kind in ("CHAOS", "TOIL", "CAPACITY"):  # set through monkeypatch, so the demo's values are undone after
        monkeypatch.setenv(f"COCKPIT_{kind}_DIRS", "unset")
    demo_dirs(tmp_path / "demo")
    import os

    for kind in ("chaos", "toil", "capacity"):
        folder = Path(os.environ[f"COCKPIT_{kind.upper()}_DIRS"])
        assert folder == tmp_path / "demo" / kind
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (SAMPLE / kind).iterdir())


def test_text_from_files_is_printed_literally(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              db_path: Path) -> None:
    text = (SAMPLE / "chaos" / "checkout-db-latency.yaml").read_text(encoding="utf-8")
    hostile = text.replace('name: "Add 200ms latency to DB calls on checkout-api"',
                           'name: "Add latency \\u001b[2J\\u001b]0;pwned\\u0007 [bold red]x[/]"')
    (tmp_path / "e.yaml").write_text(hostile, encoding="utf-8")
    code, out, _ = cockpit(capsys, "--db", str(db_path), "chaos", "list", str(tmp_path))
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "Add latency \\x1b[2J\\x1b]0;pwned\\x07 [bold red]x[/]" in out
    code, out, _ = cockpit(capsys, "--db", str(db_path), "chaos", "show", str(tmp_path / "e.yaml"))
    assert code == 0 and "\x1b" not in out and "\\x1b[2J" in out


def test_the_config_file_names_the_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"toil_dirs: [{SAMPLE / 'toil'}]\ncapacity_dirs:\n  - 42\n", encoding="utf-8")
    monkeypatch.setenv("COCKPIT_CONFIG", str(config))
    code, _, err = cockpit(capsys, "toil", "report")
    assert code == 2 and f"{config}:3:5: capacity_dirs[0]: must be a folder path" in one_sentence(err)
    config.write_text(f"toil_dirs: [{SAMPLE / 'toil'}]\n", encoding="utf-8")
    code, out, _ = cockpit(capsys, "toil", "report")
    assert code == 0 and "Toil report: sre-platform (43.5 hours a month)" in out


def test_maturity_of_a_service_nobody_knows_is_refused_not_level_0(capsys: pytest.CaptureFixture[str],
                                                                   db_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_CHAOS_DIRS", str(SAMPLE / "chaos"))
    monkeypatch.setenv("COCKPIT_SERVICE_DIRS", str(SAMPLE / "services"))
    code, out, _ = cockpit(capsys, "--db", str(db_path), "chaos", "maturity", "--service", "checkout-api")
    assert code == 0 and out == "checkout-api: level 0 (None): No chaos testing\n"
    code, out, err = cockpit(capsys, "--db", str(db_path), "chaos", "maturity", "--service", "chekout-api", "--json")
    assert code == 3 and out == ""
    assert one_sentence(err).startswith("error: No service 'chekout-api' in the catalog, the experiments or the "
                                        "Game Days (known: api-gateway, catalog-api, catalog-cache, checkout-api,")
