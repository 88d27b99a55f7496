"""A capacity model's current peak utilisation, read from Prometheus (``peak_utilization_query``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cockpit.domain import capacity
from cockpit.domain.capacity import CapacityModel
from cockpit.sources.prometheus import PrometheusSource, SourceError


def peak_utilization(source: PrometheusSource, query: str, at: datetime) -> tuple[float | None, str]:
    """The query's value at ``at`` as a percentage 0-100, or None and why not (one sentence)."""
    try:
        values = source.instant(query, at)
    except SourceError as exc:
        return None, str(exc)
    if not values:
        return None, "the peak utilisation query returned no data."
    value = next(iter(values.values()))
    if isinstance(value, str):
        return None, f"the peak utilisation query gave {value}, not a number."
    if not 0 <= value <= 100:
        return None, f"the peak utilisation query gave {value:.4g}, not a percentage from 0 to 100."
    return value, ""


def reports(models: Sequence[CapacityModel], at: datetime, use_prometheus: bool = True,
            source: PrometheusSource | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Each model's report; with a Prometheus (the one given, else the configured one) a model's
    ``peak_utilization_query`` gives its current peak, else the file's peak is used and the reason noted."""
    from cockpit.sources.refresh import configured_source

    notes: list[str] = []
    owned = source is None and use_prometheus and any(m.peak_query for m in models)
    if owned:
        source = configured_source()
    out = []
    try:
        for model in models:
            peak, origin = None, "file"
            if use_prometheus and source is not None and model.peak_query:
                peak, problem = peak_utilization(source, model.peak_query, at)
                if peak is None:
                    notes.append(f"{model.service}: {problem} Using the peak in the file.")
                else:
                    origin = "Prometheus"
            out.append(capacity.report(model, capacity.project(model, peak, at.date()), origin))
    finally:
        if owned and source is not None:
            source.close()
    return out, notes
