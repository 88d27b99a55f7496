"""What live sources learned about SLOs, kept in the store: the only writer of the readings.

A source (``cockpit.sources``) measures and asks this service to record; screens and reports read from here, so
offline the cockpit shows the last figures with their age ("as of 12 min ago — Prometheus unreachable"), never a
blank and never a wait. The error budget around each incident (at declaration, at resolution, and how much of it
the incident's own errors took) is kept here too, for the postmortem.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cockpit.domain import slo as slo_domain
from cockpit.domain.ids import display_ref
from cockpit.domain.lifecycle import Phase
from cockpit.domain.slo import SloEvaluation
from cockpit.service.incidents import IncidentService
from cockpit.store.schema import INCIDENT_BUDGET, SLO_READING

# The ORM is imported by the methods that use it: the budget pane reads with plain sqlite3 (``readings``).

MAX_ERROR = 500


@dataclass(frozen=True)
class Reading:
    key: str
    service: str
    evaluation: SloEvaluation | None  # None: never read successfully
    read_at: datetime | None
    attempted_at: datetime
    error: str | None

    @property
    def stale(self) -> bool:
        return self.error is not None

    def age_text(self, now: datetime) -> str:
        """"as of 12 min ago — Prometheus at ... is unreachable" (or "live" for a fresh read)."""
        if self.read_at is None:
            return f"never read — {self.error}" if self.error else "not read yet"
        age = max(timedelta(0), now - self.read_at)
        if age < timedelta(minutes=1):
            when = "as of just now"
        elif age < timedelta(hours=2):
            when = f"as of {int(age.total_seconds() // 60)} min ago"
        elif age < timedelta(days=2):
            when = f"as of {age.total_seconds() / 3600:.0f} h ago"
        else:
            when = f"as of {age.days} days ago"
        return f"{when} — {self.error}" if self.error else when


@dataclass(frozen=True)
class BudgetNeed:
    """An incident whose budget figures are not complete yet: the source measures them at these times."""

    incident_id: str
    slo_key: str
    start: datetime  # impact start (or declaration)
    declared_at: datetime
    end: datetime | None  # resolution, or None while open
    need_declared: bool


@dataclass(frozen=True)
class IncidentBudgetRecord:
    slo_key: str
    declared_remaining: float | None
    resolved_remaining: float | None
    consumed_pct: float | None
    consumed_until: datetime | None
    resolved: bool


_READING = ("slo_key", "service", "payload", "read_at", "attempted_at", "error")


def _reading(row: dict[str, Any]) -> Reading:
    evaluation = None
    if row["payload"]:
        try:
            evaluation = SloEvaluation.from_dict(row["payload"])
        except (KeyError, TypeError, ValueError):
            evaluation = None
    return Reading(row["slo_key"], row["service"], evaluation, row["read_at"], row["attempted_at"], row["error"])


class Signals:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents

    # --- writing -------------------------------------------------------------------------------
    def record(self, evaluation: SloEvaluation, read_at: datetime) -> None:
        self.record_round([evaluation], [], read_at)

    def record_failure(self, key: str, service: str, error: str, attempted_at: datetime) -> None:
        """The last figures stay; the failure is noted beside them."""
        self.record_round([], [(key, service, error)], attempted_at)

    def record_round(self, evaluations: Sequence[SloEvaluation], failures: Sequence[tuple[str, str, str]],
                     at: datetime) -> None:
        """A whole refresh in one transaction (one short write lock, one fsync): new figures, and for the SLOs
        that could not be read, the reason beside their last figures."""
        from sqlmodel import col, select

        from cockpit.store.models import SloReading

        keys = [e.key for e in evaluations] + [f[0] for f in failures]
        with self.incidents.store.write() as session, session.no_autoflush:
            rows = {r.slo_key: r for r in session.exec(select(SloReading).where(col(SloReading.slo_key).in_(keys)))}
            for evaluation in evaluations:
                row = rows.get(evaluation.key) or SloReading(
                    slo_key=evaluation.key, service=evaluation.service, attempted_at=at)
                row.service = evaluation.service
                row.payload = evaluation.as_dict()
                row.read_at = at
                row.attempted_at = at
                row.error = None
                session.add(row)
            for key, service, error in failures:
                row = rows.get(key) or SloReading(slo_key=key, service=service, attempted_at=at)
                row.attempted_at = at
                row.error = error[:MAX_ERROR]
                session.add(row)

    def forget_others(self, keys: Iterable[str]) -> int:
        """Drop readings of SLOs no longer in the library."""
        from sqlmodel import select

        from cockpit.store.models import SloReading

        wanted = set(keys)
        with self.incidents.store.write() as session:
            stale = [r for r in session.exec(select(SloReading)).all() if r.slo_key not in wanted]
            for row in stale:
                session.delete(row)
            return len(stale)

    def record_incident_budget(self, incident_id: str, slo_key: str, *, declared_remaining: float | None = None,
                               resolved_remaining: float | None = None, consumed_pct: float | None = None,
                               until: datetime | None = None, resolved: bool = False) -> None:
        from cockpit.store.models import IncidentBudget

        with self.incidents.store.write() as session:
            row = session.get(IncidentBudget, (incident_id, slo_key)) or IncidentBudget(
                incident_id=incident_id, slo_key=slo_key)
            if declared_remaining is not None:
                row.declared_remaining = declared_remaining
            if consumed_pct is not None:
                row.consumed_pct = consumed_pct
                row.consumed_until = until
            if resolved:
                row.resolved_remaining = resolved_remaining
                row.resolved = True
            session.add(row)

    # --- reading -------------------------------------------------------------------------------
    def readings(self, services: Iterable[str] | None = None) -> list[Reading]:
        query, params = SLO_READING.select(_READING), list(services) if services is not None else None
        if params is not None:
            query += f" WHERE service IN ({', '.join('?' * len(params))})"
        with self.incidents.store.plain() as conn:
            rows = conn.execute(query + " ORDER BY service, slo_key", params or ()).fetchall()
        return [_reading(SLO_READING.decode(row, _READING)) for row in rows]

    def previous_states(self) -> dict[str, str]:
        return {r.key: r.evaluation.state for r in self.readings() if r.evaluation is not None}

    def budget_needs(self, keys_by_service: dict[str, list[str]], since: datetime) -> list[BudgetNeed]:
        """Incidents declared after ``since`` on services with SLOs whose figures are not complete."""
        from sqlmodel import col, select

        from cockpit.store.models import Incident, IncidentBudget

        with self.incidents.store.read() as session:
            incidents = session.exec(select(Incident).where(  # a Game Day's errors are the exercise, not a budget
                col(Incident.declared_at) >= since, Incident.kind != "exercise")).all()
            done = {(b.incident_id, b.slo_key): b for b in session.exec(select(IncidentBudget)).all()}
        needs = []
        for incident in incidents:
            for service in incident.services:
                for key in keys_by_service.get(service, []):
                    have = done.get((incident.id, key))
                    if have is not None and have.resolved:
                        continue
                    closed = Phase(incident.phase).index >= Phase.RESOLVE.index and incident.resolved_at
                    needs.append(BudgetNeed(
                        incident.id, key, incident.started_at or incident.declared_at, incident.declared_at,
                        incident.resolved_at if closed else None,
                        need_declared=have is None or have.declared_remaining is None))
        return needs

    def incident_budgets(self, query: str) -> list[IncidentBudgetRecord]:
        incident_id = self.incidents.resolve(query)
        with self.incidents.store.plain() as conn:
            rows = INCIDENT_BUDGET.rows(conn, "WHERE incident_id = ? ORDER BY slo_key", (incident_id,))
        return [IncidentBudgetRecord(r["slo_key"], r["declared_remaining"], r["resolved_remaining"],
                                     r["consumed_pct"], r["consumed_until"], r["resolved"]) for r in rows]

    def incidents_in_window(self, service: str, since: datetime) -> list[str]:
        """References of the incidents on ``service`` declared since ``since`` (the dashboard's "Incidents
        consuming budget")."""
        from sqlmodel import col, select

        from cockpit.store.models import Incident

        with self.incidents.store.read() as session:
            rows = session.exec(select(Incident).where(col(Incident.declared_at) >= since)
                                .order_by(col(Incident.declared_at))).all()
            return [display_ref(r.ref_key) for r in rows if service in r.services and r.kind != "exercise"]

    # --- for handoffs and reports ----------------------------------------------------------------
    def known_risks(self, now: datetime) -> list[dict[str, str]]:
        """Services in the critical or exhausted state, as the handoff's "Known risks" items."""
        risks = []
        for reading in self.readings():
            ev = reading.evaluation
            if ev is None or slo_domain.REPORT_BUCKET.get(ev.state) not in ("critical", "exhausted"):
                continue
            left = f"{ev.remaining * 100:.0f}% of budget left" if ev.remaining is not None else "no figure"
            risks.append({
                "event": f"{ev.service} {ev.name} error budget {ev.state_word} ({left}, {reading.age_text(now)})",
                "watch_for": "; ".join(ev.actions[:3]) + (f"; firing: {', '.join(ev.firing)}" if ev.firing else ""),
            })
        return risks

    def report_sections(self, now: datetime) -> dict[str, Any] | None:
        """The monthly report's ``slo_summary`` and ``error_budget`` from the latest readings (None: no SLOs)."""
        readings = [r for r in self.readings() if r.evaluation is not None and r.evaluation.remaining is not None]
        if not readings:
            return None
        by_service: dict[str, list[SloEvaluation]] = {}
        for reading in readings:
            assert reading.evaluation is not None
            by_service.setdefault(reading.service, []).append(reading.evaluation)
        meeting = [s for s, evs in by_service.items() if all((e.remaining or 0) >= 0 for e in evs)]
        worst = min(readings, key=lambda r: r.evaluation.remaining if r.evaluation and r.evaluation.remaining
                    is not None else 1.0)
        buckets = {"healthy": 0, "warning": 0, "critical": 0, "exhausted": 0}
        for evs in by_service.values():
            # a service is in the worst state of its SLOs
            order = ["healthy", "warning", "critical", "exhausted"]
            buckets[max((slo_domain.REPORT_BUCKET.get(e.state, "healthy") for e in evs), key=order.index)] += 1
        oldest = min(r.read_at for r in readings if r.read_at is not None)
        assert worst.evaluation is not None and worst.evaluation.remaining is not None
        return {
            "slo_summary": {
                "services_meeting_slo": len(meeting),
                "services_breaching_slo": len(by_service) - len(meeting),
                "worst_performing": f"{worst.service} {worst.evaluation.name} "
                                    f"({worst.evaluation.remaining * 100:.0f}% of budget left)",
                "as_of": oldest.isoformat() if oldest else None,
            },
            "error_budget": {
                "services_in_healthy": buckets["healthy"], "services_in_warning": buckets["warning"],
                "services_in_critical": buckets["critical"], "services_exhausted": buckets["exhausted"],
            },
        }


def budget_consumed(records: Sequence[IncidentBudgetRecord]) -> float | None:
    """The postmortem's ``slo_budget_consumed_pct``: the most any one SLO of the incident lost to it."""
    values = [r.consumed_pct for r in records if r.consumed_pct is not None]
    return round(max(values), 2) if values else None
