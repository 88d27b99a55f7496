"""The one seam to the alerts feature (#10, built in parallel): alert volume and alert lint per service.

Until it is wired, every figure is ``None`` and screens and reports say "not available" instead of printing a
zero. The lead connects this to the alert store after both features land.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

NOT_AVAILABLE = "not available (alerts are not connected yet)"


@dataclass(frozen=True)
class AlertFigures:
    pages_per_week: float
    alerts: int
    lint_problems: int  # alerts without a runbook link, not actionable, single-threshold

    @property
    def lint_text(self) -> str:
        return "clean" if not self.lint_problems else f"{self.lint_problems} problem(s)"


def alert_figures(service: str | None, start: datetime, end: datetime) -> AlertFigures | None:
    """Alert figures for ``service`` (every service when None) between ``start`` and ``end``; None while the
    alerts feature is not wired in."""
    del service, start, end
    return None
