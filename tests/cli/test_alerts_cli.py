"""`cockpit alerts` in process: the list shows server text literally, the report's figures, the settings file's
mistakes as file:line:column, and the token never printed nor written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cockpit.cli.main import cli
from cockpit.domain.alerts import Alert, fingerprint
from cockpit.service.alerts import AlertLog
from cockpit.service.incidents import IncidentService
from cockpit.sources.alert_settings import alerts_path
from cockpit.store.db import Store


def seed(db: Path, *alerts: Alert) -> None:
    store = Store.open(db)
    try:
        AlertLog(IncidentService(store, "seed")).record_poll(list(alerts), [], datetime.now(UTC))
    finally:
        store.close()


def an_alert(name: str, summary: str, minutes: int = 3, **labels: str) -> Alert:
    full = {"alertname": name, "service": "checkout", "severity": "page", **labels}
    return Alert(fingerprint(full), full, {"summary": summary}, datetime.now(UTC) - timedelta(minutes=minutes), None)


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_the_list_shows_labels_and_annotations_literally(db_path: Path) -> None:
    seed(db_path, an_alert("Evil", "[bold red]pwned[/] \x1b[2J\x07 gone", team="\x1b]52;c;aGk=\x07"))
    code, out = run(db_path, "alerts", "list")
    assert code == 0
    assert "[bold red]pwned[/] \\x1b[2J\\x07 gone" in out and "\x1b" not in out and "\x07" not in out
    assert "P0 <5 min" in out and "3m" in out and "(no runbook)" in out
    code, out = run(db_path, "alerts", "list", "--json")
    assert code == 0 and '"team": "\\u001b]52;c;aGk=\\u0007"' in out


def test_the_report_counts_pages_per_service_against_the_target(db_path: Path) -> None:
    seed(db_path, *(an_alert("CheckoutErrorRateHigh", "x", pod=str(i)) for i in range(6)),
         an_alert("DiskUsageHigh", "y", severity="ticket"))
    code, out = run(db_path, "alerts", "false-positive", "DiskUsageHigh")
    assert code == 0 and out.startswith("1 alert(s) marked not actionable.")
    code, out = run(db_path, "alerts", "report", "--weeks", "1")
    assert code == 0
    lines = out.splitlines()
    # 7 alerts, 6 of them pages; 1 of 7 not actionable: 14.3 %
    assert lines[0] == "Last 1 week(s): 7 alert(s), 6 page(s), " + lines[0].split(", ")[2].split(" ")[0] + \
        " off-hours; false positives 14.3 %; time to acknowledge - min."
    assert any(line.strip().startswith("checkout") and "6.0 /week (6 pages)  OVER TARGET" in line for line in lines)
    assert "      6  CheckoutErrorRateHigh (checkout)" in lines


def test_unknown_targets_and_bad_weeks_are_one_sentence(db_path: Path) -> None:
    code, out = run(db_path, "alerts", "declare", "NoSuchAlert")
    assert code != 0 and "No alert 'NoSuchAlert' in the log" in out
    code, out = run(db_path, "alerts", "report", "--weeks", "0")
    assert code != 0 and "--weeks must be from 1 to 520." in out


@pytest.mark.parametrize(("text", "expected"), [
    ("alertmanager:\n  url: http://127.0.0.1:9093/\n  token: s3cret\n",
     "alerts.yaml:3:3: alertmanager.token: unknown setting"),
    ("alertmanager:\n  url: http://127.0.0.1:9093/\n  refresh_seconds: -1\n",
     "alerts.yaml:3:20: alertmanager.refresh_seconds: must be a number from 1 to 3600"),
    ("alertmanager:\n  url: http://127.0.0.1:9093/\n  propose:\n    - when: {severity: page}\n      impact: doom\n"
     "      scope: all\n", "alerts.yaml:5:15: alertmanager.propose[0].impact: must be one of core-down"),
    ("alertmanager:\n  url: [\n", "alerts.yaml:3:1: YAML syntax error"),
    ("alertmanager:\n  url: ftp://example.com/\n", "is not an Alertmanager URL"),
])
def test_settings_mistakes_are_file_line_column(db_path: Path, text: str, expected: str) -> None:
    alerts_path().parent.mkdir(parents=True, exist_ok=True)
    alerts_path().write_text(text, encoding="utf-8")
    code, out = run(db_path, "alerts", "source", "show")
    assert code != 0
    assert expected in out and "Traceback" not in out and "s3cret" not in out


def test_the_token_comes_from_the_environment_and_is_never_shown_or_saved(db_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_ALERTMANAGER_TOKEN", "s3cret-token")
    code, out = run(db_path, "alerts", "source", "set", "http://127.0.0.1:9/")
    assert code == 0, out
    code, out = run(db_path, "alerts", "source", "show", "--json")
    assert code == 0 and '"token": "set"' in out and "s3cret" not in out
    assert "s3cret" not in alerts_path().read_text(encoding="utf-8")


def test_a_zero_hour_acknowledgement_is_refused_not_turned_into_twelve_hours(db_path: Path) -> None:
    seed(db_path, an_alert("CheckoutErrorRateHigh", "x"))
    code, out = run(db_path, "alerts", "declare", "CheckoutErrorRateHigh")
    assert code == 0, out
    code, out = run(db_path, "alerts", "ack", "CheckoutErrorRateHigh", "--hours", "0")
    assert code != 0 and "A silence lasts from a minute to 14 days; give --hours in that range." in out
    code, out = run(db_path, "alerts", "silences")
    assert code == 0 and out.strip() == "No acknowledgements yet."
