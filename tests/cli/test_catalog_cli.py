"""`cockpit service|assess|prr|review` in process, on the sample data (a real SQLite file) and on broken files."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cockpit.service.sample import SAMPLE_DIR, load_sample_data
from cockpit.store.db import Store
from tests.conftest import ROOT

BAD = ROOT / "tests" / "data" / "services_bad"
NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


def cockpit(capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None,
            monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    import io

    from cockpit.cli.main import main

    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample data in a database, the sample catalog copied to a folder the test may write to."""
    db = tmp_path / "c.db"
    store = Store.open(db)
    load_sample_data(store, now=NOW)
    store.close()
    services = tmp_path / "services"
    shutil.copytree(SAMPLE_DIR / "services", services)
    monkeypatch.setenv("COCKPIT_SERVICE_DIRS", str(services))
    monkeypatch.setenv("COCKPIT_SLO_DIRS", str(SAMPLE_DIR / "slos"))
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(SAMPLE_DIR / "runbooks"))
    return db


def test_the_sample_catalog_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cockpit(capsys, "service", "validate", str(SAMPLE_DIR / "services"))
    assert code == 0, err
    assert out.strip() == "10 service(s), 3 assessment(s), 2 readiness review(s) in 6 file(s) valid."


@pytest.mark.parametrize(("name", "expected"), [
    ("wrong_enums.yaml", "wrong_enums.yaml:3:9: service.tier: 'mission-critical' is not allowed: use one of "
                         "critical | important | standard | experimental (did you mean 'critical'?)"),
    ("wrong_enums.yaml", "wrong_enums.yaml:9:10: service.infra: 'kubernetes' is not allowed"),
    ("wrong_enums.yaml", "wrong_enums.yaml:11:13: service.peak_rps: 'lots' is not a number"),
    ("missing_fields.yaml", "missing_fields.yaml:3:7: services[0].service.owner_team: this field is required"),
    ("missing_fields.yaml", "missing_fields.yaml:10:32: services[1].service.dependencies.upstream: must be a list"),
    ("unknown_key.yaml", "unknown_key.yaml:5:3: service.oncal_rotation: unknown field (did you mean "
                         "'oncall_rotation'?)"),
    ("score_out_of_range.yaml", "score_out_of_range.yaml:5:19: assessment.scores.slos.score: 6 is not a score: use "
                                "a whole number from 1 to 5"),
    ("score_out_of_range.yaml", "score_out_of_range.yaml:6:25: assessment.scores.monitoring.score: 0 is not a score"),
    ("score_out_of_range.yaml", "assessment.scores.documentation: this field is required"),
    ("readiness_bad.yaml", "readiness_bad.yaml:5:34: readiness.items.slos.slis_measured.status: 'ok' is not allowed"),
    ("readiness_bad.yaml", "readiness_bad.yaml:6:22: readiness.items.deploy.rollback.evidence: a fail needs an "
                           "evidence note"),
    ("not_a_kind.yaml", "not_a_kind.yaml:1:1: not a catalog, assessment or readiness file"),
    ("broken_yaml.yaml", "broken_yaml.yaml:3:1: YAML syntax error"),
])
def test_broken_files_get_file_line_column_messages(capsys: pytest.CaptureFixture[str], name: str,
                                                    expected: str) -> None:
    code, _out, err = cockpit(capsys, "service", "validate", str(BAD / name))
    assert code == 1
    assert expected in err
    assert "Traceback" not in err


def test_service_list_and_show(capsys: pytest.CaptureFixture[str], sample: Path) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), "service", "list", "--json")
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)}
    assert len(rows) == 10
    checkout = rows["checkout-api"]
    assert checkout["tier"] == "critical" and checkout["owner_team"] == "payments"
    assert checkout["oncall_rotation"] == "payments-primary"
    assert [i["severity"] for i in checkout["open_incidents"]] == ["SEV1"]  # 06: the pool exhaustion, open
    assert checkout["maturity_total"] == 24 and checkout["band"] == "Foundation built"  # 4+3+3+3+2+3+3+3
    assert checkout["quality"] == 62.0  # 20*4/5 + 3*(15*3/5) + 10*2/5 + 10*3/5 + 10*3/5 + 5*3/5 = 16+27+4+6+6+3
    assert checkout["readiness"] == "not ready (1 failing)"
    assert rows["payment-gateway"]["readiness"] == "not ready (1 failing)"
    assert rows["identity-api"]["maturity_total"] is None and rows["identity-api"]["readiness"] == "not reviewed"
    code, out, _ = cockpit(capsys, "--db", str(sample), "service", "show", "checkout-api")
    assert code == 0
    assert "Multi-region (SLO 99.95%, rule SLO 99.9-99.95%): Active-passive with automated failover" in out
    assert "Maturity trend: 2026-08-03 18/40 (47) → 2026-11-02 24/40 (62)" in out
    data = json.loads(cockpit(capsys, "--db", str(sample), "service", "show", "web-frontend", "--json")[1])
    assert any(line.startswith("web-frontend calls checkout-api, which has an open SEV1")
               for line in data["neighbours_open"])


