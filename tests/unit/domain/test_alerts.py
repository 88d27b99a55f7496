"""The alert rules without a server: the severity guide, Alertmanager's fingerprint, grouping, the diff between two
looks, what to propose when declaring, and reading hostile records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.domain import alerts as rules
from cockpit.domain.alerts import Alert, BadRecord, Level, ProposeRule
from cockpit.domain.severity import Impact, Scope

NOW = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(("word", "level", "response"), [
    ("page", Level.P0, "<5 min"), ("critical", Level.P0, "<5 min"), ("P0", Level.P0, "<5 min"),
    ("urgent", Level.P1, "<30 min"), ("warning", Level.P1, "<30 min"),
    ("ticket", Level.P2, "next business day"), ("log", Level.P3, "weekly review"), ("info", Level.P3, "weekly review"),
])
def test_the_severity_guide(word: str, level: Level, response: str) -> None:
    assert rules.level_of({"severity": word}) is level
    assert level.response == response


def test_a_severity_outside_the_guide_has_no_level() -> None:
    assert rules.level_of({"severity": "banana"}) is None
    assert rules.level_of({}) is None


def test_fingerprint_is_fnv1a_64_over_sorted_names_and_values() -> None:
    assert rules.fingerprint({}) == "cbf29ce484222325"  # FNV-1a's offset basis: nothing hashed
    # one byte: (basis ^ 0x61) * prime mod 2^64, then 0xff, computed by hand with Python's integers
    value = 0xCBF29CE484222325
    for byte in b"a\xffb\xff":
        value = ((value ^ byte) * 0x100000001B3) % 2**64
    assert rules.fingerprint({"a": "b"}) == f"{value:016x}"
    assert rules.fingerprint({"b": "2", "a": "1"}) == rules.fingerprint({"a": "1", "b": "2"})


def alert(fp: str, state: str = "active", ends: datetime | None = None, **labels: str) -> Alert:
    return Alert(fp, {"alertname": "A", **labels}, {}, NOW - timedelta(minutes=5), ends, state,
                 ("s1",) if state == "suppressed" else ())


def test_diff_by_fingerprint() -> None:
    before = {"a": "firing", "b": "firing", "c": "silenced", "d": "resolved"}
    current = [alert("a"), alert("b", "suppressed"), alert("c"), alert("d"), alert("e"),
               alert("f", ends=NOW - timedelta(seconds=1))]  # f ended already: it counts as gone
    changes = rules.diff(before, current, NOW)
    assert [a.fingerprint for a in changes.fired] == ["d", "e"]
    assert [a.fingerprint for a in changes.silenced] == ["b"]
    assert [a.fingerprint for a in changes.unsilenced] == ["c"]
    assert [a.fingerprint for a in changes.still] == ["a"]
    assert changes.resolved == []
    assert rules.diff({"a": "firing", "z": "silenced"}, [alert("a")], NOW).resolved == ["z"]


def test_grouping_as_alertmanager_does() -> None:
    labels = {"alertname": "CheckoutErrorRateHigh", "service": "checkout", "pod": "a"}
    assert rules.group_key(labels) == "alertname=CheckoutErrorRateHigh,service=checkout"
    assert rules.group_key({"alertname": "X"}) == "alertname=X,service="
    assert rules.group_labels(labels) == {"alertname": "CheckoutErrorRateHigh", "service": "checkout"}


def test_the_proposal_takes_the_summary_the_service_and_the_first_matching_rule() -> None:
    page = Alert("1", {"alertname": "X", "service": "checkout", "severity": "page"},
                 {"summary": "Checkout  5xx\x1b[31m high"}, NOW, None)
    proposal = rules.propose(page)
    assert proposal.title == "Checkout 5xx\\x1b[31m high"  # a control character arrives as its visible escape
    assert proposal.services == ("checkout",)
    assert (proposal.impact, proposal.scope) == (Impact.CORE_DOWN, Scope.GT25)
    warn = Alert("2", {"alertname": "Y", "severity": "warning", "tier": "edge"}, {}, NOW, None)
    assert rules.propose(warn).title == "Y" and rules.propose(warn).services == ()
    assert (rules.propose(warn).impact, rules.propose(warn).scope) == (Impact.DEGRADED, Scope.LT25)
    custom = [ProposeRule({"tier": "edge"}, Impact.NON_CORE_DOWN, Scope.ALL)]
    assert (rules.propose(warn, custom).impact, rules.propose(warn, custom).scope) == (Impact.NON_CORE_DOWN,
                                                                                        Scope.ALL)


def test_a_bad_record_is_quarantined_and_the_rest_read() -> None:
    good = {"labels": {"alertname": "A"}, "startsAt": "2026-11-18T13:55:00.123456789Z", "fingerprint": "abc123",
            "status": {"state": "suppressed", "silencedBy": ["s1"]}}
    payload = [good, "text", {"labels": {"alertname": 5}, "startsAt": "2026-11-18T13:55:00Z"},
               {"labels": {"alertname": "B"}}, {"labels": {"alertname": "C"}, "startsAt": "yesterday"},
               {"labels": {"alertname": "D"}, "startsAt": "2026-11-18T13:55:00Z", "fingerprint": "<script>"}]
    alerts, problems = rules.parse_alerts(payload)
    assert [a.name for a in alerts] == ["A"]
    assert alerts[0].starts_at == datetime(2026, 11, 18, 13, 55, 0, 123456, tzinfo=UTC)
    assert alerts[0].silenced and alerts[0].fingerprint == "abc123"
    assert problems == ["alert #2: it is not an object", "alert #3: one of its labels is not text",
                        "alert #4: it has no startsAt", "alert #5: 'yesterday' is not a time",
                        "alert #6: its fingerprint is not hexadecimal"]
    with pytest.raises(BadRecord):
        rules.parse_alerts({"status": "success"})


def test_an_absent_fingerprint_is_computed_and_endsat_zero_means_none() -> None:
    parsed = rules.parse_alert({"labels": {"a": "b"}, "startsAt": "2026-11-18T13:55:00Z",
                                "endsAt": "0001-01-01T00:00:00Z"})
    assert parsed.fingerprint == rules.fingerprint({"a": "b"}) and parsed.ends_at is None


def test_silence_matchers_and_the_marker_in_the_comment() -> None:
    assert rules.silence_matchers({"service": "x", "alertname": "A"}) == [
        {"name": "alertname", "value": "A", "isRegex": False, "isEqual": True},
        {"name": "service", "value": "x", "isRegex": False, "isEqual": True}]
    comment = rules.silence_comment("INC-ABCD1234", "dana", "0b1f")
    assert comment == "Acknowledged in Incident Cockpit for INC-ABCD1234 by dana [cockpit:0b1f]"
    assert rules.silence_marker("0b1f") in comment


@pytest.mark.parametrize("raw", ["9999-12-31T23:59:59-05:00", "9999-12-31T22:00:00-14:00"])
def test_a_time_past_the_calendar_once_in_utc_is_quarantined_not_a_crash(raw: str) -> None:
    good = {"labels": {"alertname": "A"}, "startsAt": "2026-11-18T13:55:00Z"}
    alerts, problems = rules.parse_alerts([{"labels": {"alertname": "Far"}, "startsAt": raw}, good])
    assert [a.name for a in alerts] == ["A"]
    assert problems == [f"alert #1: '{raw}' is a time past the year 9999 in UTC"]


def test_a_second_alert_with_the_same_fingerprint_is_quarantined_and_named() -> None:
    first = {"labels": {"alertname": "A"}, "startsAt": "2026-11-18T13:55:00Z", "fingerprint": "abcd"}
    second = {"labels": {"alertname": "B"}, "startsAt": "2026-11-18T13:56:00Z", "fingerprint": "ABCD"}
    alerts, problems = rules.parse_alerts([first, second])
    assert [a.name for a in alerts] == ["A"]
    assert problems == ["alert #2: its fingerprint abcd is also alert #1's; only the first is read"]
