"""Against a real Prometheus over series of known ratios: the cockpit's SLI, remaining budget and every window's
burn rate equal what the test computes from the raw samples, and exactly the right alerts fire. Then every kind of
failure: no data, NaN, unreachable, a timeout, a 500, a wrong token, hostile answers."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cockpit.domain.slo import SEED_ALERTS, alert_windows, error_budget
from cockpit.service.incidents import IncidentService
from cockpit.service.signals import Signals
from cockpit.service.slo_files import load_library
from cockpit.sources.prometheus import PrometheusSource
from cockpit.sources.refresh import refresh
from cockpit.sources.settings import PrometheusSettings
from cockpit.store.db import Store
from tests.conftest import ROOT, FakeClock, run_cli
from tests.integration.hostile_http import reply
from tests.prometheus_data import KNOWN, T0, TUI_NOW, known_library

WEEK = timedelta(days=7)
RATIO_SERVICES = ["t-steady", "t-fast", "t-traffic", "t-expr"]


@pytest.fixture
def signals(store: Store) -> Signals:
    return Signals(IncidentService(store, "tester", clock=FakeClock(T0)))


def _source(url: str, **kwargs: Any) -> PrometheusSource:
    return PrometheusSource(PrometheusSettings(url, **kwargs))


def _close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def test_sli_budget_and_burn_rates_equal_values_computed_from_the_raw_samples(prometheus_server: Any,
                                                                            signals: Signals, tmp_path: Path):
    library = load_library([known_library(tmp_path / "slos")])
    with _source(prometheus_server.url) as source:
        report = refresh(signals, library, source, at=T0)
    assert report.source_error is None
    readings = {r.service: r for r in signals.readings()}
    allowed = error_budget(99.9)
    windows = alert_windows(SEED_ALERTS)
    for service in [*RATIO_SERVICES, "t-slices"]:
        ev = readings[service].evaluation
        assert ev is not None and readings[service].error is None, readings[service].error
        raw = KNOWN[service]

        def counts(window: timedelta, raw: Any = raw, service: str = service) -> tuple[int, int]:
            return raw.slices(T0, window, 99) if service == "t-slices" else raw.window(T0, window)

        bad, total = counts(WEEK)
        assert _close(ev.sli, (total - bad) / total), service
        assert _close(ev.remaining, (allowed - bad / total) / allowed), service
        expected_fire = []
        burns = {}
        for window in windows:
            w_bad, w_total = counts(window)
            burns[window] = (w_bad / w_total) / allowed
            assert _close(ev.burn(window), burns[window]), (service, window, ev.burn(window), burns[window])
        for alert in SEED_ALERTS:
            if burns[alert.short_window] >= alert.factor and burns[alert.long_window] >= alert.factor:
                expected_fire.append(alert.name)
        assert list(ev.firing) == expected_fire, service
    # the cases were chosen so each fires something different
    assert readings["t-steady"].evaluation.firing == ("slow_burn",)
    assert readings["t-fast"].evaluation.firing == ("fast_burn",)
    assert readings["t-steady"].evaluation.state == "exhausted"
    # traffic-weighted: quiet hours with 10 % errors barely count
    assert readings["t-traffic"].evaluation.remaining > 0.8


def test_one_bad_slo_never_stops_the_others(prometheus_server: Any, signals: Signals, tmp_path: Path):
    library = load_library([known_library(tmp_path / "slos")])
    with _source(prometheus_server.url) as source:
        report = refresh(signals, library, source, at=T0)
    readings = {r.service: r for r in signals.readings()}
    assert readings["t-nan"].evaluation is None
    assert readings["t-nan"].error == ("t-nan/availability: Prometheus gave NaN for the bad events over 5m; not a "
                                       "usable number.")
    assert readings["t-nodata"].error.startswith("t-nodata/availability: no data over its 1w window at "
                                                 "2026-10-20 00:00Z")
    assert report.read == 5 and len(report.failed) == 2


def test_offline_the_last_figures_stay_with_their_age(prometheus_server: Any, store: Store, tmp_path: Path):
    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    signals = Signals(IncidentService(store, "tester", clock=clock))
    library = load_library([known_library(tmp_path / "slos")])
    with _source(prometheus_server.url) as source:
        refresh(signals, library, source, at=T0, clock=clock)
    before = {r.key: r.evaluation for r in signals.readings()}
    clock.advance(minutes=12)
    port = _closed_port()
    with _source(f"http://127.0.0.1:{port}/", timeout_seconds=2) as down:
        report = refresh(signals, library, down, at=T0, clock=clock)
    assert report.source_error == f"Prometheus at http://127.0.0.1:{port}/ is unreachable (ConnectError)."
    assert report.read == 0 and report.failed == []
    for reading in signals.readings():
        assert reading.evaluation == before[reading.key]  # never blank
        assert reading.error == report.source_error
    steady = next(r for r in signals.readings() if r.service == "t-steady")
    assert steady.age_text(clock()) == (f"as of 12 min ago — Prometheus at http://127.0.0.1:{port}/ is unreachable "
                                        "(ConnectError).")


def test_the_sample_sev1_burns_the_checkout_budget(prometheus_server: Any, tmp_path: Path):
    from cockpit.domain.slo import breach_reasons
    from cockpit.service.sample import load_sample_data
    from cockpit.service.signals import budget_consumed

    store = Store.open(tmp_path / "sample.db")
    loaded = load_sample_data(store, now=TUI_NOW)
    svc = IncidentService(store, "tester", clock=FakeClock(TUI_NOW))
    signals = Signals(svc)
    library = load_library([ROOT / "sample_data" / "slos"])
    with _source(prometheus_server.url) as source:
        report = refresh(signals, library, source, at=TUI_NOW)
    assert report.read == len(library.slos) and report.failed == []
    checkout = next(r.evaluation for r in signals.readings() if r.key == "checkout-api/availability")
    assert checkout is not None and checkout.remaining < 0 and checkout.state == "exhausted"
    assert checkout.paging
    sev1 = loaded.incidents[-1]
    detail = svc.get(sev1)
    reasons = breach_reasons([r.evaluation for r in signals.readings() if r.evaluation], detail.snapshot.services,
                             timedelta(hours=24), TUI_NOW)
    assert any(reason.startswith("checkout-api availability: ") for reason in reasons)
    records = signals.incident_budgets(sev1)
    consumed = budget_consumed(records)
    assert consumed is not None and consumed > 50
    declared = next(r for r in records if r.slo_key == "checkout-api/availability").declared_remaining
    assert declared is not None and declared > 0 > checkout.remaining
    store.close()


def test_cli_status_prints_the_dashboard_from_the_live_source(prometheus_server: Any, tmp_path: Path):
    folder = known_library(tmp_path / "slos")
    env = {"COCKPIT_PROMETHEUS_URL": prometheus_server.url, "COCKPIT_SLO_DIRS": str(folder)}
    db = tmp_path / "c.db"
    result = run_cli("slo", "status", "--at", T0.isoformat(), "--service", "t-steady", "--json", db=db, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    row = data["slos"][0]
    bad, total = KNOWN["t-steady"].window(T0, WEEK)
    assert row["budget_remaining_pct"] == round((0.001 - bad / total) / 0.001 * 100, 2)
    assert row["status"] == "EXHAUSTED" and row["firing"] == ["slow_burn"]
    assert row["burn_rate"] == {"1h": pytest.approx(5), "6h": pytest.approx(5), "1d": pytest.approx(5)}
    text = run_cli("slo", "status", "--offline", "--service", "t-steady", db=db, env=env)
    assert "| Burn rate (1h / 6h / 24h) | 5.0 / 5.0 / 5.0 |  | firing: slow_burn |" in text.stdout
    assert "| Budget remaining (%) | -400.0 |" in text.stdout


# --- hostile and failing servers ---------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _refresh_one(url: str, signals: Signals, tmp_path: Path, **kwargs: Any) -> Any:
    library = load_library([known_library(tmp_path / "slos")])
    steady = [s for s in library.slos if s.service == "t-steady"]
    with _source(url, **kwargs) as source:
        return refresh(signals, library, source, at=T0, slos=steady)


@pytest.mark.parametrize(("status", "body", "expected"), [
    (500, b'{"status":"error","error":"internal failure"}', "answered 500: internal failure."),
    (503, b"<html>maintenance</html>", "answered 503."),
    (200, b"not json", "sent an answer that is not Prometheus API JSON."),
    (200, b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"cockpit_q":"bad_1w"},'
          b'"value":[1,"NaN"]},{"metric":{"cockpit_q":"total_1w"},"value":[1,"+Inf"]}]}}',
     "Prometheus gave NaN for the bad events over 1w; not a usable number."),
    (200, b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"cockpit_q":"bad_1w"},'
          b'"value":[1,7]}]}}', "Prometheus gave 7 for the bad events over 1w; not a usable number."),
    (200, b'{"status":"success","data":{"resultType":"matrix","result":[]}}', "instead of an instant vector."),
    (302, b"", "answered with a redirect (302), which is not followed; check the URL."),
    (200, b"[" * 100_000 + b"]" * 100_000, "sent an answer that is not Prometheus API JSON."),  # nested too deep
], ids=["500", "503", "html", "nan", "not-a-string", "matrix", "302", "nested-100000-deep"])
def test_hostile_answers_become_one_sentence(hostile: Any, signals: Signals, tmp_path: Path, status: int,
                                             body: bytes, expected: str):
    url = hostile(reply(status, body, {"Location": "http://127.0.0.2:1/steal"} if status == 302 else None))
    report = _refresh_one(url, signals, tmp_path)
    message = report.source_error or report.failed[0]
    assert message.endswith(expected), message
    assert "\n" not in message


def test_a_huge_answer_is_cut_off(hostile: Any, signals: Signals, tmp_path: Path):
    url = hostile(reply(200, b"[" + b"0," * (3 * 1024 * 1024) + b"0]"))
    report = _refresh_one(url, signals, tmp_path)
    assert "sent an answer of 6,291,459 bytes; the limit is 4,194,304." in report.source_error


def test_a_server_that_never_answers_times_out(signals: Signals, tmp_path: Path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)  # accepts connections (the kernel does) but never answers
        port = listener.getsockname()[1]
        report = _refresh_one(f"http://127.0.0.1:{port}/", signals, tmp_path, timeout_seconds=0.5)
    assert report.source_error == f"Prometheus at http://127.0.0.1:{port}/ did not answer within 0.5 s."


#: bcrypt of "s3cret-cockpit-token" (cost 4): Prometheus's own basic auth, from its web config file.
PASSWORD_HASH = "$2b$04$abcdefghijklmnopqrstuuFJrXdpozKfN/SN0GzMTJw8T6DD2GlFO"


def test_a_wrong_token_is_refused_and_never_shown(prometheus_server: Any, signals: Signals, tmp_path: Path):
    from cockpit.sources.local_prometheus import run_prometheus

    web = tmp_path / "web.yml"
    web.write_text(f"basic_auth_users:\n  cockpit: '{PASSWORD_HASH}'\n", encoding="utf-8")
    with run_prometheus(prometheus_server.storage.parent / "data", web_config=web) as guarded:
        wrong = _refresh_one(guarded.url, signals, tmp_path, token="cockpit:not-the-token-42")
        assert wrong.source_error == (f"Prometheus at {guarded.url} refused the credentials (401); check the token "
                                      "(`cockpit slo source login`, or COCKPIT_PROMETHEUS_TOKEN).")
        assert "not-the-token-42" not in wrong.source_error
        right = _refresh_one(guarded.url, signals, tmp_path, token="cockpit:s3cret-cockpit-token")
        assert right.source_error is None and right.read == 1


def test_the_token_goes_only_to_the_configured_origin(hostile: Any, signals: Signals, tmp_path: Path):
    elsewhere = hostile(reply(200, b"{}"))
    url = hostile(reply(307, b"", {"Location": elsewhere + "api/v1/query"}))
    report = _refresh_one(url, signals, tmp_path, token="bearer-secret-77")
    assert "redirect (307)" in report.source_error
    auth = [h.get("Authorization") for h in hostile.seen]
    assert auth == ["Bearer bearer-secret-77"]  # one request, to the configured server only
    assert "bearer-secret-77" not in report.source_error


def test_cli_errors_never_print_the_token(tmp_path: Path):
    port = _closed_port()
    env = {"COCKPIT_PROMETHEUS_URL": f"http://127.0.0.1:{port}/", "COCKPIT_PROMETHEUS_TOKEN": "tok-secret-99",
           "COCKPIT_SLO_DIRS": str(known_library(tmp_path / "slos"))}
    result = run_cli("slo", "refresh", db=tmp_path / "c.db", env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: Prometheus at http://127.0.0.1:{port}/ is unreachable (ConnectError). "
                                     "The last figures are kept.")
    assert "tok-secret-99" not in result.stdout + result.stderr


def test_the_budget_reaches_the_postmortem_the_monthly_report_and_the_handoff(prometheus_server: Any,
                                                                              tmp_path: Path):
    from cockpit.domain.lifecycle import Phase
    from cockpit.domain.report import to_markdown
    from cockpit.service.aftercare import Aftercare
    from cockpit.service.handoffs import Handoffs
    from cockpit.service.sample import load_sample_data

    store = Store.open(tmp_path / "sample.db")
    sev1 = load_sample_data(store, now=TUI_NOW).incidents[-1]
    clock = FakeClock(TUI_NOW)
    svc = IncidentService(store, "priya", clock=clock)
    signals = Signals(svc)
    library = load_library([ROOT / "sample_data" / "slos"])
    with _source(prometheus_server.url) as source:
        refresh(signals, library, source, clock=clock)
        open_records = {r.slo_key: r for r in signals.incident_budgets(sev1)}
        clock.advance(minutes=30)
        svc.set_phase(sev1, Phase.RESOLVE)
        refresh(signals, library, source, clock=clock)
    records = {r.slo_key: r for r in signals.incident_budgets(sev1)}
    availability = records["checkout-api/availability"]
    assert availability.resolved and availability.resolved_remaining is not None
    assert availability.declared_remaining > 0 > availability.resolved_remaining
    # the incident's own errors, measured from its impact start to its resolution
    assert availability.consumed_pct >= open_records["checkout-api/availability"].consumed_pct > 50

    draft = Aftercare(svc).postmortem(sev1)
    assert draft.impact["slo_budget_consumed_pct"] == round(max(r.consumed_pct for r in records.values()), 2)
    assert {b["slo"] for b in draft.impact["slo_budgets"]} == {"checkout-api/availability", "checkout-api/latency"}
    from cockpit.domain import postmortem as pm

    text = pm.to_markdown(draft)
    assert f"- Slo budget consumed pct: {draft.impact['slo_budget_consumed_pct']}" in text
    assert "- SLO checkout-api/availability: " in text and "of its error budget left at declaration" in text

    report = Aftercare(svc).monthly_report("2026-11", TUI_NOW.date())["monthly_report"]
    assert report["error_budget"]["services_exhausted"] >= 1
    assert report["slo_summary"]["worst_performing"].startswith("checkout-api availability")
    assert report["slo_summary"]["services_meeting_slo"] + report["slo_summary"]["services_breaching_slo"] == 7
    assert "## SLOs (latest figures" in to_markdown({"monthly_report": report})

    handoff = Handoffs(svc).draft()
    risks = [r["event"] for r in handoff.sections["known_risks"]]
    assert any(r.startswith("checkout-api availability error budget EXHAUSTED") for r in risks), risks
    store.close()
