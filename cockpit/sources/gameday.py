"""A Game Day's queries against Prometheus: the steady state over the 15-minute baseline (and again after the
fault, for recovery) and the abort conditions while the fault is on. Answers are read like every Prometheus
answer (``sources.prometheus``); a query that fails is reported, never taken as "all is well"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cockpit.domain import chaos
from cockpit.sources.prometheus import PrometheusSource, SourceError

STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class SteadyCheck:
    ok: bool | None  # None: not read at all (no Prometheus): the person checks by hand
    lines: tuple[str, ...]  # one per metric
    by_hand: tuple[str, ...] = ()  # metrics without a query: the person checks them

    def text(self) -> str:
        verdict = {True: "Steady state holds", False: "Steady state does NOT hold",
                   None: "Steady state not read"}[self.ok]
        hand = f"; checked by hand: {', '.join(self.by_hand)}" if self.by_hand else ""
        return f"{verdict}: " + "; ".join(self.lines) + hand if self.lines else f"{verdict}{hand}"


@dataclass(frozen=True)
class AbortTrip:
    condition: str
    value: str


def check_steady_state(source: PrometheusSource, experiment: chaos.Experiment, at: datetime,
                       span: timedelta = chaos.BASELINE) -> SteadyCheck:
    """Every steady-state metric with a query, read each minute over ``span`` up to ``at``."""
    lines, ok, by_hand = [], True, []
    for metric in experiment.metrics:
        if not metric.query or metric.range is None:
            by_hand.append(metric.name)
            continue
        try:
            series = source.range(metric.query, at - span, at, STEP)
        except SourceError as exc:
            ok = False
            lines.append(f"{metric.name}: {exc}")
            continue
        points = next(iter(series.values()), [])
        bad = [v for _, v in points if isinstance(v, str)]
        if bad:
            ok = False
            lines.append(f"{metric.name}: Prometheus gave {bad[0]}, not a number")
            continue
        holds, line = chaos.check_range(metric, [float(v) for _, v in points])
        ok = ok and holds
        lines.append(line)
    return SteadyCheck(ok, tuple(lines), tuple(by_hand))


def tripped(source: PrometheusSource, experiment: chaos.Experiment, at: datetime) -> tuple[list[AbortTrip], list[str]]:
    """The abort conditions with a query that hold at ``at`` (a condition holds when its query returns a
    series), and the ones that could not be read (one sentence each)."""
    trips, errors = [], []
    for condition in experiment.abort_conditions:
        if condition.by_hand:
            continue
        try:
            values = source.instant(condition.query, at)
        except SourceError as exc:
            errors.append(f"{condition.name}: {exc}")
            continue
        if values:
            value = next(iter(values.values()))
            trips.append(AbortTrip(condition.name, f"{value:.4g}" if isinstance(value, float) else str(value)))
    return trips, errors
