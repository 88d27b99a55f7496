"""SLOs and error budgets, from the seeds: budget arithmetic, burn rates, multi-window alerts, policy states.

Everything here is pure arithmetic on numbers the caller measured; nothing reads a file or a server.

* Error budget = 1 − target (99.9 % → 0.1 %); in time, budget × window (43.2 min in 30 days).
* The SLI over a window is weighted by traffic: sum of good events ÷ sum of all events over the window, never an
  average of per-interval ratios. Remaining budget = ((1 − T) − bad/total) ÷ (1 − T) (as Pyrra computes it).
* Burn rate = observed error ratio ÷ allowed error ratio; at burn b a full budget lasts window ÷ b.
* A burn-rate alert fires when the burn rate over *both* its short and its long window is at or above its factor.
* The policy state comes from the remaining budget; the platform policy's "exhausted" holds until the budget
  recovers to 10 %.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# --- durations ---------------------------------------------------------------------------------
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(?:(\d{1,6})([smhdw]))+")
_PART = re.compile(r"(\d{1,6})([smhdw])")

#: Months as the two seed tables count them.
DAYS_30 = timedelta(days=30)
AVERAGE_MONTH = timedelta(days=365.25 / 12)  # the "SLO Target Selection Guide" (99.9 % → 43m 50s)
YEAR = timedelta(days=365)


def parse_duration(text: object) -> timedelta | None:
    """``28d``, ``30d``, ``4w``, ``5m``, ``1h30m`` (Prometheus style) → timedelta; anything else → None."""
    if not isinstance(text, str) or not _DURATION.fullmatch(text.strip()):
        return None
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(text.strip()))
    return timedelta(seconds=seconds) if seconds > 0 else None


def format_duration(value: timedelta) -> str:
    """A Prometheus duration for ``value`` (``timedelta(hours=1)`` → ``1h``, 28 days → ``4w``, 30 days → ``30d``)."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0s"
    if seconds % 86400 == 0 and (seconds // 86400) % 7:
        return f"{seconds // 86400}d"  # 30d, not 4w2d
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{unit}")
    return "".join(parts)


def human_duration(value: timedelta) -> str:
    """Seconds to years for people: ``43m 12s``, ``7h 18m``, ``5.6 days``."""
    seconds = value.total_seconds()
    if seconds < 0:
        return "-" + human_duration(-value)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes}m {rest}s" if rest else f"{minutes}m"
    if seconds < 2 * 86400:
        hours, rest = divmod(round(seconds / 60), 60)
        return f"{hours}h {rest}m" if rest else f"{hours}h"
    return f"{seconds / 86400:.1f} days"


# --- the arithmetic ----------------------------------------------------------------------------
def check_target(target: float) -> None:
    if not 0 < target < 100 or not math.isfinite(target):
        raise ValueError("an SLO target is a percentage above 0 and below 100")


def error_budget(target: float) -> float:
    """The allowed error ratio: 1 − target (target in percent: 99.9 → 0.001)."""
    check_target(target)
    return (100.0 - target) / 100.0


def budget_time(target: float, window: timedelta) -> timedelta:
    """The error budget as time: how long the service may be fully down in ``window`` (99.9 %, 30 d → 43.2 min)."""
    return window * error_budget(target)


def sli(good: float, total: float) -> float | None:
    """Good ÷ total over the window (a ratio 0..1); None without traffic."""
    return None if total <= 0 else good / total


def error_ratio(bad: float, total: float) -> float | None:
    return None if total <= 0 else bad / total


def burn_rate(observed_error_ratio: float, target: float) -> float:
    """Observed error ratio ÷ allowed error ratio (0.5 % against 99.9 % → 5)."""
    return observed_error_ratio / error_budget(target)


def remaining_budget(bad: float, total: float, target: float) -> float | None:
    """The share of the window's budget left (1.0 = untouched, 0 = spent, negative = overspent), weighted by
    traffic: ((1 − T) − bad/total) ÷ (1 − T). None without traffic."""
    ratio = error_ratio(bad, total)
    if ratio is None:
        return None
    allowed = error_budget(target)
    return (allowed - ratio) / allowed


