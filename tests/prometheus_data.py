"""Series of known ratios for the SLO tests, and the raw samples to compute expected values from, independently
of the cockpit and of Prometheus. Plus the sample shop's data set, shifted like the TUI tests' sample incidents.

Every test series has one sample a minute, ending at ``T0``; counters are whole numbers, so Prometheus's
``increase`` over a window that starts and ends on a sample is exactly the sum of the raw increments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cockpit.sources import demo
from cockpit.sources.local_prometheus import Family, create_blocks, write_openmetrics

T0 = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)
HISTORY = timedelta(days=15)  # a 7-day window, plus a week for the chart
STEP = 60
TEST_METRIC = "cockpit_test_requests_total"
NAN_METRIC = "cockpit_test_nan_requests"
#: The TUI tests' clock; the sample data is shifted so its "now" lands there, like the sample incidents.
TUI_NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


@dataclass
class Raw:
    """Per-minute increments (index i is the minute ending at start + (i + 1) minutes)."""

    total: list[int] = field(default_factory=list)
    bad: list[int] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return T0 - timedelta(minutes=len(self.total))

    def window(self, end: datetime, window: timedelta) -> tuple[int, int]:
        """(bad, total) events in (end − window, end], summed from the raw increments."""
        last = int((end - self.start).total_seconds() // 60)
        first = last - int(window.total_seconds() // 60)
        return sum(self.bad[max(0, first):last]), sum(self.total[max(0, first):last])

    def slices(self, end: datetime, window: timedelta, threshold: float) -> tuple[int, int]:
        """(bad slices, slices with traffic) of one minute each, for slice ends end − k min, k = 0..window/1m
        (Prometheus's subquery includes both ends of its range)."""
        last = int((end - self.start).total_seconds() // 60)
        bad = counted = 0
        for index in range(last - int(window.total_seconds() // 60) - 1, last):
            if index < 0 or self.total[index] == 0:
                continue
            counted += 1
            if (self.total[index] - self.bad[index]) / self.total[index] < threshold / 100:
                bad += 1
        return bad, counted


def _known() -> dict[str, Raw]:
    minutes = int(HISTORY.total_seconds() // 60)
    series: dict[str, Raw] = {}
    # steady 0.5 % errors: burn 5 on every window against 99.9 %
    series["t-steady"] = Raw([1000] * minutes, [5] * minutes)
    # a calm service with a spike of 2 % errors over the last 50 minutes
    calm = Raw([10_000] * minutes, [1] * minutes)
    for i in range(minutes - 50, minutes):
        calm.bad[i] = 200
    series["t-fast"] = calm
    # traffic that changes by the hour: busy hours nearly clean, quiet hours 10 % errors (an average of ratios
    # would say ~5 %, the traffic-weighted ratio is ~0.01 %)
    varying = Raw()
    for i in range(minutes):
        hour = (i // 60) % 2
        varying.total.append(100_000 if hour == 0 else 100)
        varying.bad.append(1 if hour == 0 else 10)
    series["t-traffic"] = varying
    # time slices: normally 99.5 % good, every 97th minute only 95 % good
    sliced = Raw()
    for i in range(minutes):
        sliced.total.append(1000)
        sliced.bad.append(50 if i % 97 == 0 else 5)
    series["t-slices"] = sliced
    # through a $window expression
    series["t-expr"] = Raw([2000] * minutes, [3 if i % 10 else 40 for i in range(minutes)])
    return series


KNOWN = _known()


def _points(increments: list[int], start: datetime) -> list[tuple[int, float]]:
    value, points = 0, [(int(start.timestamp()), 0.0)]
    for i, step in enumerate(increments):
        value += step
        points.append((int(start.timestamp()) + (i + 1) * STEP, float(value)))
    return points


def families() -> list[Family]:
    rows: list[tuple[dict[str, str], list[tuple[int, float]]]] = []
    for service, raw in KNOWN.items():
        good = [t - b for t, b in zip(raw.total, raw.bad, strict=True)]
        rows.append(({"service": service, "code": "200"}, _points(good, raw.start)))
        rows.append(({"service": service, "code": "500"}, _points(raw.bad, raw.start)))
    # a counter with NaN in its last hour: increase() over it is NaN
    steady = KNOWN["t-steady"]
    nan_points = [(t, float("nan") if t > int((T0 - timedelta(hours=1)).timestamp()) else v)
                  for t, v in _points(steady.total, steady.start)]
    return [Family(TEST_METRIC, rows), Family(NAN_METRIC, [({"service": "t-nan"}, nan_points)], kind="gauge")]


SLO_FILE = '''\
service: SERVICE
slis:
  - sli:
      name: availability
      prometheus:
        QUERIES
slos:
  - slo:
      sli: availability
      target: 99.9
      window: 7d
      runbook: https://runbooks.example.com/SERVICE
'''


def slo_file(service: str, queries: str) -> str:
    return SLO_FILE.replace("SERVICE", service).replace("QUERIES", queries.replace("\n", "\n        "))


def known_library(folder: Path) -> Path:
    """SLO files for the known series (and a broken one, and one with no data)."""
    folder.mkdir(parents=True, exist_ok=True)
    m = TEST_METRIC
    files = {
        "t-steady": f"bad: '{m}{{service=\"t-steady\",code=\"500\"}}'\ntotal: '{m}{{service=\"t-steady\"}}'",
        "t-fast": f"good: '{m}{{service=\"t-fast\",code=\"200\"}}'\ntotal: '{m}{{service=\"t-fast\"}}'",
        "t-traffic": f"bad: '{m}{{service=\"t-traffic\",code=\"500\"}}'\ntotal: '{m}{{service=\"t-traffic\"}}'",
        "t-slices": (f"good: '{m}{{service=\"t-slices\",code=\"200\"}}'\ntotal: '{m}{{service=\"t-slices\"}}'\n"
                     "timeslice: {slice: 1m, threshold: 99}"),
        "t-expr": (f"bad: 'sum(increase({m}{{service=\"t-expr\",code=\"500\"}}[$window]))'\n"
                   f"total: 'sum(increase({m}{{service=\"t-expr\"}}[$window]))'"),
        "t-nan": f"bad: '{NAN_METRIC}{{service=\"t-nan\"}}'\ntotal: '{NAN_METRIC}{{service=\"t-nan\"}}'",
        "t-nodata": f"bad: '{m}{{service=\"t-nodata\",code=\"500\"}}'\ntotal: '{m}{{service=\"t-nodata\"}}'",
    }
    for service, queries in files.items():
        (folder / f"{service}.yaml").write_text(slo_file(service, queries), encoding="utf-8")
    return folder


def build(folder: Path) -> Path:
    """The test series and the sample shop's data (shifted to ``TUI_NOW``), backfilled into one storage path."""
    text = folder / "data.om"
    shift = TUI_NOW - demo.data_now()
    write_openmetrics(text, [*families(), *demo.families(demo.data_now(), shift)])
    storage = folder / "data"
    create_blocks(text, storage)
    text.unlink()
    return storage
