"""A Game Day's steady state and abort conditions as PromQL against a real Prometheus over backfilled series: the
calm service ``t-fast`` (0.01 % errors) whose errors jump to 2 % over the last 50 minutes before T0."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from cockpit.domain import chaos
from cockpit.sources.gameday import check_steady_state, tripped
from cockpit.sources.prometheus import PrometheusSource
from cockpit.sources.settings import PrometheusSettings
from tests.prometheus_data import T0, TEST_METRIC

RATIO = (f'sum(rate({TEST_METRIC}{{service="t-fast",code="500"}}[5m])) / '
         f'sum(rate({TEST_METRIC}{{service="t-fast"}}[5m]))')


def experiment_data() -> dict[str, Any]:
    return {"experiment": {
        "name": "Add 200ms latency to DB calls on t-fast",
        "hypothesis": "When 200 ms of latency is added, the system will keep its 5xx ratio under 1 %",
        "steady_state": {"metrics": [{"name": "5xx ratio", "baseline": "0.01 %", "acceptable_range": "< 0.001",
                                      "query": RATIO},
                                     {"name": "checkout works", "baseline": "yes", "acceptable_range": "yes"}]},
        "method": {"fault_type": "network", "target": "t-fast", "blast_radius": "single pod", "duration": "30m"},
        "safety": {"abort_conditions": [{"name": "5xx ratio above 1 %", "query": f"{RATIO} > 0.01"},
                                        "Customer-visible errors detected"],
                   "rollback_plan": "toxiproxy-cli toxic remove db -n latency"},
    }}


def experiment() -> chaos.Experiment:
    made, issues = chaos.validate(experiment_data())
    assert made is not None, issues
    return made


def test_the_baseline_holds_before_the_spike_and_fails_inside_it(prometheus_server: Any) -> None:
    e = experiment()
    with PrometheusSource(PrometheusSettings(prometheus_server.url)) as source:
        before = check_steady_state(source, e, T0 - timedelta(hours=2))
        during = check_steady_state(source, e, T0)
    # 1 bad in 10,000 a minute: 0.0001 in every minute of the 15-minute baseline (16 readings, both ends)
    assert before.ok and before.lines == ("5xx ratio: 16 readings within < 0.001 (last 0.0001)",)
    assert before.by_hand == ("checkout works",)
    assert before.text().startswith("Steady state holds: 5xx ratio: 16 readings") and "by hand: checkout works" in \
        before.text()
    # 200 bad in 10,000 a minute over the last 50 minutes: 0.02 throughout the last 15
    assert not during.ok and during.lines == ("5xx ratio: 16 of 16 readings outside < 0.001 (worst 0.02)",)


def test_the_abort_condition_trips_only_while_the_errors_are_high(prometheus_server: Any) -> None:
    e = experiment()
    with PrometheusSource(PrometheusSettings(prometheus_server.url)) as source:
        calm, calm_errors = tripped(source, e, T0 - timedelta(hours=1))
        hit, hit_errors = tripped(source, e, T0)
    assert calm == [] and calm_errors == []
    assert [(t.condition, t.value) for t in hit] == [("5xx ratio above 1 %", "0.02")] and hit_errors == []


def test_a_query_prometheus_refuses_is_reported_never_taken_as_calm(prometheus_server: Any, tmp_path: Path) -> None:
    data = experiment_data()
    data["experiment"]["safety"]["abort_conditions"] = [{"name": "broken", "query": "sum(rate(x[5m])) >>> 1"}]
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    made, _ = chaos.validate(data)
    assert made is not None
    with PrometheusSource(PrometheusSettings(prometheus_server.url)) as source:
        hit, errors = tripped(source, made, T0)
    assert hit == [] and len(errors) == 1 and errors[0].startswith("broken: Prometheus at") and "refused the query" in \
        errors[0]


def test_the_capacity_peak_comes_from_prometheus(prometheus_server: Any) -> None:
    from cockpit.domain import capacity
    from cockpit.sources.capacity import reports

    # t-steady serves 1000 requests a minute (16.67/s) throughout: against 20/s that is 83.33 %
    query = f'100 * max_over_time(sum(rate({TEST_METRIC}{{service="t-steady"}}[5m]))[1h:1m]) / 20'
    made, issues = capacity.validate({"capacity_model": {
        "service": "t-steady", "current_state": {"peak_utilization_pct": 50, "peak_utilization_query": query},
        "growth_forecast": {"current": 1000, "monthly_growth_pct": 1},
        "scaling_strategy": {"scale_up_threshold": 85, "scale_down_threshold": 30}}})
    assert made is not None, issues
    with PrometheusSource(PrometheusSettings(prometheus_server.url)) as source:
        (row,), notes = reports([made], T0, source=source)
        (nodata,), nodata_notes = reports([capacity.CapacityModel(
            service="t-none", bottleneck="", peak_pct=50, growth_pct=1,
            peak_query='sum(rate(cockpit_test_requests_total{service="nope"}[5m]))')], T0, source=source)
    assert notes == [] and row["peak_from"] == "Prometheus"
    assert abs(row["peak_utilization_pct"] - 83.33) < 0.01
    # 83.33·1.01 = 84.17 < 85 ≤ 83.33·1.01² = 85.01: month 2
    assert row["threshold_month"] == 2
    assert nodata["peak_from"] == "file" and nodata["peak_utilization_pct"] == 50
    assert nodata_notes == ["t-none: the peak utilisation query returned no data. Using the peak in the file."]
