"""The catalog's and the reviews' alert figures come from the alert log (#11 wired to #10); figures by hand."""

from __future__ import annotations

from datetime import timedelta

from cockpit.domain.alerts import Alert, fingerprint
from cockpit.service.alert_figures import alert_figures
from cockpit.service.alerts import AlertLog
from cockpit.service.incidents import IncidentService
from tests.conftest import FakeClock


def _alert(name: str, service: str, severity: str, at: object, runbook: bool) -> Alert:
    labels = {"alertname": name, "service": service, "severity": severity}
    annotations = {"summary": name, **({"runbook_url": f"https://runbooks/{name}"} if runbook else {})}
    return Alert(fingerprint(labels), labels, annotations, at, None, "active", ())  # type: ignore[arg-type]


def test_no_alert_ever_read_is_not_available_rather_than_zero(svc: IncidentService, clock: FakeClock) -> None:
    now = clock()
    assert alert_figures(svc, "checkout", now - timedelta(days=28), now) is None


def test_pages_per_week_alerts_and_design_problems_per_service(svc: IncidentService, clock: FakeClock) -> None:
    now = clock()
    log = AlertLog(svc)
    log.record_poll([_alert("CheckoutDown", "checkout", "page", now - timedelta(days=3), runbook=True),
                     _alert("CheckoutSlow", "checkout", "page", now - timedelta(days=10), runbook=False),
                     _alert("PaymentsQueue", "payments", "ticket", now - timedelta(days=1), runbook=True),
                     _alert("OldNoise", "checkout", "page", now - timedelta(days=40), runbook=True)], [], now)
    checkout = alert_figures(svc, "checkout", now - timedelta(days=28), now)
    assert checkout is not None
    # two page-level alerts in the last 28 days (the 40-day-old one is outside): 2 / 4 weeks = 0.5 a week
    assert (checkout.pages_per_week, checkout.alerts, checkout.lint_problems) == (0.5, 2, 1)
    assert checkout.lint_text == "1 problem(s)"
    everything = alert_figures(svc, None, now - timedelta(days=28), now)
    assert everything is not None and (everything.alerts, everything.lint_problems) == (3, 1)
    log.mark_false_positive("CheckoutDown")  # not actionable: a design problem too
    marked = alert_figures(svc, "checkout", now - timedelta(days=28), now)
    assert marked is not None and marked.lint_problems == 2