def time_to_exhaustion(remaining: float, burn: float, window: timedelta) -> timedelta | None:
    """How long the remaining budget lasts at ``burn`` (a full budget at burn 5 over 28 d: 5.6 days).
    Zero when nothing is left; None when the budget is not being spent."""
    if remaining <= 0:
        return timedelta(0)
    if burn <= 0 or not math.isfinite(burn):
        return None
    return window * (remaining / burn)


# --- burn-rate alerts --------------------------------------------------------------------------
@dataclass(frozen=True)
class BurnAlert:
    """One multi-window burn-rate alert of the seed's "SLO Document Template"."""

    name: str
    factor: float
    short_window: timedelta
    long_window: timedelta
    severity: str = "page"  # page | ticket

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "burn_rate": self.factor, "short_window": format_duration(self.short_window),
                "long_window": format_duration(self.long_window), "severity": self.severity}


#: The seed's three alerts: fast (14.4×, 5m/1h, page), medium (6×, 30m/6h, page), slow (1×, 6h/3d, ticket).
SEED_ALERTS: tuple[BurnAlert, ...] = (
    BurnAlert("fast_burn", 14.4, timedelta(minutes=5), timedelta(hours=1), "page"),
    BurnAlert("medium_burn", 6.0, timedelta(minutes=30), timedelta(hours=6), "page"),
    BurnAlert("slow_burn", 1.0, timedelta(hours=6), timedelta(days=3), "ticket"),
)
#: The dashboard's burn rates (the seed's weekly "Error Budget Dashboard": 1h / 6h / 24h).
DASHBOARD_WINDOWS: tuple[timedelta, ...] = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
#: Float rounding must not decide an alert: an exact 14.4× burn computes as 14.399999999999999.
_TOLERANCE = 1e-9


def at_or_above(burn: float | None, factor: float) -> bool:
    return burn is not None and math.isfinite(burn) and burn >= factor * (1 - _TOLERANCE)


def firing(alerts: Iterable[BurnAlert], burns: Mapping[timedelta, float | None]) -> list[BurnAlert]:
    """The alerts whose short and long windows both burn at or above their factor."""
    return [a for a in alerts
            if at_or_above(burns.get(a.short_window), a.factor) and at_or_above(burns.get(a.long_window), a.factor)]


def alert_windows(alerts: Iterable[BurnAlert]) -> list[timedelta]:
    """Every window an alert or the dashboard needs, shortest first, once each."""
    found = {w for a in alerts for w in (a.short_window, a.long_window)} | set(DASHBOARD_WINDOWS)
    return sorted(found)


# --- error budget policies ---------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyState:
    name: str
    word: str  # shown on screen next to its colour
    condition: str
    actions: tuple[str, ...]
    above: float | None  # the state applies when remaining (0..1) is above this (None: the bottom state)
    inclusive: bool = False  # above-or-equal instead of above
    level: int = 0  # 0 best .. 3 worst: the colour


@dataclass(frozen=True)
class BudgetPolicy:
    name: str
    title: str
    states: tuple[PolicyState, ...]  # best first; the last is the bottom (exhausted)
    exceptions: tuple[str, ...] = ()
    reset: str = ""
    holds_until: float | None = None  # the bottom state holds until the budget recovers to this

    def state(self, name: str) -> PolicyState:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    def classify(self, remaining: float, previous: str | None = None) -> PolicyState:
        """The state for ``remaining`` (0..1; negative when overspent), given the state before it."""
        bottom = self.states[-1]
        if previous == bottom.name and self.holds_until is not None and remaining < self.holds_until:
            return bottom
        for state in self.states:
            if state.above is None:
                return state
            if remaining > state.above or (state.inclusive and remaining >= state.above):
                return state
        return bottom

    def fold(self, remaining_series: Iterable[float], previous: str | None = None) -> PolicyState | None:
        """The state after walking a series of remaining budgets in time order (for the hysteresis)."""
        state: PolicyState | None = None
        for value in remaining_series:
            state = self.classify(value, previous)
            previous = state.name
        return state


