"""Chaos engineering: the seed's "Chaos Experiment Template" and "Chaos Experiment Library", the "Game Day
Runbook" as the walker's stages, and the "Chaos Maturity Model" levels from a service's history.

The cockpit's additions to the seed's experiment (all optional):

* ``steady_state.metrics[].query``: PromQL giving the metric's current value; ``acceptable_range`` then must be
  numeric (``< 0.01``, ``<= 500``, ``> 99.5``, ``>= 1``, or ``A..B``; a unit after the number, such as ``ms`` or
  ``%``, is read as a reminder, not converted);
* ``safety.abort_conditions[]``: text (checked by hand), or ``{name, query}`` where ``query`` is PromQL that
  returns a series exactly when the condition holds, as in a Prometheus alerting rule (``… > 0.05``);
* ``method.environment``: ``staging`` (the default) or ``production``, for the maturity level.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cockpit.domain.shapes import Checker, Issue, Path_, type_name, unwrap

FAULT_TYPES = ("network", "compute", "storage", "dependency", "data", "scale")
ENVIRONMENTS = ("staging", "production")
OUTCOMES = ("confirmed", "disproved", "inconclusive")
MAX_QUERY = 2000
MAX_DURATION = timedelta(hours=24)

TOP_KEYS = {"name", "hypothesis", "steady_state", "method", "safety", "results"}
STEADY_KEYS = {"metrics"}
METRIC_KEYS = {"name", "baseline", "acceptable_range", "query"}
METHOD_KEYS = {"fault_type", "target", "blast_radius", "duration", "environment"}
SAFETY_KEYS = {"abort_conditions", "rollback_plan", "required_approvals"}
ABORT_KEYS = {"name", "query"}
RESULT_KEYS = {"outcome", "observations", "action_items"}


@dataclass(frozen=True)
class LibraryEntry:
    """One row of the seed's "Chaos Experiment Library", with what its template fills in."""

    slug: str
    category: str
    experiment: str
    validates: str
    fault_type: str
    fault: str  # the [fault] of the hypothesis
    expected: str  # the [expected behavior]
    duration: str
    blast_radius: str
    metric: str = "error rate"
    acceptable_range: str = "< 0.01"


LIBRARY: tuple[LibraryEntry, ...] = (
    LibraryEntry("db-latency-200ms", "Network", "Add 200ms latency to DB calls",
                 "Timeout handling, circuit breakers", "network", "200 ms of latency is added to every database call",
                 "time out slow calls and keep serving within its SLO", "30m", "single pod"),
    LibraryEntry("packet-loss-5pct", "Network", "Drop 5% of packets to downstream", "Retry logic, error handling",
                 "network", "5 % of packets to the downstream service are dropped",
                 "retry and keep the error rate within the steady state", "30m", "single AZ"),
    LibraryEntry("dns-failure", "Network", "DNS resolution failure", "Caching, fallback, error messages", "network",
                 "DNS resolution fails", "serve from cached addresses or fail with a clear error message", "15m",
                 "single pod"),
    LibraryEntry("kill-pod-every-10m", "Compute", "Kill random pod every 10 min", "Auto-restart, load balancing",
                 "compute", "a random pod is killed every 10 minutes",
                 "restart it and balance the load with no user-visible errors", "60m", "single pod"),
    LibraryEntry("cpu-stress-95", "Compute", "CPU stress to 95% on 1 node", "Auto-scaling, graceful degradation",
                 "compute", "the CPU of one node is held at 95 %", "scale out and degrade gracefully", "30m",
                 "single node"),
    LibraryEntry("disk-fill-95", "Compute", "Fill disk to 95%", "Disk monitoring, log rotation, alerts", "compute",
                 "a disk is filled to 95 %", "alert, rotate logs and keep writing", "30m", "single node"),
    LibraryEntry("db-latency-5x", "Storage", "Increase DB latency 5x", "Connection pool handling, timeouts", "storage",
                 "database latency rises five-fold", "keep its connection pool healthy and time out cleanly", "30m",
                 "percentage of traffic"),
    LibraryEntry("cache-down", "Storage", "Simulate cache failure (Redis down)", "Cache-aside pattern, DB fallback",
                 "storage", "the cache (Redis) is down", "fall back to the database within the latency SLO", "20m",
                 "single AZ"),
    LibraryEntry("block-payment-api", "Dependency", "Block external API (payment provider)",
                 "Circuit breaker, queuing, retry", "dependency", "the payment provider's API is unreachable",
                 "open the circuit breaker, queue payments and retry later", "20m", "percentage of traffic"),
    LibraryEntry("auth-429", "Dependency", "Return 429s from auth service", "Rate limit handling, backoff",
                 "dependency", "the auth service answers 429 Too Many Requests",
                 "back off and retry without failing logins", "15m", "percentage of traffic"),
    LibraryEntry("clock-skew", "Data", "Clock skew on subset of nodes", "Timestamp handling, ordering", "data",
                 "the clocks of a subset of nodes drift by minutes", "keep ordering and timestamps correct", "30m",
                 "subset of nodes"),
    LibraryEntry("traffic-10x", "Scale", "10x traffic spike over 5 minutes", "Auto-scaling speed, queue depth",
                 "scale", "traffic rises ten-fold over 5 minutes", "scale out in time and keep queue depth bounded",
                 "15m", "all traffic"),
)
SEED_ABORT_CONDITIONS = ("SLO burn rate exceeds 10x", "Customer-visible errors detected",
                         "Alert fires that we didn't expect")


