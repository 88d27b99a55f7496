"""The alert log on a real SQLite file: fired, silenced and resolved alerts, timeline entries on the incident an
alert belongs to, acknowledgements recorded before they are sent, not-actionable marks, and the on-call figures
(computed by hand below)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cockpit.domain.alerts import Alert, fingerprint
from cockpit.domain.lifecycle import Phase
from cockpit.errors import InvalidInput
from cockpit.service.aftercare import Aftercare
from cockpit.service.alerts import AlertLog
from cockpit.service.incidents import IncidentService
from tests.conftest import FakeClock


def an_alert(name: str, at: datetime, service: str = "checkout", severity: str = "page", state: str = "active",
             **extra: str) -> Alert:
    labels = {"alertname": name, "service": service, "severity": severity, **extra}
    return Alert(fingerprint(labels), labels, {"summary": f"{name} [b]x[/b]"}, at, None, state,
                 ("s",) if state == "suppressed" else ())


@pytest.fixture
def log(svc: IncidentService) -> AlertLog:
    return AlertLog(svc)


def test_fired_silenced_resolved_and_the_timeline_of_the_incident_they_belong_to(log: AlertLog, svc: IncidentService,
                                                                                 clock: FakeClock) -> None:
    a = an_alert("CheckoutErrorRateHigh", clock() - timedelta(minutes=3), pod="a")
    b = an_alert("CheckoutErrorRateHigh", clock() - timedelta(minutes=2), pod="b")
    first = log.record_poll([a, b], [], clock())
    assert len(first.changes.fired) == 2 and first.new_pages == 2
    snapshot, proposal = log.declare("CheckoutErrorRateHigh")
    assert proposal.title == "CheckoutErrorRateHigh [b]x[/b]"
    assert snapshot.started_at == a.starts_at  # impact began when the first alert fired
    clock.advance(minutes=1)
    silenced_b = an_alert("CheckoutErrorRateHigh", b.starts_at, state="suppressed", pod="b")
    log.record_poll([a, silenced_b], ["alert #3: it has no labels"], clock())
    clock.advance(minutes=1)
    log.record_poll([silenced_b], [], clock())  # a resolved
    by_pod = {x.labels["pod"]: x for x in log.current(include_resolved=True)}
    assert by_pod["a"].state == "resolved" and by_pod["a"].resolved_at == clock()
    assert by_pod["b"].state == "silenced"
    assert by_pod["a"].first_seen_at == clock() - timedelta(minutes=2)
    assert log.status().quarantined == ()  # the last answer had no unreadable record
    texts = [e.text for e in svc.get(snapshot.id).timeline if e.kind == "alert"]
    assert texts == [
        'Alert declared from: CheckoutErrorRateHigh {alertname="CheckoutErrorRateHigh", pod="a", service="checkout", '
        'severity="page"} (firing since 2026-11-18 13:57Z)',
        'Alert declared from: CheckoutErrorRateHigh {alertname="CheckoutErrorRateHigh", pod="b", service="checkout", '
        'severity="page"} (firing since 2026-11-18 13:58Z)',
        'Alert silenced: CheckoutErrorRateHigh {alertname="CheckoutErrorRateHigh", pod="b", service="checkout", '
        'severity="page"}',
        'Alert resolved: CheckoutErrorRateHigh {alertname="CheckoutErrorRateHigh", pod="a", service="checkout", '
        'severity="page"}',
    ]


def test_acknowledging_records_the_silence_first_and_the_time_to_acknowledge(log: AlertLog, svc: IncidentService,
                                                                               clock: FakeClock) -> None:
    a = an_alert("DiskUsageHigh", clock() - timedelta(minutes=7), service="db", severity="ticket")
    log.record_poll([a], [], clock())
    with pytest.raises(InvalidInput, match="Declare an incident from this alert or attach it"):
        log.acknowledge("DiskUsageHigh")
    snapshot, _ = log.declare("DiskUsageHigh")
    record = log.acknowledge("DiskUsageHigh", hours=2)
    assert record.state == "pending" and record.reference == snapshot.ref and record.created_by == "alice"
    assert record.ends_at - record.starts_at == timedelta(hours=2)
    assert record.matchers == [{"name": "alertname", "value": "DiskUsageHigh", "isRegex": False, "isEqual": True},
                               {"name": "service", "value": "db", "isRegex": False, "isEqual": True}]
    last = svc.get(snapshot.id).timeline[-1]
    assert last.kind == "alert" and last.text == ('Acknowledged DiskUsageHigh: silence of {alertname="DiskUsageHigh",'
                                                  ' service="db"} for 2 h requested (7 min after it fired)')
    # resolving the incident marks a silence that never went out as cancelled (nothing to expire)
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE):
        svc.set_phase(snapshot.id, phase)
    assert log.expire_resolved() == 1
    assert [s.state for s in log.silences()] == ["cancelled"]


def test_on_call_figures_from_the_alert_log(log: AlertLog, svc: IncidentService, clock: FakeClock) -> None:
    # 2026-11-18 14:00 UTC is a Wednesday, working hours; 03:00 is off-hours
    night = clock().replace(hour=3)
    alerts = [an_alert("CheckoutErrorRateHigh", clock() - timedelta(minutes=10), pod="a"),
              an_alert("CheckoutErrorRateHigh", night, pod="b"),
              an_alert("PaymentsDown", clock() - timedelta(minutes=4), service="payments"),
              an_alert("DiskUsageHigh", clock() - timedelta(minutes=1), service="db", severity="ticket")]
    log.record_poll(alerts, [], clock())
    log.declare("CheckoutErrorRateHigh")
    log.acknowledge("CheckoutErrorRateHigh")  # both checkout pages acknowledged now
    log.mark_false_positive("PaymentsDown")
    report = log.report(weeks=1, now=clock())
    assert report["pages"] == 3 and report["alerts"] == 4 and report["off_hours_pages"] == 1
    # 1 of 4 alerts not actionable: 25 %
    assert report["false_positive_pct"] == 25.0
    # acknowledged at 14:00: 10 min after the first, 660 min after the 03:00 one: (10 + 660) / 2 = 335
    assert report["avg_ack_minutes"] == 335.0
    assert report["services"] == [
        {"service": "checkout", "pages": 2, "pages_per_week": 2.0, "target": 5, "over_target": False},
        {"service": "payments", "pages": 1, "pages_per_week": 1.0, "target": 5, "over_target": False}]
    assert report["noisiest"][0] == {"alertname": "CheckoutErrorRateHigh", "service": "checkout", "fired": 2}
    # the monthly report counts the same pages
    body = Aftercare(svc).monthly_report("2026-11", date(2026, 11, 30))["monthly_report"]
    assert isinstance(body, dict)
    assert body["on_call"]["total_pages"] == 3 and body["on_call"]["false_positive_pct"] == 33.3  # 1 of 3 pages
    assert body["on_call"]["off_hours_pages"] == 1


def test_a_second_alert_of_the_group_is_proposed_for_the_open_incident_not_a_closed_one(
        log: AlertLog, svc: IncidentService, clock: FakeClock) -> None:
    log.record_poll([an_alert("X", clock(), pod="1")], [], clock())
    snapshot, _ = log.declare("X")
    log.record_poll([an_alert("X", clock(), pod="1"), an_alert("X", clock(), pod="2")], [], clock())
    second = next(a for a in log.current() if a.labels["pod"] == "2")
    assert log.open_incident_for(second) == snapshot.id
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE):
        svc.set_phase(snapshot.id, phase)
    assert log.open_incident_for(second) is None


def test_report_weeks_out_of_range_is_a_sentence(log: AlertLog) -> None:
    with pytest.raises(InvalidInput, match="--weeks must be from 1 to 520"):
        log.report(0, datetime.now(UTC))


def test_past_twenty_unreadable_records_the_last_line_says_how_many_more_and_the_count_is_whole(
        log: AlertLog, clock: FakeClock) -> None:
    bad = [f"alert #{n}: it has no labels" for n in range(1, 51)]
    log.record_poll([], bad, clock())
    status = log.status()
    assert len(status.quarantined) == 20 and status.quarantined[:19] == tuple(bad[:19])
    assert status.quarantined[19] == "… and 31 more unreadable record(s)"  # 50 - 19 listed
    assert status.set_aside == 50
    log.record_poll([], bad[:3], clock())
    assert log.status().quarantined == tuple(bad[:3]) and log.status().set_aside == 3