#: The platform document's "Error Budget Policy": four states; exhausted holds until the budget recovers to 10 %.
PLATFORM = BudgetPolicy(
    name="platform",
    title="Error Budget Policy (SRE platform)",
    states=(
        PolicyState("healthy", "HEALTHY", "remaining_budget > 50%", (
            "Normal development velocity", "Feature work prioritized", "Chaos experiments allowed"),
            above=0.50, level=0),
        PolicyState("warning", "WARNING", "remaining_budget 25-50%", (
            "Increase monitoring scrutiny", "Review recent changes for risk",
            "Limit risky deployments to business hours", "No chaos experiments"),
            above=0.25, inclusive=True, level=1),
        PolicyState("critical", "CRITICAL", "remaining_budget 0-25%", (
            "Feature freeze — reliability work only", "All deployments require SRE approval",
            "Mandatory rollback plan for every change", "Daily error budget review"),
            above=0.0, level=2),
        PolicyState("exhausted", "EXHAUSTED", "remaining_budget <= 0", (
            "Complete deployment freeze", "All engineering redirected to reliability", "VP Engineering notified",
            "Postmortem required for budget exhaustion", "Freeze maintained until budget recovers to 10%"),
            above=None, level=3),
    ),
    exceptions=("Security patches always allowed", "Regulatory compliance changes always allowed",
                "Data loss prevention always allowed"),
    reset="Rolling window (no manual resets)",
    holds_until=0.10,
)

#: The shorter policy of "Operating Production Services".
OPERATING = BudgetPolicy(
    name="operating",
    title="Error budget policy (Operating Production Services)",
    states=(
        PolicyState("normal", "NORMAL", "> 50%", ("Normal velocity",), above=0.50, level=0),
        PolicyState("postpone-risky", "POSTPONE RISKY", "10-50%", ("Postpone risky changes",),
                    above=0.10, inclusive=True, level=1),
        PolicyState("freeze", "FREEZE", "< 10%", ("Freeze non-critical changes",), above=0.0, level=2),
        PolicyState("feature-freeze", "FEATURE FREEZE", "0%", ("Feature freeze, fix reliability",),
                    above=None, level=3),
    ),
)

POLICIES: dict[str, BudgetPolicy] = {PLATFORM.name: PLATFORM, OPERATING.name: OPERATING}

#: Policy states across both policies mapped onto the monthly report's four buckets.
REPORT_BUCKET = {"healthy": "healthy", "warning": "warning", "critical": "critical", "exhausted": "exhausted",
                 "normal": "healthy", "postpone-risky": "warning", "freeze": "critical",
                 "feature-freeze": "exhausted"}


# --- one SLO, evaluated -------------------------------------------------------------------------
@dataclass(frozen=True)
class WindowBurn:
    window: timedelta
    burn: float | None  # None: no traffic (or no data) in that window


