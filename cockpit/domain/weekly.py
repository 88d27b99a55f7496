"""The seed's "Weekly SRE Review (30 min)" agenda for one ISO week, and the complete "Monthly Reliability Report"
as Markdown (every section of the seed's ``monthly_report``; a section without a source says so).

Agenda: 1. SLO status (budget remaining per service, burn rate alerts this week); 2. incident review (count,
severity, duration; open postmortem action items); 3. on-call health (pages: total, off-hours, false positives);
4. reliability work (automation shipped, toil reduced, chaos experiments run, capacity concerns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cockpit.domain import report as rp
from cockpit.domain.discipline import orphan_gaps, orphan_text
from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.metrics import IncidentMetrics
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput

NOT_AVAILABLE = "not available"


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]


def week_window(text: str) -> tuple[datetime, datetime]:
    """Monday 00:00 UTC to the next Monday of an ISO week written ``YYYY-Www``."""
    match = re.fullmatch(r"([0-9]{4})-W([0-9]{2})", text.strip())  # ASCII digits: int() also reads "２０２６"
    if not match:
        raise InvalidInput(f"'{text}' is not a week: use YYYY-Www (an ISO week), for example 2026-W48.")
    year, week = int(match.group(1)), int(match.group(2))
    if not rp.FIRST_YEAR <= year <= rp.LAST_YEAR:
        raise InvalidInput(f"'{text}' is outside the weeks a review can cover: use a year from {rp.FIRST_YEAR} to "
                           f"{rp.LAST_YEAR}.")
    if not 1 <= week <= _weeks_in(year):
        raise InvalidInput(f"'{text}' is not a week: {year} has {_weeks_in(year)} ISO weeks; use YYYY-Www, "
                           f"for example {year}-W{min(48, _weeks_in(year)):02d}.")
    monday = date.fromisocalendar(year, week, 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class ActionView:
    key: str
    description: str
    owner: str
    deadline: date | None
    ticket: str
    status: str
    type: str = "prevent"
    incident_ref: str = ""
    done_at: datetime | None = None


@dataclass(frozen=True)
class IncidentView:
    snapshot: IncidentSnapshot
    metrics: IncidentMetrics
    postmortem: str | None = None  # written | missing | due after resolution | None (not required)


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def weekly(label: str, incidents: Sequence[IncidentView], slo_status: Sequence[Mapping[str, Any]] | None,
           actions: Sequence[ActionView], pages: Sequence[rp.PageRecord], shifts: Sequence[rp.ShiftRecord],
           today: date, alert_pages_per_week: float | None = None) -> dict[str, Any]:
    start, end = week_window(label)
    inside = sorted((i for i in incidents if start <= i.snapshot.declared_at < end),
                    key=lambda i: i.snapshot.declared_at)
    by_severity = {s.label: 0 for s in Severity}
    for item in inside:
        by_severity[item.snapshot.severity.label] += 1
    incident_items = [{"ref": i.snapshot.ref, "title": i.snapshot.title, "severity": i.snapshot.severity.label,
                       "duration_minutes": _minutes(i.metrics.duration), "ongoing": i.metrics.ongoing,
                       "postmortem": i.postmortem} for i in inside]
    missing = [i.snapshot.ref for i in incidents if i.postmortem == "missing"]

    open_items = [a for a in actions if a.status != "done"]
    action_rows = []
    for a in open_items:
        gaps = orphan_gaps(a.owner, a.deadline, a.ticket)
        action_rows.append({"id": a.key, "description": a.description, "owner": a.owner,
                            "deadline": a.deadline.isoformat() if a.deadline else None, "ticket": a.ticket,
                            "status": a.status, "incident": a.incident_ref or None,
                            "overdue": bool(a.deadline and a.deadline < today), "orphan": gaps})
    done = [a for a in actions if a.status == "done" and a.done_at and start <= a.done_at < end]

    week_pages = [p for p in pages if start <= p.at < end]
    primary = [s for s in shifts if s.position == "primary" and s.starts_at < end and s.ends_at > start]
    if primary or week_pages:
        on_call: dict[str, Any] = {
            "available": True, "pages": len(week_pages), "off_hours": sum(1 for p in week_pages if rp.off_hours(p.at)),
            "false_positives": sum(1 for p in week_pages if p.false_positive),
            "pages_per_shift": round(len(week_pages) / len(primary), 2) if primary else None,
            "alert_pages_per_week": alert_pages_per_week,
        }
        on_call["health"] = {
            "pages_per_shift": rp.health("pages_per_shift", on_call["pages_per_shift"]),
            "off_hours_pages_per_week": rp.health("off_hours_pages_per_week", on_call["off_hours"]),
        }
    else:
        on_call = {"available": False, "why": "no rotation or pages in the store for this week"}

    return {"weekly_review": {
        "week": label, "from": start.date().isoformat(), "to": (end - timedelta(days=1)).date().isoformat(),
        "slo_status": ({"available": True, "services": list(slo_status)} if slo_status else
                       {"available": False, "why": "no SLO figures in the store (SLO files and a Prometheus source)"}),
        "incidents": {"count": len(inside), "by_severity": by_severity, "items": incident_items,
                      "postmortems_missing": missing},
        "action_items": {"open": len(open_items), "overdue": sum(1 for r in action_rows if r["overdue"]),
                         "orphans": sum(1 for r in action_rows if r["orphan"]), "items": action_rows},
        "on_call": on_call,
        "reliability_work": {
            "action_items_completed": len(done),
            "automation_shipped": sum(1 for a in done if a.type in ("prevent", "detect", "mitigate")),
            "toil_reduced_hours": None, "chaos_experiments_run": None, "capacity_concerns": None,
        },
    }}


def _md(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _na(value: object, unit: str = "") -> str:
    return NOT_AVAILABLE if value is None else f"{value}{unit}"


def slo_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The weekly SLO table: the budget figure in a short column beside the SLO's name, so that at 80 columns no
    figure is ever cut."""
    lines = ["| SLO | Left | State | Burning |", "|---|---|---|---|"]
    for row in rows:
        left = "—" if row.get("remaining_pct") is None else f"{row['remaining_pct']}%"
        lines.append(f"| {_md(row['service'])} {_md(row['slo'])} | {left} | {_md(row['state'])} | "
                     f"{_md(', '.join(row.get('firing', [])) or 'none')} |")
    return lines


