"""The alert source against a hostile or broken server (a scripted loopback server, not Alertmanager): every answer
is one plain sentence or a quarantined record, the last known alerts are kept, and the poll never crashes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cockpit.service.alerts import AlertLog
from cockpit.service.incidents import IncidentService
from cockpit.sources.alert_settings import AlertmanagerSettings
from cockpit.sources.alertmanager import AlertmanagerSource, RoundReport, poll_once
from tests.integration.hostile_http import reply

GOOD = {"labels": {"alertname": "CheckoutErrorRateHigh", "service": "checkout"}, "startsAt": "2026-11-18T13:55:00Z"}


@pytest.fixture
def log(svc: IncidentService) -> AlertLog:
    return AlertLog(svc)


def poll(url: str, log: AlertLog) -> RoundReport:
    with AlertmanagerSource(AlertmanagerSettings(url=url, timeout_seconds=2.0, token="s3cret-token")) as source:
        return poll_once(log, source)


def known_alert_then(hostile: Any, log: AlertLog, status: int, body: bytes,
                     headers: dict[str, str] | None = None) -> RoundReport:
    """One good poll (the log knows an alert), then one poll of the hostile answer."""
    assert poll(hostile(reply(200, json.dumps([GOOD]).encode())), log).ok
    return poll(hostile(reply(status, body, headers)), log)


@pytest.mark.parametrize(("status", "body", "headers", "expected"), [
    (200, b"[" * 100_000 + b"]" * 100_000, None, "does not answer like Alertmanager (not JSON at /api/v2/alerts)"),
    (429, b"slow down", {"Retry-After": "30"}, "is limiting requests (429); the next round asks again."),
], ids=["nested-100000-deep", "429"])
def test_an_answer_the_cockpit_cannot_use_is_one_sentence_and_the_last_alerts_stay(
        hostile: Any, log: AlertLog, status: int, body: bytes, headers: dict[str, str] | None, expected: str) -> None:
    report = known_alert_then(hostile, log, status, body, headers)
    assert report.error is not None and expected in report.error, report.error
    assert "\n" not in report.error and "s3cret" not in report.error
    assert [a.name for a in log.current()] == ["CheckoutErrorRateHigh"]
    assert expected in (log.status().error or "")