@pytest.mark.parametrize("args", [("service", "show", "billing"), ("assess", "billing"), ("prr", "billing")])
def test_an_unknown_service_is_one_sentence(capsys: pytest.CaptureFixture[str], sample: Path,
                                            args: tuple[str, ...]) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), *args)
    assert code != 0 and out == ""
    assert err.startswith("error: No service 'billing' in the catalog (known: api-gateway, catalog-api,")
    assert len(err.strip().splitlines()) == 1


def test_no_catalog_configured_says_how(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCKPIT_SERVICE_DIRS", raising=False)
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "x.db"), "service", "list")
    assert code != 0 and "add service_dirs to the config file" in err


@pytest.mark.parametrize("week", ["2026-W54", "2026-48", "next week", "", "2026-W4\uff18",
                                  "\uff12\uff10\uff12\uff16-W48"])
def test_a_week_that_does_not_exist(capsys: pytest.CaptureFixture[str], sample: Path, week: str) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), "review", "weekly", "--week", week)
    assert code != 0 and out == ""
    assert err.startswith(f"error: '{week}' is not a week") and "Traceback" not in err


def test_assess_walks_the_dimensions_and_writes_a_new_file(capsys: pytest.CaptureFixture[str], sample: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    answers = "".join(f"{n}\nevidence {n}\n" for n in (2, 3, 3, 3, 1, 2, 2, 5, 3)) + "y\n"
    code, out, err = cockpit(capsys, "--db", str(sample), "assess", "identity-api", stdin=answers,
                             monkeypatch=monkeypatch)
    assert code == 0, err
    assert "[1/9] SLOs (quality weight 20%)" in out and "1 No SLOs defined · 3 SLOs exist, reviewed quarterly" in out
    # maturity 2+3+3+3+1+2+2+5 = 21: Foundation built; quality 8+9+9+9+2+4+10+3 = 54
    assert "Maturity 21/40: Foundation built — add chaos engineering + toil reduction. Quality score 54/100." in out
    written = Path(out.strip().splitlines()[-1].split("Written to ")[1].split(";")[0])
    assert written.parent.name == "assessments"
    code, out, err = cockpit(capsys, "service", "validate", str(written))
    assert code == 0, err


def test_assess_proposes_from_the_store(capsys: pytest.CaptureFixture[str], sample: Path) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), "assess", "payment-gateway", "--propose", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["chaos"]["score"] is None and "no chaos experiments" in made["chaos"]["evidence"]
    # the figures depend on today's date here (the CLI's clock): tests/unit/service/test_catalog_service.py
    # checks them against a fixed clock
    assert re.fullmatch(r"\d+ page\(s\) over \d+ primary shift\(s\): \d+\.\d\d per shift",
                        made["on_call"]["evidence"])


def test_prr_prefills_from_the_store_and_exits_1_when_not_ready(capsys: pytest.CaptureFixture[str],
                                                                sample: Path) -> None:
    code, out, _err = cockpit(capsys, "--db", str(sample), "prr", "checkout-api", "--format", "json")
    assert code == 1
    data = json.loads(out)
    items = data["items"]
    assert items["monitoring.tracing"]["status"] == "fail" and not items["monitoring.tracing"]["prefilled"]
    top5 = items["incidents.top5_runbooks"]
    # sample_data/runbooks: checkout-error-rate-high, db-connection-pool-exhausted, dependency-rate-limited-429
    assert top5 == {"category": "Incidents", "check": "Runbooks for top 5 failure modes", "status": "fail",
                    "evidence": "runbooks for top 5 failure modes: 3 found", "prefilled": True}
    assert data["result"] == "not ready"


def test_lists_name_missing_postmortems_and_orphan_action_items(capsys: pytest.CaptureFixture[str],
                                                                sample: Path) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), "incident", "list", "--all")
    assert code == 0, err
    flagged = [line for line in out.splitlines() if "[postmortem missing" in line]
    # 03 (catalog-api, SEV2, 127 min) is resolved and not in review; 01 and 02 are in REVIEW (written)
    assert len(flagged) == 1 and "Elevated 5xx on catalog-api" in flagged[0]
    assert flagged[0].endswith("[postmortem missing: SEV2 incident; customer-facing outage over 15 minutes "
                               "(127 min)]")
    listed = json.loads(cockpit(capsys, "--db", str(sample), "incident", "list", "--all", "--json")[1])
    assert [i["title"].startswith("Elevated 5xx") for i in listed if i["postmortem_missing"]] == [True]
    code, out, _ = cockpit(capsys, "--db", str(sample), "action", "list")
    orphans = [line for line in out.splitlines() if "ORPHAN" in line]
    assert len(orphans) == 1 and orphans[0].startswith("AI-007 ") and "ORPHAN: no date" in orphans[0]
    items = json.loads(cockpit(capsys, "--db", str(sample), "action", "list", "--json")[1])
    assert {i["id"]: i["orphan"] for i in items if i["orphan"]} == {"AI-007": ["date"]}