def to_markdown(data: Mapping[str, Any]) -> str:
    w = data["weekly_review"]
    lines = [f"# Weekly SRE Review: {w['week']} ({w['from']} to {w['to']})", "", "## 1. SLO status (5 min)", ""]
    slo = w["slo_status"]
    if slo["available"]:
        lines += slo_table(slo["services"])
    else:
        lines.append(f"Not available: {slo['why']}.")
    inc = w["incidents"]
    lines += ["", "## 2. Incident review (10 min)", "",
              f"Incidents this week: {inc['count']} ({', '.join(f'{k} {v}' for k, v in inc['by_severity'].items())})"]
    if inc["items"]:
        lines += ["", "| Incident | Severity | Duration | Postmortem |", "|---|---|---|---|"]
        for item in inc["items"]:
            dur = _na(item["duration_minutes"], " min") + (" (ongoing)" if item["ongoing"] else "")
            lines.append(f"| {_md(item['ref'])} {_md(item['title'])} | {item['severity']} | {dur} | "
                         f"{item['postmortem'] or 'not required'} |")
    if inc["postmortems_missing"]:
        lines.append(f"\nPostmortems still missing (any week): {', '.join(inc['postmortems_missing'])}")
    ai = w["action_items"]
    lines += ["", f"Open postmortem action items: {ai['open']} (overdue {ai['overdue']}, orphan {ai['orphans']})"]
    for row in ai["items"]:
        flags = " ".join(x for x in ("OVERDUE" if row["overdue"] else "", orphan_text(row["orphan"])) if x)
        lines.append(f"- {row['id']} {_md(row['description'])} — {_md(row['owner']) or 'no owner'}, "
                     f"{row['deadline'] or 'no date'}, {_md(row['ticket']) or 'no ticket'}"
                     + (f" **{flags}**" if flags else ""))
    oc = w["on_call"]
    lines += ["", "## 3. On-call health (5 min)", ""]
    if oc["available"]:
        lines.append(f"- Pages: {oc['pages']} (off-hours {oc['off_hours']}, false positives {oc['false_positives']})")
        lines.append(f"- Pages per primary shift: {_na(oc['pages_per_shift'])} ({oc['health']['pages_per_shift']}); "
                     f"off-hours this week: {oc['off_hours']} ({oc['health']['off_hours_pages_per_week']})")
        lines.append(f"- Alert volume from the alerts feed: {_na(oc['alert_pages_per_week'], ' pages/week')}")
    else:
        lines.append(f"Not available: {oc['why']}.")
    lines.append("- On-call feedback: ask the room.")
    rw = w["reliability_work"]
    lines += ["", "## 4. Reliability work (10 min)", "",
              f"- Automation shipped (prevent/detect/mitigate action items done): {rw['automation_shipped']} "
              f"of {rw['action_items_completed']} completed",
              f"- Toil reduced (hours saved): {_na(rw['toil_reduced_hours'])}",
              f"- Chaos experiments run: {_na(rw['chaos_experiments_run'])}",
              f"- Capacity concerns: {_na(rw['capacity_concerns'])}"]
    return "\n".join(lines) + "\n"


def monthly_markdown(report: Mapping[str, Any]) -> str:
    """The complete monthly report: the existing sections, then those the seed names that were missing."""
    body = report["monthly_report"]
    text = rp.to_markdown(dict(report))
    lines = [text.rstrip("\n")]
    if not body.get("slo_summary"):
        lines += ["", "## SLOs", "- SLO summary: not available (no SLO figures in the store)",
                  "- Error budget: not available (no SLO figures in the store)"]
    toil = body.get("toil", {})
    lines += ["", "## Toil",
              f"- Hours spent: {_na(toil.get('hours_spent'))} · automated away: {_na(toil.get('hours_automated_away'))}"
              f" · share of SRE time: {_na(toil.get('pct_of_sre_time'), '%')}"]
    pms = body.get("postmortems", {})
    if pms:
        lines += ["", "## Postmortems", f"- Required: {pms['required']} · written: {pms['written']} · missing: "
                                        f"{len(pms['missing'])}" + (f" ({', '.join(pms['missing'])})"
                                                                    if pms["missing"] else "")]
    orphans = body.get("action_items", {}).get("orphans")
    if orphans:
        lines.append(f"- Orphan action items (no owner, date or ticket): {', '.join(orphans)}")
    for key, title in (("highlights", "Highlights"), ("concerns", "Concerns"),
                       ("next_month_priorities", "Next month priorities")):
        items = body.get(key) or []
        lines += ["", f"## {title}"]
        lines += [f"{n}. {_md(item)}" for n, item in enumerate(items, 1)] or ["- none written yet (cockpit review "
                                                                           "monthly --highlight/--concern/--priority)"]
    return "\n".join(lines) + "\n"
