"""One refresh: every SLO of the library measured against Prometheus, and the results recorded by the signals
service. One bad SLO never stops the others; a server that is down is asked once, not once per SLO.

Per SLO two requests: an instant query batching (bad, total) over the SLO's window and every alert and dashboard
window, and a range query of (bad, total) per chart step across the window plus a week (for the burn-down chart,
the budget a week ago and the budget spent this week).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cockpit.domain import slo as slo_domain
from cockpit.domain import slo_rules as promql
from cockpit.domain.slo import SloEvaluation, format_duration
from cockpit.domain.slo_spec import SloDefinition
from cockpit.service.signals import BudgetNeed, Signals
from cockpit.service.slo_files import SloLibrary
from cockpit.sources.prometheus import PrometheusSource, QueryFailed, SourceDown, SourceError

WORKERS = 4
WEEK = timedelta(days=7)


@dataclass
class RefreshReport:
    read: int = 0
    failed: list[str] = field(default_factory=list)  # one sentence per SLO that could not be read
    source_error: str | None = None  # the server itself failed
    budgets: int = 0
    seconds: float = 0.0


def _pair(values: dict[str, float | str], slo: SloDefinition, window: timedelta) -> tuple[float, float] | None:
    dur = format_duration(window)
    bad, total = values.get(f"bad_{dur}"), values.get(f"total_{dur}")
    for what, value in (("bad events", bad), ("events", total)):
        if isinstance(value, str):
            raise QueryFailed(f"{slo.key}: Prometheus gave {value} for the {what} over {dur}; not a usable number.")
    if bad is None or total is None:
        return None
    assert isinstance(bad, float) and isinstance(total, float)
    if total < 0 or bad < -1e-9 * max(1.0, total) or bad > total * (1 + 1e-9) + 1e-9:
        raise QueryFailed(f"{slo.key}: Prometheus gave inconsistent counts over {dur} ({bad:g} bad of {total:g}).")
    return max(0.0, bad), total


def measure(source: PrometheusSource, slo: SloDefinition, at: datetime,
            previous_state: str | None) -> SloEvaluation:
    """Measure one SLO at ``at``."""
    if slo.measure is None:
        raise QueryFailed(f"{slo.key}: its SLI has no prometheus queries (good or bad, and total).")
    windows = promql.status_windows(slo)
    values = source.instant(promql.batch(promql.window_parts(slo, windows)), at)
    counts = {}
    for window in windows:
        pair = _pair(values, slo, window)
        if pair is not None:
            counts[window] = pair
    if slo.window not in counts:
        raise QueryFailed(f"{slo.key}: no data over its {format_duration(slo.window)} window at "
                          f"{at:%Y-%m-%d %H:%MZ}; check the SLI's selectors and the time.")
    burndown, week_ago, problems = _chart(source, slo, at)
    evaluation = slo_domain.evaluate(
        key=slo.key, service=slo.service, name=slo.sli, target=slo.target, window=slo.window, alerts=slo.alerts,
        policy=slo.policy, at=at, counts=counts, previous_state=previous_state, burndown_bad=burndown,
        week_ago=week_ago)
    if problems:
        from dataclasses import replace

        evaluation = replace(evaluation, problems=(*evaluation.problems, *problems))
    return evaluation


def _chart(source: PrometheusSource, slo: SloDefinition,
           at: datetime) -> tuple[list[float], tuple[float, float] | None, list[str]]:
    assert slo.measure is not None
    step = promql.chart_step(slo.window)
    steps, back = int(slo.window / step), int(WEEK / step)
    start = at - step * (steps + back - 1)
    query = promql.batch([("bad", promql.bad_expr(slo.measure, step)), ("total", promql.total_expr(slo.measure, step))])
    try:
        series = source.range(query, start, at, step)
    except QueryFailed as exc:
        return [], None, [f"no chart: {exc}"]
    bad = {t: v for t, v in series.get("bad", []) if isinstance(v, float)}
    total = {t: v for t, v in series.get("total", []) if isinstance(v, float)}
    stamps = [start + step * i for i in range(steps + back)]
    keys = [round(t.timestamp()) for t in stamps]
    chart = [max(0.0, bad.get(k, 0.0)) for k in keys[back:]]
    earlier = keys[:steps]  # the window that ended a week ago
    week_ago = (sum(bad.get(k, 0.0) for k in earlier), sum(total.get(k, 0.0) for k in earlier))
    return chart, (week_ago if week_ago[1] > 0 else None), []


def _incident_budget(source: PrometheusSource, signals: Signals, slo: SloDefinition, need: BudgetNeed,
                     at: datetime) -> None:
    assert slo.measure is not None
    m, w = slo.measure, slo.window
    declared = None
    if need.need_declared and need.declared_at <= at:
        values = source.instant(promql.batch([("bad", promql.bad_expr(m, w)), ("total", promql.total_expr(m, w))]),
                                need.declared_at)
        pair = _pair({f"bad_{format_duration(w)}": values.get("bad", 0.0),
                      f"total_{format_duration(w)}": values.get("total", 0.0)}, slo, w)
        if pair is not None:
            declared = slo_domain.remaining_budget(pair[0], pair[1], slo.target)
    end = min(need.end or at, at)
    span = timedelta(seconds=max(60, int((end - need.start).total_seconds())))
    values = source.instant(promql.batch([("bad", promql.bad_expr(m, w)), ("total", promql.total_expr(m, w)),
                                          ("incident", promql.bad_expr(m, span))]), end)
    bad, total, during = values.get("bad"), values.get("total"), values.get("incident")
    consumed = remaining = None
    if isinstance(total, float) and isinstance(during, float):
        consumed = slo_domain.consumed_between(max(0.0, during), total, slo.target)
    if isinstance(total, float) and isinstance(bad, float):
        remaining = slo_domain.remaining_budget(max(0.0, bad), total, slo.target)
    signals.record_incident_budget(need.incident_id, slo.key, declared_remaining=declared,
                                   resolved_remaining=remaining, consumed_pct=consumed, until=end,
                                   resolved=need.end is not None and remaining is not None)


def refresh(signals: Signals, library: SloLibrary, source: PrometheusSource, at: datetime | None = None,
            clock: Callable[[], datetime] | None = None, workers: int = WORKERS,
            slos: Sequence[SloDefinition] | None = None) -> RefreshReport:
    """Measure every SLO at ``at`` (default: now) and record what was learned, or why not."""
    started = time.perf_counter()
    now = (clock or (lambda: datetime.now(UTC)))()
    at = at or now
    report = RefreshReport()
    chosen = list(slos if slos is not None else library.slos)
    previous = signals.previous_states()
    down: list[str] = []
    lock = threading.Lock()

    def one(slo: SloDefinition) -> tuple[SloDefinition, SloEvaluation | str]:
        with lock:
            if down:
                return slo, down[0]
        try:
            return slo, measure(source, slo, at, previous.get(slo.key))
        except SourceDown as exc:
            with lock:
                down.append(str(exc))
            return slo, str(exc)
        except SourceError as exc:
            return slo, str(exc)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, chosen))
    read: list[SloEvaluation] = []
    failures: list[tuple[str, str, str]] = []
    for slo, result in results:
        if isinstance(result, SloEvaluation):
            read.append(result)
        else:
            failures.append((slo.key, slo.service, result))
            if not down:
                report.failed.append(result)
    signals.record_round(read, failures, now)
    report.read = len(read)
    report.source_error = down[0] if down else None
    if not down:
        report.budgets = _budgets(signals, library, source, chosen, at)
    report.seconds = time.perf_counter() - started
    return report


def _budgets(signals: Signals, library: SloLibrary, source: PrometheusSource, chosen: Sequence[SloDefinition],
             at: datetime) -> int:
    keys: dict[str, list[str]] = {}
    for slo in chosen:
        if slo.measure is not None:
            keys.setdefault(slo.service, []).append(slo.key)
    if not keys:
        return 0
    longest = max(s.window for s in chosen)
    done = 0
    for need in signals.budget_needs(keys, since=at - longest):
        found = library.find(need.slo_key)
        if found is None or need.start > at:
            continue
        try:
            _incident_budget(source, signals, found, need, at)
            done += 1
        except SourceDown:
            break
        except SourceError:
            continue
    return done


def configured_source() -> PrometheusSource | None:
    """The Prometheus of the settings (with its token), or None when none is configured."""
    from cockpit.sources.settings import load_settings, with_token

    settings = load_settings()
    return None if settings is None else PrometheusSource(with_token(settings))