def test_review_weekly_json_on_the_sample(capsys: pytest.CaptureFixture[str], sample: Path) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), "review", "weekly", "--week", "2026-W47", "--format", "json")
    assert code == 0, err
    w = json.loads(out)["weekly_review"]
    # sample_data/README.md: 03 (SEV2, 11-18), 04 (SEV4), 05 (SEV3) and 06 (SEV1) on 11-22 fall in 11-16..11-22
    assert w["incidents"]["by_severity"] == {"SEV1": 1, "SEV2": 1, "SEV3": 1, "SEV4": 1}
    assert [i["postmortem"] for i in w["incidents"]["items"] if i["severity"] == "SEV2"] == ["missing"]
    assert w["reliability_work"]["chaos_experiments_run"] is None


def test_monthly_notes_from_the_command_line(capsys: pytest.CaptureFixture[str], sample: Path) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), "review", "monthly", "--month", "2026-11",
                             "--highlight", "Checkout recovered", "--concern", "Tracing gap", "--concern", "PSP")
    assert code == 0, err
    assert "Kept for 2026-11: 1 highlight(s), 2 concern(s), 0 priority(ies)." in err
    assert "## Concerns\n1. Tracing gap\n2. PSP" in out
    code, out, err = cockpit(capsys, "--db", str(sample), "review", "monthly", "--month", "2026-11",
                             "--remove", "concerns:1", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["monthly_report"]["concerns"] == ["PSP"]


def test_monthly_notes_for_a_month_written_with_spaces_are_kept_under_that_month(capsys: pytest.CaptureFixture[str],
                                                                                 sample: Path) -> None:
    code, _, err = cockpit(capsys, "--db", str(sample), "review", "monthly", "--month", " 2026-11 ",
                           "--concern", "Tracing gap")
    assert code == 0 and "Kept for 2026-11: 0 highlight(s), 1 concern(s)" in err, err
    code, out, err = cockpit(capsys, "--db", str(sample), "review", "monthly", "--month", "2026-11", "--format", "json")
    assert json.loads(out)["monthly_report"]["concerns"] == ["Tracing gap"]


@pytest.mark.parametrize(("args", "message"), [
    (("--month", "2026-13"), "error: '2026-13' is not a month"),
    (("--month", "2026-11", "--remove", "worries:1"), "error: 'worries:1' does not name an item to remove"),
    (("--month", "2026-11", "--remove", "concerns:9"), "error: concerns of 2026-11 has 0 item(s); there is no item 9."),
    (("--month", "2026-11", "--highlight", "bell\x07"), "error: The text contains a control character"),
    (("--month", "", "--highlight", "Kept where?"), "error: '' is not a month"),  # an unset shell variable
    (("--month", "2026-1\uff11", "--highlight", "Kept where?"), "error: '2026-1\uff11' is not a month"),
])
def test_monthly_bad_input_is_one_sentence(capsys: pytest.CaptureFixture[str], sample: Path,
                                           args: tuple[str, ...], message: str) -> None:
    code, out, err = cockpit(capsys, "--db", str(sample), "review", "monthly", *args)
    assert code != 0 and out == ""
    assert err.startswith(message) and len(err.strip().splitlines()) == 1


def test_prr_markdown_and_stored(capsys: pytest.CaptureFixture[str], sample: Path) -> None:
    code, out, _ = cockpit(capsys, "--db", str(sample), "prr", "payment-gateway", "--stored", "--format", "md")
    assert code == 1  # not ready: one failing item
    assert out.startswith("# Production Readiness Review: payment-gateway\n\n**Date**: 2026-10-20 | **Reviewer**: "
                          "marcus | **Result**: NOT READY")
    assert "- Incidents: Runbooks for top 5 failure modes — 1 runbook (429s)" in out
    code, _, err = cockpit(capsys, "--db", str(sample), "prr", "identity-api", "--stored")
    assert code != 0 and err.startswith("error: identity-api has no stored readiness review yet")


def test_a_config_service_dirs_that_is_not_a_list(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("service_dirs: ~/services\n")
    monkeypatch.setenv("COCKPIT_CONFIG", str(config))
    monkeypatch.delenv("COCKPIT_SERVICE_DIRS", raising=False)
    code, _, err = cockpit(capsys, "--db", str(tmp_path / "x.db"), "service", "list")
    assert code != 0
    assert err.strip() == f"error: Config file {config}:1:15: service_dirs: must be a list of folders"


def test_assess_refuses_control_characters_and_writes_nothing(capsys: pytest.CaptureFixture[str], sample: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(str(sample)).parent / "services" / "assessments"
    before = sorted(p.name for p in folder.iterdir())
    code, _out, err = cockpit(capsys, "--db", str(sample), "assess", "identity-api", stdin="3\nred \x1b[31mtext\n",
                              monkeypatch=monkeypatch)
    assert code != 0
    assert err.strip().splitlines()[-1].startswith("error: The evidence contains a control character")
    assert sorted(p.name for p in folder.iterdir()) == before
