"""PromQL for SLOs: the queries the cockpit asks Prometheus, and the recording and alerting rules it writes.

Pure text building. A selector ``metric{...}`` becomes ``sum(increase(metric{...}[W]))``; an expression that holds
``$window`` gets the range put in its place. Bad events are given, or total − good. A time-slice SLI counts
slices: a slice is good when its share of good events reaches the threshold; slices without traffic count for
neither side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cockpit.domain.slo import alert_windows, error_budget, format_duration
from cockpit.domain.slo_spec import WINDOW_PLACEHOLDER, Measure, SloDefinition

#: How long a burn-rate condition holds before its alert fires (the multi-window pair already smooths; this only
#: keeps a single odd evaluation from paging).
ALERT_FOR = "2m"

#: The label the cockpit's batched queries put on each part of the answer.
PART_LABEL = "cockpit_q"


def _events(query: str, window: timedelta) -> str:
    dur = format_duration(window)
    if WINDOW_PLACEHOLDER in query:
        return f"sum({query.replace(WINDOW_PLACEHOLDER, dur)})"
    return f"sum(increase({query}[{dur}]))"


def _good_events(measure: Measure, window: timedelta) -> str:
    if measure.good:
        return _events(measure.good, window)
    return f"({_events(measure.total, window)} - {_events(measure.bad, window)})"


def bad_expr(measure: Measure, window: timedelta) -> str:
    """Bad events (or bad slices) over ``window``."""
    if measure.slice is not None:
        return f"({total_expr(measure, window)} - {_good_slices(measure, window)})"
    if measure.bad:
        return _events(measure.bad, window)
    return f"({_events(measure.total, window)} - {_events(measure.good, window)})"


def total_expr(measure: Measure, window: timedelta) -> str:
    """All events (or slices with traffic) over ``window``."""
    if measure.slice is not None:
        s = measure.slice
        return f"count_over_time(({_events(measure.total, s)} > 0)[{format_duration(window)}:{format_duration(s)}])"
    return _events(measure.total, window)


def _good_slices(measure: Measure, window: timedelta) -> str:
    assert measure.slice is not None
    s = measure.slice
    ratio = f"{_good_events(measure, s)} / ({_events(measure.total, s)} > 0)"
    threshold = repr(measure.slice_threshold / 100)
    return f"sum_over_time(({ratio} >= bool {threshold})[{format_duration(window)}:{format_duration(s)}])"


def part(name: str, expr: str) -> str:
    return f'label_replace({expr}, "{PART_LABEL}", "{name}", "", "")'


def batch(parts: Sequence[tuple[str, str]]) -> str:
    """Several expressions in one query; each answer comes back labelled with its name."""
    return " or ".join(part(name, expr) for name, expr in parts)


def window_parts(slo: SloDefinition, windows: Sequence[timedelta]) -> list[tuple[str, str]]:
    assert slo.measure is not None
    parts = []
    for window in windows:
        dur = format_duration(window)
        parts.append((f"bad_{dur}", bad_expr(slo.measure, window)))
        parts.append((f"total_{dur}", total_expr(slo.measure, window)))
    return parts


def status_windows(slo: SloDefinition) -> list[timedelta]:
    """The SLO's window and every alert and dashboard window, once each."""
    return sorted({slo.window, *alert_windows(slo.alerts)})


def chart_step(window: timedelta) -> timedelta:
    """A step dividing both the window and a week, with at most 90 points across the window."""
    for hours in (1, 2, 3, 4, 6, 8, 12, 24):
        step = timedelta(hours=hours)
        if window % step == timedelta(0) and timedelta(days=7) % step == timedelta(0) and window / step <= 90:
            return step
    return timedelta(days=1)


# --- rules ---------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", text)


def _threshold(factor: float, target: float) -> str:
    # A hair below factor × budget: an exact 14.4× burn computes as 14.399999999999999 in floats, and must fire.
    return repr(round(factor * error_budget(target) * (1 - 1e-9), 15))


def rule_groups(slos: Sequence[SloDefinition], runbook_base: str = "") -> dict[str, Any]:
    """Prometheus rule groups: per SLO, error-ratio recording rules for each alert window, and one alert per
    multi-window burn-rate alert, annotated with its runbook (the seed: every alert has a runbook link)."""
    groups = []
    for slo in slos:
        assert slo.measure is not None
        labels = {"service": slo.service, "slo": slo.sli}
        selector = f'{{service="{slo.service}",slo="{slo.sli}"}}'
        rules: list[dict[str, Any]] = []
        windows = sorted({w for a in slo.alerts for w in (a.short_window, a.long_window)})
        for window in windows:
            dur = format_duration(window)
            rules.append({"record": f"slo:sli_error:ratio_rate{dur}",
                          "expr": f"{bad_expr(slo.measure, window)} / {total_expr(slo.measure, window)}",
                          "labels": dict(labels)})
        runbook = slo.runbook
        if runbook and "://" not in runbook and runbook_base:
            runbook = runbook_base.rstrip("/") + "/" + runbook
        for alert in slo.alerts:
            short, long = format_duration(alert.short_window), format_duration(alert.long_window)
            threshold = _threshold(alert.factor, slo.target)
            rules.append({
                "alert": f"SLOBurnRate_{_slug(slo.service)}_{_slug(slo.sli)}_{_slug(alert.name)}",
                "expr": (f"slo:sli_error:ratio_rate{short}{selector} >= {threshold}\n"
                         f"and\nslo:sli_error:ratio_rate{long}{selector} >= {threshold}"),
                # the seed's alert design rules (`cockpit alerts lint`): a `for:`, so one odd evaluation never pages
                "for": ALERT_FOR,
                "labels": {**labels, "severity": alert.severity, "burn_rate_alert": alert.name},
                "annotations": {
                    "summary": (f"{slo.service} {slo.sli}: error budget burning at {alert.factor:g}x or faster "
                                f"over {short} and {long} (SLO {slo.target:g} % over "
                                f"{format_duration(slo.window)})"),
                    "runbook_url": runbook,
                },
            })
        groups.append({"name": f"slo-{_slug(slo.service)}-{_slug(slo.sli)}", "rules": rules})
    return {"groups": groups}