def find_template(slug: str) -> LibraryEntry | None:
    return next((entry for entry in LIBRARY if entry.slug == slug.strip().lower()), None)


def template_text(entry: LibraryEntry, target: str = "") -> str:
    """The experiment file for a library row, in the seed's template shape (every value quoted as JSON, which
    YAML reads back exactly)."""
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    aim = target or "TARGET-SERVICE"
    lines = [
        f"# From the seed's Chaos Experiment Library: {entry.category} / {entry.experiment}.",
        f"# Validates: {entry.validates}. Fill in the target, the baseline and the rollback plan.",
        "experiment:",
        f"  name: {q(entry.experiment + (' on ' + target if target else ''))}",
        f"  hypothesis: {q(f'When {entry.fault}, the system will {entry.expected}')}",
        "  steady_state:",
        "    metrics:",
        f"      - name: {q(entry.metric)}",
        "        baseline: \"\"",
        f"        acceptable_range: {q(entry.acceptable_range)}",
        "        # query: 'sum(rate(http_requests_total{service=\"" + aim + "\",code=~\"5..\"}[5m]))"
        " / sum(rate(http_requests_total{service=\"" + aim + "\"}[5m]))'",
        "  method:",
        f"    fault_type: {entry.fault_type}",
        f"    target: {q(aim)}",
        f"    blast_radius: {q(entry.blast_radius)}",
        f"    duration: {entry.duration}",
        "    environment: staging",
        "  safety:",
        "    abort_conditions:",
        *[f"      - {q(text)}" for text in SEED_ABORT_CONDITIONS],
        "    rollback_plan: \"\"",
        "    required_approvals: []",
        "  results:",
        "    outcome: \"\"",
        "    observations: []",
        "    action_items: []",
    ]
    return "\n".join(lines) + "\n"


# --- the experiment -----------------------------------------------------------------------
@dataclass(frozen=True)
class Range:
    """An acceptable range: ``low < value < high`` with each end open or closed, or unbounded (None)."""

    low: float | None = None
    high: float | None = None
    low_closed: bool = True
    high_closed: bool = True

    def holds(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (not self.low_closed and value == self.low)):
            return False
        return not (self.high is not None and (value > self.high or (not self.high_closed and value == self.high)))


_NUMBER = r"(-?\d+(?:\.\d+)?)"
_UNIT = r"\s*(?:%|ms|s|rps|req/s|x)?\s*"
_BOUND = re.compile(rf"\s*(<=|>=|<|>)\s*{_NUMBER}{_UNIT}")
_BETWEEN = re.compile(rf"\s*{_NUMBER}{_UNIT}(?:\.\.|–|-|to)\s*{_NUMBER}{_UNIT}")


def parse_range(text: str) -> Range | None:
    """``< 0.01``, ``<= 500ms``, ``> 99.5 %``, ``>= 1``, ``0.1..0.5`` (inclusive) or None."""
    if match := _BOUND.fullmatch(text):
        op, number = match.group(1), float(match.group(2))
        if op.startswith("<"):
            return Range(high=number, high_closed=op == "<=")
        return Range(low=number, low_closed=op == ">=")
    if match := _BETWEEN.fullmatch(text):
        low, high = float(match.group(1)), float(match.group(2))
        return Range(low=low, high=high) if low <= high else None
    return None


@dataclass(frozen=True)
class SteadyMetric:
    name: str
    baseline: str
    acceptable_range: str
    query: str = ""
    range: Range | None = None


@dataclass(frozen=True)
class AbortCondition:
    name: str
    query: str = ""  # PromQL: holds when it returns a series; empty: watched by hand

    @property
    def by_hand(self) -> bool:
        return not self.query


