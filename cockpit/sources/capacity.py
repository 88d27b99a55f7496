"""A capacity model's current peak utilisation, read from Prometheus (``peak_utilization_query``)."""

from __future__ import annotations

from datetime import datetime

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