@dataclass(frozen=True)
class SloEvaluation:
    """What one refresh learned about one SLO, as shown and stored."""

    key: str  # service/sli
    service: str
    name: str
    target: float
    window: timedelta
    at: datetime  # the time the values describe
    good: float
    total: float
    sli: float | None
    remaining: float | None  # share of the budget left (1 = untouched)
    burns: tuple[WindowBurn, ...]
    firing: tuple[str, ...]  # names of the alerts firing
    paging: bool  # one of the firing alerts pages
    state: str
    state_word: str
    state_level: int
    actions: tuple[str, ...]
    exceptions: tuple[str, ...]
    exhaustion_at: datetime | None
    burndown: tuple[float, ...] = ()  # remaining budget across the window, oldest first, for the chart
    week_ago_remaining: float | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)

    def burn(self, window: timedelta) -> float | None:
        for item in self.burns:
            if item.window == window:
                return item.burn
        return None

    @property
    def trend(self) -> str:
        """↑ recovering, ↓ burning, → flat, against a week ago (the dashboard's "Trend")."""
        if self.remaining is None or self.week_ago_remaining is None:
            return "?"
        delta = self.remaining - self.week_ago_remaining
        return "↑" if delta > 0.01 else "↓" if delta < -0.01 else "→"

    @property
    def consumed_this_week(self) -> float | None:
        """Budget spent by errors of the last 7 days, as a share of the window's budget (from the burn-down)."""
        steps = len(self.burndown)
        if steps < 2:
            return None
        back = round(timedelta(days=7) / (self.window / steps))
        if back <= 0:
            return None
        before = self.burndown[-1 - back] if back < steps else 1.0
        return before - self.burndown[-1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "service": self.service, "name": self.name, "target": self.target,
            "window": format_duration(self.window), "at": self.at.isoformat(), "good": self.good,
            "total": self.total, "sli": self.sli, "remaining": self.remaining,
            "burns": [[format_duration(b.window), b.burn] for b in self.burns], "firing": list(self.firing),
            "paging": self.paging, "state": self.state, "state_word": self.state_word,
            "state_level": self.state_level, "actions": list(self.actions), "exceptions": list(self.exceptions),
            "exhaustion_at": self.exhaustion_at.isoformat() if self.exhaustion_at else None,
            "burndown": list(self.burndown), "week_ago_remaining": self.week_ago_remaining,
            "problems": list(self.problems),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SloEvaluation:
        def when(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        def number(value: Any) -> float | None:
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        burns = []
        for item in data.get("burns", []):
            window = parse_duration(item[0]) if isinstance(item, list) and item else None
            if window is not None:
                burns.append(WindowBurn(window, number(item[1])))
        at = when(data.get("at"))
        window = parse_duration(data.get("window"))
        if at is None or window is None:
            raise ValueError("not a stored SLO evaluation")
        return cls(
            key=str(data["key"]), service=str(data["service"]), name=str(data["name"]),
            target=float(data["target"]), window=window, at=at, good=float(data.get("good") or 0),
            total=float(data.get("total") or 0), sli=number(data.get("sli")), remaining=number(data.get("remaining")),
            burns=tuple(burns), firing=tuple(str(x) for x in data.get("firing", [])),
            paging=bool(data.get("paging")), state=str(data.get("state", "")),
            state_word=str(data.get("state_word", "")), state_level=int(data.get("state_level", 0)),
            actions=tuple(str(x) for x in data.get("actions", [])),
            exceptions=tuple(str(x) for x in data.get("exceptions", [])), exhaustion_at=when(data.get("exhaustion_at")),
            burndown=tuple(float(x) for x in data.get("burndown", []) if isinstance(x, (int, float))),
            week_ago_remaining=number(data.get("week_ago_remaining")),
            problems=tuple(str(x) for x in data.get("problems", [])),
        )


def evaluate(
    *,
    key: str,
    service: str,
    name: str,
    target: float,
    window: timedelta,
    alerts: Sequence[BurnAlert],
    policy: BudgetPolicy,
    at: datetime,
    counts: Mapping[timedelta, tuple[float, float]],
    previous_state: str | None = None,
    burndown_bad: Sequence[float] = (),
    week_ago: tuple[float, float] | None = None,
) -> SloEvaluation:
    """Turn measured (bad, total) event counts per window into the SLI, budget, burn rates, alerts and state.

    ``counts[window]`` must hold the SLO's own window; the alert windows that lack data get no burn rate.
    ``burndown_bad``: bad events per equal step across the window, oldest first (for the chart).
    """
    bad, total = counts.get(window, (0.0, 0.0))
    problems: list[str] = []
    allowed = error_budget(target)
    burns = []
    for w in alert_windows(alerts):
        if w in counts:
            w_bad, w_total = counts[w]
            ratio = error_ratio(w_bad, w_total)
            burns.append(WindowBurn(w, None if ratio is None else ratio / allowed))
        else:
            burns.append(WindowBurn(w, None))
    burn_map = {b.window: b.burn for b in burns}
    fired = firing(alerts, burn_map)
    remaining = remaining_budget(bad, total, target)
    if remaining is None:
        problems.append("no traffic in the window")
    chart: list[float] = []
    if burndown_bad and total > 0:
        spent = 0.0
        for step_bad in burndown_bad:
            spent += step_bad
            chart.append((allowed - spent / total) / allowed)
    if remaining is None:  # no traffic: no state to claim
        state = PolicyState("no-data", "NO DATA", "no traffic in the window", (), above=None, level=-1)
    else:
        state = policy.classify(remaining, previous_state)
    exhaustion_at = None
    if remaining is not None:
        # the burn over the shortest long window with traffic is the "current" burn for the projection
        current = next((b.burn for b in sorted(burns, key=lambda b: b.window)
                        if b.window >= timedelta(hours=1) and b.burn is not None), None)
        left = time_to_exhaustion(remaining, current if current is not None else 0.0, window)
        exhaustion_at = at + left if left is not None else None
    week_ago_remaining = None
    if week_ago is not None:
        week_ago_remaining = remaining_budget(week_ago[0], week_ago[1], target)
    return SloEvaluation(
        key=key, service=service, name=name, target=target, window=window, at=at, good=total - bad, total=total,
        sli=sli(total - bad, total), remaining=remaining, burns=tuple(burns), firing=tuple(a.name for a in fired),
        paging=any(a.severity == "page" for a in fired), state=state.name, state_word=state.word,
        state_level=state.level, actions=state.actions, exceptions=policy.exceptions, exhaustion_at=exhaustion_at,
        burndown=tuple(chart), week_ago_remaining=week_ago_remaining, problems=tuple(problems),
    )


# --- into the incident workflow ------------------------------------------------------------------
def breach_reasons(evaluations: Iterable[SloEvaluation], services: Iterable[str], horizon: timedelta,
                   now: datetime) -> list[str]:
    """Why the "SLA breach imminent" trigger should be proposed for an incident of ``services``: a paging
    (fast-burn) alert firing, or a budget that is spent or will be within ``horizon``. Empty: no reason."""
    wanted = set(services)
    reasons = []
    for ev in evaluations:
        if ev.service not in wanted or ev.remaining is None:
            continue
        label = f"{ev.service} {ev.name}"
        if ev.paging:
            reasons.append(f"{label}: {', '.join(ev.firing)} alert firing")
        elif ev.remaining <= 0:
            reasons.append(f"{label}: error budget exhausted ({ev.remaining * 100:.0f}% left)")
        elif ev.exhaustion_at is not None and ev.exhaustion_at - now <= horizon:
            reasons.append(f"{label}: budget runs out in {human_duration(ev.exhaustion_at - now)} at the current "
                           f"burn (horizon {human_duration(horizon)})")
    return reasons


def consumed_between(bad: float, total_in_window: float, target: float) -> float | None:
    """Share of the window's budget spent by ``bad`` events (an incident's errors), in percent."""
    if total_in_window <= 0:
        return None
    return bad / (error_budget(target) * total_in_window) * 100.0


def sparkline(values: Sequence[float], width: int) -> str:
    """A small chart of the remaining budget (1.0 = full, ≤ 0 = spent), ``width`` characters."""
    if not values or width <= 0:
        return ""
    bars = " ▁▂▃▄▅▆▇█"
    count = min(width, len(values))
    # evenly spread, always ending on the newest value
    picked = [values[round(i * (len(values) - 1) / (count - 1))] if count > 1 else values[-1] for i in range(count)]
    out = []
    for value in picked:
        clamped = max(0.0, min(1.0, value))
        out.append(bars[round(clamped * (len(bars) - 1))] if value > 0 else "_")
    return "".join(out)