@dataclass(frozen=True)
class Results:
    outcome: str = ""
    observations: tuple[str, ...] = ()
    action_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Experiment:
    name: str
    hypothesis: str
    metrics: tuple[SteadyMetric, ...]
    fault_type: str
    target: str
    blast_radius: str
    duration: timedelta
    abort_conditions: tuple[AbortCondition, ...]
    rollback_plan: str
    approvals: tuple[str, ...] = ()
    environment: str = "staging"
    results: Results = field(default_factory=Results)
    source: str = ""


def _query(check: Checker, value: object, path: Path_) -> str:
    if not isinstance(value, str) or not value.strip():
        check.add(path, f"must be a PromQL query, not {type_name(value)}")
        return ""
    text = value.strip()
    if len(text) > MAX_QUERY:
        check.add(path, f"is longer than {MAX_QUERY} characters")
        return ""
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text):
        check.add(path, "contains control characters")
        return ""
    if text.count("(") != text.count(")") or text.count("{") != text.count("}") or text.count("[") != text.count("]"):
        check.add(path, "has unbalanced brackets")
        return ""
    return text


def validate(data: object, source: str = "") -> tuple[Experiment | None, list[Issue]]:
    """A chaos experiment in the seed's template shape; every problem with its field path."""
    if data is None:
        return None, [((), "the file is empty; `cockpit chaos new FILE --from db-latency-200ms` writes one")]
    check = Checker()
    inner, base = unwrap(data, "experiment")
    body = check.mapping(inner, base, "a chaos experiment")
    if body is None:
        return None, check.issues
    check.keys(body, base, TOP_KEYS, ("name", "hypothesis", "steady_state", "method", "safety"))
    name = check.required_text(body, "name", base) if "name" in body else ""
    hypothesis = check.required_text(body, "hypothesis", base) if "hypothesis" in body else ""
    if hypothesis and ("[fault]" in hypothesis or "[expected behavior]" in hypothesis):
        check.add((*base, "hypothesis"), "still holds the template's [fault] or [expected behavior]: say what fault "
                                         "and what the system will do")
    metrics: list[SteadyMetric] = []
    if "steady_state" in body:
        spath = (*base, "steady_state")
        steady = check.mapping(body["steady_state"], spath, "the steady state (metrics)")
        if steady is not None:
            check.keys(steady, spath, STEADY_KEYS, ("metrics",))
            raw = steady.get("metrics")
            if not isinstance(raw, list) or not raw:
                if "metrics" in steady:
                    check.add((*spath, "metrics"), "must be a list of at least one metric (name, baseline, "
                                                   "acceptable_range)")
                raw = []
            for index, item in enumerate(raw):
                mpath = (*spath, "metrics", index)
                spec = check.mapping(item, mpath, "a steady-state metric")
                if spec is None:
                    continue
                check.keys(spec, mpath, METRIC_KEYS, ("name", "acceptable_range"))
                mname = check.text(spec, "name", mpath)
                baseline = str(spec.get("baseline") if spec.get("baseline") is not None else "").strip()
                accept = str(spec.get("acceptable_range") if spec.get("acceptable_range") is not None else "").strip()
                query = _query(check, spec["query"], (*mpath, "query")) if "query" in spec else ""
                parsed = parse_range(accept) if accept else None
                if query and parsed is None:
                    check.add((*mpath, "acceptable_range"), f"'{accept}' is not a range the query's value can be "
                                                            "checked against: write < 0.01, <= 500, > 99.5, >= 1 "
                                                            "or 0.1..0.5")
                if mname and accept:
                    metrics.append(SteadyMetric(mname, baseline, accept, query, parsed))
    fault_type = target = blast = ""
    duration: timedelta | None = None
    environment = "staging"
    if "method" in body:
        mpath = (*base, "method")
        method = check.mapping(body["method"], mpath, "the method (fault_type, target, blast_radius, duration)")
        if method is not None:
            check.keys(method, mpath, METHOD_KEYS, ("fault_type", "target", "duration"))
            fault_type = check.choice(method, "fault_type", mpath, FAULT_TYPES)
            target = check.text(method, "target", mpath)
            if target == "TARGET-SERVICE":
                check.add((*mpath, "target"), "still the template's TARGET-SERVICE: name the service")
                target = ""
            blast = check.text(method, "blast_radius", mpath)
            if "duration" in method:
                duration = check.duration(method, "duration", mpath)
                if duration is not None and not timedelta(minutes=1) <= duration <= MAX_DURATION:
                    check.add((*mpath, "duration"), "a fault runs from 1m to 24h")
                    duration = None
            environment = check.choice(method, "environment", mpath, ENVIRONMENTS) or "staging"
    aborts: list[AbortCondition] = []
    rollback = ""
    approvals: tuple[str, ...] = ()
    if "safety" in body:
        spath = (*base, "safety")
        safety = check.mapping(body["safety"], spath, "the safety net (abort_conditions, rollback_plan)")
        if safety is not None:
            check.keys(safety, spath, SAFETY_KEYS, ("abort_conditions", "rollback_plan"))
            raw = safety.get("abort_conditions")
            if not isinstance(raw, list) or not raw:
                if "abort_conditions" in safety:
                    check.add((*spath, "abort_conditions"), "must list at least one abort condition: no Game Day "
                                                            "without a way to stop it")
                raw = []
            for index, item in enumerate(raw):
                apath = (*spath, "abort_conditions", index)
                if isinstance(item, str):
                    if item.strip():
                        aborts.append(AbortCondition(item.strip()))
                    else:
                        check.add(apath, "is empty")
                    continue
                spec = check.mapping(item, apath, "an abort condition (text, or name and query)")
                if spec is None:
                    continue
                check.keys(spec, apath, ABORT_KEYS, ("name", "query"))
                aname = check.text(spec, "name", apath)
                query = _query(check, spec["query"], (*apath, "query")) if "query" in spec else ""
                if aname and query:
                    aborts.append(AbortCondition(aname, query))
            rollback = check.text(safety, "rollback_plan", spath)
            if isinstance(safety.get("rollback_plan"), str) and not rollback:
                check.add((*spath, "rollback_plan"), "is empty: say how the fault is removed if an abort condition "
                                                     "hits")
            approvals = check.texts(safety, "required_approvals", spath)
    results = Results()
    if "results" in body and body["results"] is not None:
        rpath = (*base, "results")
        raw_results = check.mapping(body["results"], rpath, "the results (outcome, observations, action_items)")
        if raw_results is not None:
            check.keys(raw_results, rpath, RESULT_KEYS)
            outcome = raw_results.get("outcome") or ""
            if outcome and (not isinstance(outcome, str) or outcome.strip().lower() not in OUTCOMES):
                check.add((*rpath, "outcome"), f"'{outcome}' is not an outcome: use {', '.join(OUTCOMES)}")
                outcome = ""
            results = Results(str(outcome).strip().lower(), check.texts(raw_results, "observations", rpath),
                              check.texts(raw_results, "action_items", rpath))
    if check.issues or not (name and hypothesis and target and fault_type and duration and aborts and rollback):
        return None, check.issues
    return Experiment(name=name, hypothesis=hypothesis, metrics=tuple(metrics), fault_type=fault_type, target=target,
                      blast_radius=blast, duration=duration, abort_conditions=tuple(aborts), rollback_plan=rollback,
                      approvals=approvals, environment=environment, results=results, source=source), []


