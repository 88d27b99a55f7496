"""The relay's pure rules, without a tracker: backoff, the circuit breaker, the waits a server asks for, and how
the GitHub adapter reads labels and its hidden marker. Figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cockpit.sync.answers import MAX_WAIT_S, retry_after
from cockpit.sync.github import issue_marker, label_fields
from cockpit.sync.relay import BASE_DELAY_S, MAX_DELAY_S, Breaker, backoff

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("attempts", "rand", "expected"), [
    (0, 0.5, 0.5),  # base 1 s × 2^0, half of it
    (3, 0.5, 4.0),  # 1 s × 2^3 = 8 s, half of it
    (3, 1.0, 8.0),
    (12, 0.5, 150.0),  # 2^12 = 4096 s, capped at 300 s, half of it
    (10_000, 0.25, 75.0),  # a huge attempt count neither overflows nor passes the cap
])
def test_backoff_is_full_jitter_under_a_cap(attempts: int, rand: float, expected: float) -> None:
    assert backoff(attempts, None, rand=lambda: rand) == pytest.approx(expected)
    assert BASE_DELAY_S == 1.0 and MAX_DELAY_S == 300.0


def test_backoff_never_undercuts_retry_after_but_caps_it_at_an_hour() -> None:
    assert backoff(0, 40.0, rand=lambda: 0.1) == 40.0  # the jitter gave 0.1 s; the server asked for 40
    assert backoff(12, 40.0, rand=lambda: 1.0) == 300.0  # the jitter is longer: it wins
    assert backoff(0, 86_400.0, rand=lambda: 0.0) == 3600.0


def test_breaker_opens_after_five_failures_and_lets_one_probe_through_after_its_cool_down() -> None:
    breaker = Breaker(threshold=5, cool_down=timedelta(seconds=30))
    for _ in range(4):
        breaker.failure(NOW)
    assert breaker.allow(NOW)  # four failures: still closed
    breaker.failure(NOW)
    assert not breaker.allow(NOW + timedelta(seconds=29))
    assert breaker.allow(NOW + timedelta(seconds=30))  # the probe
    breaker.success()
    assert breaker.failures == 0 and breaker.opened_at is None and breaker.allow(NOW)


def _answer(status: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(status, headers=headers)


@pytest.mark.parametrize(("status", "headers", "expected"), [
    (503, {"Retry-After": "120"}, 120.0),
    (429, {"Retry-After": "Tue, 01 Dec 2026 03:02:30 GMT"}, 150.0),  # an HTTP date 2 min 30 s after NOW
    (429, {"Retry-After": "Tue, 01 Dec 2026 02:59:00 GMT"}, 0.0),  # a date in the past: no wait
    (503, {"Retry-After": "99999"}, MAX_WAIT_S),  # capped at an hour
    (503, {"Retry-After": "soon"}, None),  # neither seconds nor a date
    (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, 45.0),  # GitHub
    (429, {"RateLimit-Reset": "12"}, 12.0),  # seconds to go (Roundup)
    (502, {"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, None),
])
def test_the_wait_a_server_asks_for(status: int, headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(_answer(status, headers), NOW) == expected


def test_github_labels_give_the_more_severe_level_and_the_later_phase() -> None:
    issue = {"labels": [{"name": "cockpit"}, {"name": "SEV3"}, {"name": "sev1"}, {"name": "phase:triage"},
                        {"name": "Phase:Mitigate"}, {"name": "phase:nonsense"}, {"name": "customer-visible"}]}
    assert label_fields(issue) == ("SEV1", "MITIGATE")  # the phase as the cockpit names it
    assert label_fields({"labels": "not a list"}) == ("", "")
    assert label_fields({"labels": [{"name": "bug"}, "SEV1"]}) == ("", "")  # a bare string is not a label


def test_github_marker_is_read_only_from_the_start_of_the_body_and_only_as_a_json_object() -> None:
    body = '<!-- cockpit-incident {"id": "0190", "started": "x"} -->\nRoles: ic: priya'
    assert issue_marker({"body": body}) == {"id": "0190", "started": "x"}
    assert issue_marker({"body": "text first\n" + body}) == {}  # a marker quoted further down does not count
    assert issue_marker({"body": '<!-- cockpit-incident {"id": } -->'}) == {}
    assert issue_marker({"body": None}) == {}
