"""Incident metrics: time to detect, acknowledge, mitigate, resolve; duration.

Definitions (the seed names the figures, not their start points, so the cockpit fixes them):

* time to detect      = detected (declared) − impact started (``started_at``; unknown when nobody said)
* time to acknowledge = first move out of DETECT (someone took it on) − detected
* time to mitigate    = entry into MITIGATE that held − detected
* time to resolve     = entry into RESOLVE − detected
* duration            = resolved − impact started, or the declaration when the start is unknown (still running:
                        now − impact started)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cockpit.domain.incident import IncidentSnapshot


@dataclass(frozen=True)
class IncidentMetrics:
    time_to_detect: timedelta | None
    time_to_acknowledge: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None
    duration: timedelta
    ongoing: bool

    def as_minutes(self) -> dict[str, float | None]:
        def minutes(value: timedelta | None) -> float | None:
            return None if value is None else round(value.total_seconds() / 60, 2)

        return {
            "time_to_detect_minutes": minutes(self.time_to_detect),
            "time_to_acknowledge_minutes": minutes(self.time_to_acknowledge),
            "time_to_mitigate_minutes": minutes(self.time_to_mitigate),
            "time_to_resolve_minutes": minutes(self.time_to_resolve),
            "duration_minutes": minutes(self.duration),
        }


def _since(later: datetime | None, earlier: datetime) -> timedelta | None:
    return None if later is None else later - earlier


def compute_metrics(incident: IncidentSnapshot, now: datetime) -> IncidentMetrics:
    detected = incident.declared_at
    started = incident.started_at or detected
    end = incident.resolved_at
    return IncidentMetrics(
        time_to_detect=None if incident.started_at is None else detected - started,
        time_to_acknowledge=_since(incident.acknowledged_at, detected),
        time_to_mitigate=_since(incident.mitigated_at, detected),
        time_to_resolve=_since(incident.resolved_at, detected),
        duration=(end or now) - started,
        ongoing=end is None,
    )


def format_duration(delta: timedelta) -> str:
    """The seed's "X hours Y minutes" wording (minutes alone under an hour)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    hours_text = f"{hours} hour{'s' if hours != 1 else ''}"
    if hours and not minutes:
        return hours_text
    if hours:
        return f"{hours_text} {minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
