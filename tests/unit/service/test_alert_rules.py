"""`cockpit alerts lint` on a corpus of rule files (tests/data/alert_rules): each of the seed's alert design rules a
file can show, with file:line messages, malformed YAML as file:line:column, and runbooks that match no alert."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cockpit.cli.main import cli
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "alert_rules"
RUNBOOKS = ROOT / "sample_data" / "runbooks"


def lint(*paths: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(RUNBOOKS))
    result = CliRunner().invoke(cli, ["alerts", "lint", *map(str, paths)])
    return result.exit_code, result.output.splitlines()


def test_a_file_that_follows_the_rules_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = lint(CORPUS / "good.yml", monkeypatch=monkeypatch)
    assert code == 0
    assert lines[-1] == "2 alert(s) in 1 file(s): 0 problem(s), 0 advice."


@pytest.mark.parametrize(("name", "expected"), [
    ("no_runbook.yml", "no_runbook.yml:9: PaymentAuthFailureRateHigh: problem: no runbook annotation (runbook_url): "
                       "every alert must have a runbook link"),
    ("unknown_runbook.yml", "unknown_runbook.yml:9: CatalogSearchSlow: problem: its runbook "
                            "'https://runbooks.example.com/catalog-search-slow' resolves to no runbook in the local "
                            "library (no runbook has alert_name 'CatalogSearchSlow' or id 'catalog-search-slow')"),
    ("no_severity.yml", "no_severity.yml:7: PgBouncerPoolSaturated: problem: no severity label from the severity "
                        "guide (page/urgent/ticket/log, or P0-P3)"),
    ("no_severity.yml", "no_severity.yml:14: CertificateExpiringSoon: problem: severity 'banana' is not in the "
                        "severity guide (page/urgent/ticket/log, or P0-P3)"),
    ("no_for.yml", "no_for.yml:4: NotificationsPodCrashLooping: problem: no 'for:' duration: one bad scrape would "
                   "fire it; wait a few minutes"),
    ("no_for.yml", "no_for.yml:4: NotificationsPodCrashLooping: advice: a page-level alert built on a cause, not on "
                   "an SLO burn rate: page on what users feel (`cockpit slo rules`), make this a ticket"),
    ("malformed.yml", "malformed.yml:6:8: YAML syntax error: the indentation does not line up with the lines above "
                      "(did not find expected '-' indicator while parsing a block collection)"),
])
def test_each_broken_rule_is_one_file_line_message_and_fails(name: str, expected: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = lint(CORPUS / name, monkeypatch=monkeypatch)
    assert code == 1
    assert f"{CORPUS / name}:{expected.split(':', 1)[1]}" in lines


def test_the_whole_corpus_reports_every_file_and_the_runbooks_no_alert_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = lint(CORPUS, monkeypatch=monkeypatch)
    assert code == 1
    assert lines[-1] == "7 alert(s) in 6 file(s): 6 problem(s), 1 advice."
    assert "note: runbook elevated-5xx-after-deploy has an alert_name that matches no alert in these files" in lines
    assert not any("Traceback" in line for line in lines)


def test_a_missing_file_is_a_problem_and_the_others_are_still_checked(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = lint(tmp_path / "nope.yml", CORPUS / "good.yml", monkeypatch=monkeypatch)
    assert code == 1
    assert f"{tmp_path / 'nope.yml'}:1:1: no such file or folder" in lines
    assert lines[-1] == "2 alert(s) in 2 file(s): 1 problem(s), 0 advice."


def test_rules_generated_by_slo_rules_pass_the_alert_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cockpit slo rules` writes burn-rate alerts with a runbook, a severity and a `for:`: they pass this lint."""
    slo_dir = ROOT / "sample_data" / "slos"
    if not slo_dir.exists():
        pytest.skip("no sample SLO files")
    out = tmp_path / "slo-rules.yml"
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(RUNBOOKS))
    made = CliRunner().invoke(cli, ["slo", "rules", str(slo_dir), "-o", str(out)])
    assert made.exit_code == 0, made.output
    code, lines = lint(out, monkeypatch=monkeypatch)
    assert code == 0, lines  # runbook, severity and for: present; pages built on burn rates
    assert lines[-1].endswith("alert(s) in 1 file(s): 0 problem(s), 0 advice.")