def results_yaml(results: Results, indent: str = "  ") -> list[str]:
    """The ``results:`` block as it is written back into the experiment file."""
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    lines = [f"{indent}results:", f"{indent}  outcome: {results.outcome}"]
    for key, values in (("observations", results.observations), ("action_items", results.action_items)):
        if values:
            lines.append(f"{indent}  {key}:")
            lines += [f"{indent}    - {q(v)}" for v in values]
        else:
            lines.append(f"{indent}  {key}: []")
    return lines


# --- the Game Day runbook -------------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    key: str
    section: str  # pre-game | game day | post-game
    title: str


PRE_GAME = ("Experiment designed and reviewed", "Steady-state metrics identified", "Abort conditions defined",
            "All participants briefed", "Rollbacks tested in staging", "Stakeholders notified")
POST_GAME = ("Results documented", "Surprises noted", "Action items created", "Share findings in team meeting")
STAGES: tuple[Stage, ...] = (
    Stage("pregame", "pre-game", "Pre-game checklist (1 week before)"),
    Stage("baseline", "game day", "Verify steady state (15 min baseline)"),
    Stage("announce", "game day", "Announce in #engineering: \"Chaos Game Day starting\""),
    Stage("inject", "game day", "Inject fault"),
    Stage("observe", "game day", "Observe and document; if an abort condition hits, roll back immediately; run for "
                                 "the planned duration"),
    Stage("remove", "game day", "Remove fault"),
    Stage("recovery", "game day", "Verify recovery to steady state"),
    Stage("results", "post-game", "Post-game: results, surprises, action items"),
)
BASELINE = timedelta(minutes=15)
STAGE_KEYS = tuple(s.key for s in STAGES)


