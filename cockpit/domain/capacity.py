"""Capacity: the seed's "Capacity Model Template", its compound growth and the month utilisation crosses the
scale-up threshold; the "Capacity Planning Cadence" and "Load Testing Benchmarks" as a checklist per service.

Arithmetic (the seed's model, growth compounding monthly):

* ``projected_n = current × (1 + monthly_growth_pct / 100) ** n`` for the growth metric (n = 6 and 12);
* utilisation grows with the metric: ``utilisation_n = peak_utilization_pct × (1 + g) ** n``;
* the threshold month is the first whole month n ≥ 0 with ``utilisation_n ≥ scale_up_threshold``
  (``ceil(log(threshold / peak) / log(1 + g))``); none when growth is zero or negative and the peak is below it;
* ``headroom_pct = 100 − peak_utilization_pct``; cost grows like the metric: ``cost_n = cost × (1 + g) ** n``.

The cockpit's additions (optional): ``current_state.peak_utilization_query`` (PromQL giving the peak utilisation
in percent, read from Prometheus when one is configured), ``as_of`` (YYYY-MM, the month "now" is in) and
``checklist`` (the cadence and load-test items done, by name, with the date).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cockpit.domain.shapes import Checker, Issue, Path_, unwrap

BOTTLENECKS = ("cpu", "memory", "storage", "connections", "bandwidth")
STRATEGIES = ("horizontal", "vertical", "hybrid")
MAX_GROWTH_PCT = 100.0  # a month; doubling every month is already a launch, not a forecast
MIN_GROWTH_PCT = -50.0
HORIZON_MONTHS = 120  # the threshold month is looked for within ten years

CADENCE = (
    ("daily", "Review auto-scaling events, check for anomalies"),
    ("weekly", "Review utilization trends, spot-check headroom"),
    ("monthly", "Update growth model, review cost projections"),
    ("quarterly", "Full capacity review, budget planning, architecture check"),
    ("pre-launch", "Load test to 2x expected peak, verify scaling"),
)
LOAD_TESTS = (
    ("baseline", "Steady load at current peak", "30 min", "Establish metrics"),
    ("growth", "2x current peak", "15 min", "Verify scaling works"),
    ("spike", "10x normal in 60 seconds", "5 min", "Circuit breakers hold"),
    ("soak", "1.5x normal load", "4 hours", "No memory leaks, degradation"),
    ("stress", "Ramp until failure", "Until break", "Find actual limits"),
)
CHECKLIST_NAMES = tuple(f"cadence.{n}" for n, _ in CADENCE) + tuple(f"load_test.{n}" for n, *_ in LOAD_TESTS)

TOP_KEYS = {"service", "bottleneck_resource", "current_state", "growth_forecast", "scaling_strategy",
            "cost_projection", "as_of", "checklist"}
STATE_KEYS = {"peak_utilization_pct", "headroom_pct", "cost_per_month_usd", "peak_utilization_query"}
GROWTH_KEYS = {"metric", "current", "monthly_growth_pct", "projected_6mo", "projected_12mo"}
SCALING_KEYS = {"type", "auto_scaling", "min_instances", "max_instances", "scale_up_threshold",
                "scale_down_threshold", "cooldown_seconds"}
COST_KEYS = {"current_monthly", "projected_6mo_monthly", "projected_12mo_monthly"}


@dataclass(frozen=True)
class CapacityModel:
    service: str
    bottleneck: str
    peak_pct: float
    growth_pct: float
    metric: str = ""
    current: float = 0.0
    cost: float = 0.0
    scale_up: float = 80.0
    scale_down: float = 30.0
    strategy: str = ""
    auto_scaling: bool = True
    min_instances: int = 0
    max_instances: int = 0
    peak_query: str = ""
    as_of: date | None = None
    checklist: dict[str, str] = field(default_factory=dict)  # item → when it was last done


def grow(value: float, growth_pct: float, months: int) -> float:
    """Compound monthly growth: ``value × (1 + growth_pct / 100) ** months``."""
    return value * (1 + growth_pct / 100) ** months


def threshold_month(peak_pct: float, growth_pct: float, threshold_pct: float,
                    horizon: int = HORIZON_MONTHS) -> int | None:
    """The first whole month n ≥ 0 in which ``peak × (1 + g) ** n`` reaches the threshold; None when it does
    not within ``horizon`` months (or never: no growth)."""
    if peak_pct >= threshold_pct:
        return 0
    if growth_pct <= 0 or peak_pct <= 0:
        return None
    months = math.ceil(math.log(threshold_pct / peak_pct) / math.log(1 + growth_pct / 100) - 1e-12)
    while months > 0 and grow(peak_pct, growth_pct, months - 1) >= threshold_pct:  # float edge
        months -= 1
    while grow(peak_pct, growth_pct, months) < threshold_pct:
        months += 1
    return months if months <= horizon else None


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Projection:
    service: str
    headroom_pct: float
    projected_6mo: float
    projected_12mo: float
    utilization_6mo: float
    utilization_12mo: float
    cost_6mo: float
    cost_12mo: float
    threshold_month: int | None
    threshold_date: date | None

    def runway(self) -> str:
        if self.threshold_month is None:
            return "does not reach the scale-up threshold within ten years at this growth"
        if self.threshold_month == 0:
            return "is at or above the scale-up threshold now: scale up"
        when = f" ({self.threshold_date:%Y-%m})" if self.threshold_date else ""
        return f"crosses the scale-up threshold in month {self.threshold_month}{when}"


def project(model: CapacityModel, peak_pct: float | None = None, today: date | None = None) -> Projection:
    """The model's projections; ``peak_pct`` (read from Prometheus) replaces the file's peak when given."""
    peak = model.peak_pct if peak_pct is None else peak_pct
    g = model.growth_pct
    month = threshold_month(peak, g, model.scale_up)
    start = model.as_of or (date(today.year, today.month, 1) if today else None)
    return Projection(
        service=model.service, headroom_pct=100 - peak,
        projected_6mo=grow(model.current, g, 6), projected_12mo=grow(model.current, g, 12),
        utilization_6mo=grow(peak, g, 6), utilization_12mo=grow(peak, g, 12),
        cost_6mo=grow(model.cost, g, 6), cost_12mo=grow(model.cost, g, 12),
        threshold_month=month, threshold_date=add_months(start, month) if start and month is not None else None)


def checklist(model: CapacityModel) -> list[dict[str, str]]:
    """The cadence and the load tests, each with when it was last done (from the file) or ''."""
    rows = [{"item": f"cadence.{name}", "what": what, "done": model.checklist.get(f"cadence.{name}", "")}
            for name, what in CADENCE]
    rows += [{"item": f"load_test.{name}", "what": f"{method} for {duration}: {target}",
              "done": model.checklist.get(f"load_test.{name}", "")} for name, method, duration, target in LOAD_TESTS]
    return rows


# --- validation ----------------------------------------------------------------------------
def _close(given: object, actual: float) -> bool:
    if isinstance(given, bool) or not isinstance(given, (int, float)):
        return False
    return abs(float(given) - actual) <= max(0.5, abs(actual) * 0.005)


def validate(data: object) -> tuple[CapacityModel | None, list[Issue]]:
    """A capacity model in the seed's shape; every problem with its field path."""
    if data is None:
        return None, [((), "the file is empty; see sample_data/capacity/ for the shape")]
    check = Checker()
    inner, wrap = unwrap(data, "capacity_model")
    base: Path_ = wrap
    body = check.mapping(inner, base, "a capacity model")
    if body is None:
        return None, check.issues
    check.keys(body, base, TOP_KEYS, ("service", "current_state", "growth_forecast"))
    service = check.name(body, "service", base)
    bottleneck = check.choice({k: (v.lower() if isinstance(v, str) else v) for k, v in body.items()},
                              "bottleneck_resource", base, BOTTLENECKS)
    peak = growth = None
    current = cost = 0.0
    metric = query = ""
    state_path = (*base, "current_state")
    state = check.mapping(body.get("current_state"), state_path, "the current state") \
        if "current_state" in body else None
    if state is not None:
        check.keys(state, state_path, STATE_KEYS, ("peak_utilization_pct",))
        peak = check.number(state, "peak_utilization_pct", state_path, low=0, high=100,
                            what="peak utilisation (%)")
        cost = check.number(state, "cost_per_month_usd", state_path, low=0, what="cost a month (USD)") or 0.0
        query = check.text(state, "peak_utilization_query", state_path)
        if query and len(query) > 2000:
            check.add((*state_path, "peak_utilization_query"), "is longer than 2000 characters")
            query = ""
        if peak is not None and "headroom_pct" in state and not _close(state["headroom_pct"], 100 - peak):
            check.add((*state_path, "headroom_pct"), f"is {100 - peak:g} (100 − peak utilisation); leave it out or "
                                                     "fix it")
    growth_path = (*base, "growth_forecast")
    forecast = check.mapping(body.get("growth_forecast"), growth_path, "the growth forecast") \
        if "growth_forecast" in body else None
    if forecast is not None:
        check.keys(forecast, growth_path, GROWTH_KEYS, ("monthly_growth_pct",))
        metric = check.text(forecast, "metric", growth_path)
        current = check.number(forecast, "current", growth_path, low=0, what="current value") or 0.0
        growth = check.number(forecast, "monthly_growth_pct", growth_path, low=MIN_GROWTH_PCT, high=MAX_GROWTH_PCT,
                              what="monthly growth (%)")
        if growth is not None:
            for key, months in (("projected_6mo", 6), ("projected_12mo", 12)):
                if key in forecast and not _close(forecast[key], grow(current, growth, months)):
                    check.add((*growth_path, key), f"is {grow(current, growth, months):,.1f} ({current:g} growing "
                                                   f"{growth:g} % a month for {months} months); leave it out or fix it")
    scale_up, scale_down, strategy, auto, low_n, high_n = 80.0, 30.0, "", True, 0, 0
    if "scaling_strategy" in body:
        spath = (*base, "scaling_strategy")
        scaling = check.mapping(body["scaling_strategy"], spath, "the scaling strategy")
        if scaling is not None:
            check.keys(scaling, spath, SCALING_KEYS)
            strategy = check.choice(scaling, "type", spath, STRATEGIES)
            raw_auto = scaling.get("auto_scaling", True)
            if not isinstance(raw_auto, bool):
                check.add((*spath, "auto_scaling"), "must be true or false")
            auto = raw_auto is not False
            up = check.number(scaling, "scale_up_threshold", spath, low=0, low_open=True, high=100,
                              what="scale-up threshold (% utilisation)")
            down = check.number(scaling, "scale_down_threshold", spath, low=0, high=100,
                                what="scale-down threshold (% utilisation)")
            scale_up = up if up is not None else scale_up
            scale_down = down if down is not None else scale_down
            if up is not None and scale_down >= up:
                check.add((*spath, "scale_down_threshold"), f"{scale_down:g} must be below the scale-up threshold "
                                                            f"({up:g}), or the service flaps")
            low_n = int(check.number(scaling, "min_instances", spath, low=0, whole=True, high=100_000) or 0)
            high_n = int(check.number(scaling, "max_instances", spath, low=0, whole=True, high=100_000) or 0)
            if high_n and low_n > high_n:
                check.add((*spath, "min_instances"), f"{low_n} is above max_instances ({high_n})")
            check.number(scaling, "cooldown_seconds", spath, low=0, high=86_400, whole=True)
    if "cost_projection" in body:
        cpath = (*base, "cost_projection")
        costs = check.mapping(body["cost_projection"], cpath, "the cost projection")
        if costs is not None:
            check.keys(costs, cpath, COST_KEYS)
            current_cost = check.number(costs, "current_monthly", cpath, low=0, what="current monthly cost")
            if current_cost is not None and state is not None and "cost_per_month_usd" in state \
                    and not _close(current_cost, cost):
                check.add((*cpath, "current_monthly"), f"differs from current_state.cost_per_month_usd ({cost:g})")
            if growth is not None:
                for key, months in (("projected_6mo_monthly", 6), ("projected_12mo_monthly", 12)):
                    if key in costs and not _close(costs[key], grow(cost, growth, months)):
                        check.add((*cpath, key), f"is {grow(cost, growth, months):,.0f} ({cost:g} growing {growth:g} % "
                                                 f"a month for {months} months); leave it out or fix it")
    as_of = None
    if "as_of" in body:
        raw = body["as_of"]
        text = raw.strftime("%Y-%m") if isinstance(raw, date) else str(raw)
        try:
            year, month = text.split("-")[:2]
            as_of = date(int(year), int(month), 1) if year.isascii() and month.isascii() else None
        except ValueError:
            as_of = None
        if as_of is None:
            check.add((*base, "as_of"), f"'{text}' is not a month: write YYYY-MM, such as 2026-11")
    done: dict[str, str] = {}
    if "checklist" in body:
        kpath = (*base, "checklist")
        raw_list = check.mapping(body["checklist"], kpath, "the checklist (item: date last done)")
        for key, value in (raw_list or {}).items():
            if key not in CHECKLIST_NAMES:
                check.add((*kpath, str(key)), f"'{key}' is not a checklist item (known: {', '.join(CHECKLIST_NAMES)})")
                continue
            done[str(key)] = str(value)
    if check.issues or not service or peak is None or growth is None:
        return None, check.issues
    return CapacityModel(service=service, bottleneck=bottleneck, peak_pct=peak, growth_pct=growth, metric=metric,
                         current=current, cost=cost, scale_up=scale_up, scale_down=scale_down, strategy=strategy,
                         auto_scaling=auto, min_instances=low_n, max_instances=high_n, peak_query=query,
                         as_of=as_of, checklist=done), []


def report(model: CapacityModel, projection: Projection, peak_source: str = "file") -> dict[str, Any]:
    return {
        "service": model.service, "bottleneck_resource": model.bottleneck,
        "peak_utilization_pct": round(100 - projection.headroom_pct, 2), "peak_from": peak_source,
        "headroom_pct": round(projection.headroom_pct, 2), "monthly_growth_pct": model.growth_pct,
        "growth_metric": model.metric, "current": model.current,
        "projected_6mo": round(projection.projected_6mo, 2), "projected_12mo": round(projection.projected_12mo, 2),
        "utilization_6mo_pct": round(projection.utilization_6mo, 2),
        "utilization_12mo_pct": round(projection.utilization_12mo, 2),
        "scale_up_threshold": model.scale_up, "threshold_month": projection.threshold_month,
        "threshold_date": f"{projection.threshold_date:%Y-%m}" if projection.threshold_date else None,
        "runway": projection.runway(),
        "cost_projection": {"current_monthly": model.cost, "projected_6mo_monthly": round(projection.cost_6mo, 2),
                            "projected_12mo_monthly": round(projection.cost_12mo, 2)},
        "checklist": checklist(model),
    }
