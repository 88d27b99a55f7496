"""Alert volume per service for the catalog, assessments, readiness reviews and the weekly review, from the alert
log that the alerts feature keeps (``service/alerts.py``, filled by polling Alertmanager).

``None`` while the log holds nothing at all (no Alertmanager was ever read), so screens and reports say "not
available" instead of printing a zero they do not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select

from cockpit.domain.alerts import Level
from cockpit.service.incidents import IncidentService
from cockpit.store.models import AlertLogRow

NOT_AVAILABLE = "not available (no alerts read from Alertmanager yet)"
RUNBOOK_ANNOTATIONS = ("runbook_url", "runbook")


@dataclass(frozen=True)
class AlertFigures:
    pages_per_week: float
    alerts: int
    lint_problems: int  # alerts seen without a runbook link, or marked not actionable

    @property
    def lint_text(self) -> str:
        return "clean" if not self.lint_problems else f"{self.lint_problems} problem(s)"


def alert_figures(incidents: IncidentService, service: str | None, start: datetime,
                  end: datetime) -> AlertFigures | None:
    """Alert figures for ``service`` (every service when None) for alerts that started between ``start`` and
    ``end``: page-level firings per week, alerts, and alerts that break the seed's design rules as far as the log
    can tell (no runbook annotation; marked not actionable). None when the log is empty."""
    with incidents.store.read() as session:
        if not session.exec(select(func.count()).select_from(AlertLogRow)).one():
            return None
        query = select(AlertLogRow).where(col(AlertLogRow.starts_at) >= start, col(AlertLogRow.starts_at) < end)
        if service is not None:
            query = query.where(AlertLogRow.service == service)
        rows = session.exec(query).all()
    weeks = max((end - start).total_seconds() / (7 * 86400), 1 / 7)
    pages = sum(r.fired_count for r in rows if r.level == Level.P0.value)
    problems = sum(1 for r in rows if r.false_positive or not any(r.annotations.get(k) for k in RUNBOOK_ANNOTATIONS))
    return AlertFigures(pages_per_week=round(pages / weeks, 2), alerts=len(rows), lint_problems=problems)
