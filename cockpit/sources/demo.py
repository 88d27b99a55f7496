"""The sample shop's Prometheus data: request counters for the sample services over five weeks, in which each
sample incident shows as errors while it burned (from its impact start until mitigation held; a relapse burns
again), so the live SEV1 burns the checkout budget.

Traffic follows a day curve; errors are a small baseline plus each incident's share. Samples are every 5 minutes,
and every minute over the last four days and the two hours after the data's "now" (the demo keeps running).
``build(folder, now)`` writes the OpenMetrics text and backfills it with promtool; ``shift`` moves every time by
the same amount as the sample incidents (see ``cockpit.service.sample``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cockpit.resources import data_folder
from cockpit.sources.local_prometheus import Family, create_blocks, write_openmetrics
from cockpit.yamldoc import read_yaml

HISTORY = timedelta(days=38)
FINE = timedelta(days=4)
AHEAD = timedelta(hours=2)


@dataclass(frozen=True)
class ServiceProfile:
    per_minute: float  # mean requests per minute
    baseline_errors: float  # share of requests failing on a normal day
    slow: float  # share of requests slower than 500 ms on a normal day
    latency: bool = False  # export the latency histogram's two series


PROFILES: dict[str, ServiceProfile] = {
    "checkout-api": ServiceProfile(1800, 0.0001, 0.002, latency=True),
    "payment-gateway": ServiceProfile(420, 0.00005, 0.001),
    "api-gateway": ServiceProfile(6000, 0.0002, 0.001),
    "catalog-api": ServiceProfile(7000, 0.0008, 0.004, latency=True),
    "identity-api": ServiceProfile(3000, 0.000005, 0.001),
    "web-frontend": ServiceProfile(5000, 0.0015, 0.003),
    "notifications-service": ServiceProfile(900, 0.0005, 0.002),
}

#: How hard each sample incident failed its services' requests while it burned (file name → service → share).
INCIDENT_ERRORS: dict[str, dict[str, float]] = {
    "01-partners-tls-cert-expired": {"api-gateway": 0.08},
    "02-payment-gateway-429-rate-limited": {"payment-gateway": 0.06, "checkout-api": 0.012},
    "03-catalog-api-5xx-after-deploy": {"catalog-api": 0.04},
    "05-notifications-crash-loop": {"notifications-service": 0.2},
    "06-checkout-db-pool-exhausted": {"checkout-api": 0.15},
}
RELAPSE = 2.0  # a relapse burns harder than the first wave
MITIGATED = 0.05  # share of the burn left while mitigation is tried (or holds, with a tail)


@dataclass(frozen=True)
class Episode:
    service: str
    start: datetime
    end: datetime | None
    errors: float


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def episodes(directory: Path | None = None) -> list[Episode]:
    """The burning stretches of every sample incident, from its timeline's phases."""
    directory = directory or data_folder("sample_data")
    found = []
    for path in sorted((directory / "incidents").glob("*.yaml")):
        shares = INCIDENT_ERRORS.get(path.stem)
        doc, problems = read_yaml(path)
        if not shares or doc is None or problems:
            continue
        data = doc.data
        level, since = 1.0, _time(data.get("started_at") or data["declared_at"])
        stretches: list[tuple[datetime, datetime | None, float]] = []
        for event in data.get("timeline", []):
            phase = event.get("phase")
            if phase is None:
                continue
            at = _time(event["at"])
            if phase == "mitigate" and level >= 1.0:
                stretches.append((since, at, level))
                level, since = MITIGATED, at
            elif phase in ("detect", "triage", "respond") and level < 1.0:  # a relapse
                stretches.append((since, at, level))
                level, since = RELAPSE, at
            elif phase == "resolve":
                stretches.append((since, at, level))
                level, since = 0.0, at
        if level > 0:
            stretches.append((since, None, level))
        for service, share in shares.items():
            for start, end, factor in stretches:
                found.append(Episode(service, start, end, min(0.9, share * factor)))
    return found


def _day_curve(moment: datetime) -> float:
    hour = moment.hour + moment.minute / 60
    return 0.65 + 0.35 * math.sin(2 * math.pi * (hour - 8) / 24)


def _stamps(now: datetime) -> list[datetime]:
    start = (now - HISTORY).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 5)
    fine_from = now - FINE
    stamps, moment = [], start
    while moment <= now + AHEAD:
        stamps.append(moment)
        moment += timedelta(minutes=1 if moment >= fine_from else 5)
    return stamps


def families(now: datetime, shift: timedelta = timedelta(0), directory: Path | None = None) -> list[Family]:
    """The counters, with every time moved by ``shift``; ``now`` is the data's own (unshifted) present."""
    burns = episodes(directory)
    stamps = _stamps(now)
    requests: list[tuple[dict[str, str], list[tuple[int, float]]]] = []
    buckets: list[tuple[dict[str, str], list[tuple[int, float]]]] = []
    counts: list[tuple[dict[str, str], list[tuple[int, float]]]] = []
    for service, profile in PROFILES.items():
        ok = bad = fast = total = 0.0
        ok_points, bad_points, fast_points, total_points = [], [], [], []
        carry_bad = carry_fast = 0.0
        previous = stamps[0]
        own = [e for e in burns if e.service == service]
        for moment in stamps:
            minutes = (moment - previous).total_seconds() / 60 if moment != previous else 1.0
            previous = moment
            n = round(profile.per_minute * _day_curve(moment) * minutes)
            share = profile.baseline_errors + sum(e.errors for e in own if e.start <= moment and
                                                  (e.end is None or moment < e.end))
            share = min(share, 0.95)
            exact_bad = n * share + carry_bad
            failed = math.floor(exact_bad)
            carry_bad = exact_bad - failed
            exact_slow = n * min(0.95, profile.slow + share * 2) + carry_fast
            slow = math.floor(exact_slow)
            carry_fast = exact_slow - slow
            ok += n - failed
            bad += failed
            total += n
            fast += n - slow
            stamp = int((moment + shift).timestamp())
            ok_points.append((stamp, ok))
            bad_points.append((stamp, bad))
            fast_points.append((stamp, fast))
            total_points.append((stamp, total))
        requests.append(({"service": service, "code": "200"}, ok_points))
        requests.append(({"service": service, "code": "500"}, bad_points))
        if profile.latency:
            buckets.append(({"service": service, "le": "0.5"}, fast_points))
            buckets.append(({"service": service, "le": "+Inf"}, total_points))
            counts.append(({"service": service}, total_points))
    return [Family("http_requests_total", requests),
            Family("http_request_duration_seconds_bucket", buckets, kind="gauge"),
            Family("http_request_duration_seconds_count", counts, kind="gauge")]


def data_now(directory: Path | None = None) -> datetime:
    """The sample data's own present: two minutes after its newest incident event (as the demo loader has it)."""
    from cockpit.service.sample import DEMO_LEAD, latest_time

    return latest_time(directory or data_folder("sample_data")) + DEMO_LEAD


def build(folder: Path, shift: timedelta = timedelta(0), directory: Path | None = None) -> Path:
    """Write the sample data set's OpenMetrics text into ``folder`` and backfill it; returns the storage path."""
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "sample.om"
    write_openmetrics(text, families(data_now(directory), shift, directory))
    storage = folder / "data"
    create_blocks(text, storage)
    text.unlink()
    return storage