@dataclass(frozen=True)
class GameDayState:
    """Where a Game Day stands, read back from its timeline (entries with ``data.gameday``)."""

    done: tuple[str, ...] = ()
    aborted: bool = False
    abort_reason: str = ""
    injected_at: datetime | None = None
    removed_at: datetime | None = None

    @property
    def stage(self) -> Stage | None:
        """The next stage to do; None when the Game Day is over."""
        for stage in STAGES:
            if stage.key == "observe":
                if self.injected_at is not None and self.removed_at is None:
                    return stage
                continue
            if stage.key not in self.done:
                return stage
        return None

    @property
    def fault_on(self) -> bool:
        return self.injected_at is not None and self.removed_at is None


def game_day_state(records: Sequence[tuple[datetime, Mapping[str, Any]]]) -> GameDayState:
    """``records``: (time, data) of the exercise's entries, oldest first."""
    done: list[str] = []
    aborted, reason = False, ""
    injected = removed = None
    for at, data in records:
        key = data.get("gameday")
        if key not in STAGE_KEYS and key != "abort":
            continue
        if key == "inject":
            injected = at
        if key in ("remove", "abort"):
            removed = removed or at
            if "remove" not in done:
                done.append("remove")
        if key == "abort":
            aborted, reason = True, str(data.get("condition", ""))
        elif key not in done:
            done.append(str(key))
    return GameDayState(tuple(done), aborted, reason, injected, removed)


def check_range(metric: SteadyMetric, values: Sequence[float]) -> tuple[bool, str]:
    """Whether every value of a steady-state metric over the baseline lies in its acceptable range."""
    assert metric.range is not None
    if not values:
        return False, f"{metric.name}: no data"
    outside = [v for v in values if not metric.range.holds(v)]
    if outside:
        return False, (f"{metric.name}: {len(outside)} of {len(values)} readings outside {metric.acceptable_range} "
                       f"(worst {max(outside, key=abs):.4g})")
    return True, f"{metric.name}: {len(values)} readings within {metric.acceptable_range} (last {values[-1]:.4g})"


# --- maturity -----------------------------------------------------------------------------
MATURITY = {0: "None", 1: "Exploratory", 2: "Systematic", 3: "Production", 4: "Continuous"}
MATURITY_ACTIVITIES = {0: "No chaos testing", 1: "Manual fault injection in staging",
                       2: "Scheduled chaos experiments in staging", 3: "Controlled chaos in production (Game Days)",
                       4: "Automated chaos in production with safety controls"}


@dataclass(frozen=True)
class Run:
    """One chaos experiment run on a service (a Game Day walked in the cockpit, or recorded)."""

    at: datetime
    environment: str = "staging"
    automated: bool = False
    watched: bool = False  # abort conditions were watched as queries while the fault was on
    completed: bool = True  # reached its results (an aborted run that recorded results is completed)


def maturity(runs: Sequence[Run], today: date) -> tuple[int, str]:
    """The seed's chaos maturity level (0-4) from a service's runs, with the reason.

    * 0: no run; 1: runs, but not on a schedule; 2 (systematic): a completed run in each of the last three
      30-day periods; 3 (production): systematic, and a completed production Game Day in the last 90 days;
    * 4 (continuous): production, and at least four automated production runs with watched abort conditions in
      the last 30 days.
    """
    end = datetime(today.year, today.month, today.day, tzinfo=None) + timedelta(days=1)

    def naive(at: datetime) -> datetime:  # runs are stored in UTC; today is a UTC date
        return at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)

    done = [r for r in runs if r.completed and naive(r.at) < end]
    if not runs:
        return 0, MATURITY_ACTIVITIES[0]
    if not done:
        return 1, "runs started, none completed yet"
    periods = [sum(1 for r in done if end - timedelta(days=30 * (k + 1)) <= naive(r.at) < end - timedelta(days=30 * k))
               for k in range(3)]
    if not all(periods):
        return 1, f"{len(done)} completed run(s), not one in each of the last three 30-day periods"
    prod = [r for r in done if r.environment == "production" and naive(r.at) >= end - timedelta(days=90)]
    if not prod:
        return 2, "a run in each of the last three 30-day periods; no production Game Day in 90 days"
    auto = [r for r in prod if r.automated and r.watched and naive(r.at) >= end - timedelta(days=30)]
    if len(auto) >= 4:
        return 4, f"{len(auto)} automated production runs with watched abort conditions in 30 days"
    return 3, f"{len(prod)} production Game Day(s) in 90 days, on a schedule"
