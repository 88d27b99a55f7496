"""The seed's "Monthly Reliability Report", for the fields the store can compute, and on-call health.

Off-hours: outside 09:00-18:00 UTC on a weekday, or any time on Saturday and Sunday.
Repeat incident: one that shares a service with an earlier incident of the same window and whose title is
similar (at least half of its words in common).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import mean

from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.metrics import IncidentMetrics
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput

#: The seed's "On-Call Health Metrics" thresholds: (healthy below, critical above).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "pages_per_shift": (2, 5),
    "off_hours_pages_per_week": (1, 3),
    "time_to_acknowledge_minutes": (5, 15),
    "time_to_mitigate_minutes": (30, 60),
    "false_positive_pct": (10, 30),
}


def health(metric: str, value: float | None) -> str:
    if value is None:
        return "no data"
    healthy_below, critical_above = THRESHOLDS[metric]
    if value < healthy_below:
        return "healthy"
    if value > critical_above:
        return "critical"
    return "warning"


@dataclass(frozen=True)
class PageRecord:
    at: datetime
    responder: str
    acknowledged_at: datetime | None = None
    false_positive: bool = False


@dataclass(frozen=True)
class ShiftRecord:
    responder: str
    position: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ActionRecord:
    status: str
    deadline: date | None
    done_at: datetime | None
    created_at: datetime


FIRST_YEAR, LAST_YEAR = 1970, 9998  # the calendar's edges (year 1, year 9999) leave no room for the weeks around


def month_window(text: str) -> tuple[datetime, datetime]:
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())  # ASCII digits: int() also reads "２０２６"
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(f"'{text}' is not a month: use YYYY-MM, for example 2026-11.")
    year, month = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"'{text}' is outside the months a report can cover: use YYYY-MM with a year from "
                           f"{FIRST_YEAR} to {LAST_YEAR}, for example 2026-11.")
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def off_hours(moment: datetime) -> bool:
    utc = moment.astimezone(UTC)
    return utc.weekday() >= 5 or not 9 <= utc.hour < 18


def _words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", title.lower()) if len(w) > 2}


def similar(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.5


def _avg(values: Sequence[float]) -> float | None:
    return round(mean(values), 1) if values else None


def monthly(
    period: str,
    incidents: Sequence[tuple[IncidentSnapshot, IncidentMetrics]],
    pages: Sequence[PageRecord],
    shifts: Sequence[ShiftRecord],
    actions: Sequence[ActionRecord],
    today: date,
    proposed: int = 0,
) -> dict[str, object]:
    """The report for ``period``; ``proposed`` counts action entries no action item was made from yet (they are
    open work too, only not accepted in a postmortem)."""
    start, end = month_window(period)
    inside = sorted(((s, m) for s, m in incidents if start <= s.declared_at < end), key=lambda p: p[0].declared_at)
    by_severity = {sev.label: 0 for sev in Severity}
    for snap, _ in inside:
        by_severity[snap.severity.label] += 1
    repeats = 0
    for i, (snap, _) in enumerate(inside):
        if any(set(snap.services) & set(prev.services) and similar(snap.title, prev.title) for prev, _ in inside[:i]):
            repeats += 1
    ttr = [m.time_to_resolve.total_seconds() / 60 for _, m in inside if m.time_to_resolve is not None]
    ttd = [m.time_to_detect.total_seconds() / 60 for _, m in inside if m.time_to_detect is not None]
    ttm = [m.time_to_mitigate.total_seconds() / 60 for _, m in inside if m.time_to_mitigate is not None]

    month_pages = [p for p in pages if start <= p.at < end]
    acks = [(p.acknowledged_at - p.at).total_seconds() / 60 for p in month_pages if p.acknowledged_at]
    primary = [s for s in shifts if s.position == "primary" and s.starts_at < end and s.ends_at > start]
    weeks = (end - start) / timedelta(weeks=1)
    off = sum(1 for p in month_pages if off_hours(p.at))
    false_pct = round(100 * sum(p.false_positive for p in month_pages) / len(month_pages), 1) if month_pages else None
    per_shift = round(len(month_pages) / len(primary), 2) if primary else None
    on_call = {
        "total_pages": len(month_pages),
        "off_hours_pages": off,
        "false_positive_pct": false_pct,
        "avg_ack_time_min": _avg(acks),
        "pages_per_shift": per_shift,
        "off_hours_pages_per_week": round(off / weeks, 2),
        "time_to_mitigate_min": _avg(ttm),
    }
    on_call_health = {
        "pages_per_shift": health("pages_per_shift", per_shift),
        "off_hours_pages_per_week": health("off_hours_pages_per_week", round(off / weeks, 2)),
        "time_to_acknowledge": health("time_to_acknowledge_minutes", _avg(acks)),
        "time_to_mitigate": health("time_to_mitigate_minutes", _avg(ttm)),
        "false_positive_rate": health("false_positive_pct", false_pct),
    }
    completed = sum(1 for a in actions if a.status == "done" and a.done_at and start <= a.done_at < end)
    overdue = sum(1 for a in actions if a.status != "done" and a.deadline and a.deadline < today)
    return {"monthly_report": {
        "period": period,
        "incidents": {"total": len(inside), "by_severity": by_severity, "mttr_minutes": _avg(ttr),
                      "mttd_minutes": _avg(ttd), "repeat_incidents": repeats},
        "on_call": on_call,
        "on_call_health": on_call_health,
        "action_items": {"open": sum(1 for a in actions if a.status != "done"), "proposed": proposed,
                         "completed_this_month": completed, "overdue": overdue},
        "weekly_incidents": weekly_counts(inside, start, end),
    }}


def weekly_counts(inside: Sequence[tuple[IncidentSnapshot, IncidentMetrics]], start: datetime,
                  end: datetime) -> list[dict[str, object]]:
    """Incidents per week (Monday-based weeks overlapping the month) by severity, for the chart."""
    week_start = start - timedelta(days=start.weekday())
    weeks = []
    while week_start < end:
        week_end = week_start + timedelta(days=7)
        counts = {sev.label: 0 for sev in Severity}
        for snap, _ in inside:
            if week_start <= snap.declared_at < week_end:
                counts[snap.severity.label] += 1
        weeks.append({"week_of": f"{week_start:%Y-%m-%d}", **counts})
        week_start = week_end
    return weeks


def _v(value: object, unit: str = "") -> str:
    return "no data" if value is None else f"{value}{unit}"


def to_markdown(report: dict[str, object]) -> str:
    data = report["monthly_report"]
    assert isinstance(data, dict)
    inc, oc, hl, ai = data["incidents"], data["on_call"], data["on_call_health"], data["action_items"]
    lines = [f"# Monthly Reliability Report: {data['period']}", "", "## Incidents",
             f"- Total: {inc['total']} ({', '.join(f'{k} {v}' for k, v in inc['by_severity'].items())})",
             f"- MTTD: {_v(inc['mttd_minutes'], ' min')} · MTTR: {_v(inc['mttr_minutes'], ' min')}",
             f"- Repeat incidents: {inc['repeat_incidents']}", "", "## On-call health", "",
             "| Metric | Value | Status |", "|---|---|---|",
             f"| Pages per shift | {_v(oc['pages_per_shift'])} | {hl['pages_per_shift']} |",
             f"| Off-hours pages per week | {_v(oc['off_hours_pages_per_week'])} | "
             f"{hl['off_hours_pages_per_week']} |",
             f"| Time to acknowledge (avg, min) | {_v(oc['avg_ack_time_min'])} | {hl['time_to_acknowledge']} |",
             f"| Time to mitigate (avg, min) | {_v(oc['time_to_mitigate_min'])} | {hl['time_to_mitigate']} |",
             f"| False positive rate (%) | {_v(oc['false_positive_pct'])} | {hl['false_positive_rate']} |",
             "", f"Pages: {oc['total_pages']} ({oc['off_hours_pages']} off-hours)", "", "## Action items",
             f"- Open: {ai['open']} · proposed, not yet accepted: {ai.get('proposed', 0)} · completed this month: "
             f"{ai['completed_this_month']} · overdue: {ai['overdue']}",
             "", "## Incidents per week", "", "| Week of | SEV1 | SEV2 | SEV3 | SEV4 |", "|---|---|---|---|---|"]
    for week in data["weekly_incidents"]:
        lines.append(f"| {week['week_of']} | {week['SEV1']} | {week['SEV2']} | {week['SEV3']} | {week['SEV4']} |")
    if data.get("slo_summary") and data.get("error_budget"):
        slo, eb = data["slo_summary"], data["error_budget"]
        lines += ["", f"## SLOs (latest figures, as of {slo['as_of']})",
                  f"- Services meeting their SLOs: {slo['services_meeting_slo']} · breaching: "
                  f"{slo['services_breaching_slo']}",
                  f"- Worst performing: {slo['worst_performing']}",
                  f"- Error budget: {eb['services_in_healthy']} healthy, {eb['services_in_warning']} warning, "
                  f"{eb['services_in_critical']} critical, {eb['services_exhausted']} exhausted"]
    return "\n".join(lines) + "\n"
