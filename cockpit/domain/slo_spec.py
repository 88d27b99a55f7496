"""SLO files: the seed's "SLI Specification Template", "SLO Document Template" and "Error Budget Policy" as
one YAML file per service, or an OpenSLO v1 ``kind: SLO`` document with a Prometheus ``ratioMetric``.

Validation is pure, like runbooks: it takes parsed data and returns every problem as (field path, message);
the caller turns paths into ``file:line:column``. A message starting with ``warning:`` does not make the file
invalid.

The cockpit's additions to the seed's shapes (all optional unless said):

* top level: ``service`` (required), ``policy`` (``platform``, the default, or ``operating``);
* ``sli.prometheus``: ``good`` or ``bad``, and ``total`` (required to measure): Prometheus series selectors of
  counters such as ``http_requests_total{service="checkout-api",code!~"5.."}``, or expressions holding
  ``$window`` where the range goes; ``timeslice: {slice: 1m, threshold: 99}`` makes it a time-slice SLI (a
  slice is good when at least ``threshold`` % of its events are good);
* ``slo``: ``sla`` (the contract's percentage) and ``runbook`` (the link every generated alert carries).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from cockpit.domain.checks import BaseChecker, Issue, Path_, type_name
from cockpit.domain.slo import (
    PLATFORM,
    POLICIES,
    SEED_ALERTS,
    BudgetPolicy,
    BurnAlert,
    PolicyState,
    budget_time,
    format_duration,
    parse_duration,
)

MIN_WINDOW = timedelta(days=1)
MAX_WINDOW = timedelta(days=400)
MAX_QUERY = 2000
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_METRIC = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_MATCHER = r'\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*'
SELECTOR = re.compile(rf"(?:{_METRIC})?\{{(?:{_MATCHER}(?:,{_MATCHER})*,?)?\s*\}}|{_METRIC}")
WINDOW_PLACEHOLDER = "$window"


@dataclass(frozen=True)
class Measure:
    """How Prometheus measures an SLI: selectors (or ``$window`` expressions) of event counters."""

    total: str
    good: str = ""
    bad: str = ""
    slice: timedelta | None = None  # time-slice SLI when set
    slice_threshold: float = 0.0  # percent of good events that makes a slice good

    @property
    def kind(self) -> str:
        return "timeslice" if self.slice else "ratio"


@dataclass(frozen=True)
class SloDefinition:
    service: str
    sli: str
    target: float
    window: timedelta
    measure: Measure | None
    alerts: tuple[BurnAlert, ...] = SEED_ALERTS
    policy: BudgetPolicy = PLATFORM
    sla: float | None = None
    runbook: str = ""
    owner: str = ""
    sli_type: str = ""
    description: str = ""
    source: str = ""
    escalation: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.service}/{self.sli}"

    @property
    def budget_minutes(self) -> float:
        return budget_time(self.target, self.window).total_seconds() / 60


@dataclass
class SloFile:
    service: str
    slos: list[SloDefinition] = field(default_factory=list)


# --- checking helpers --------------------------------------------------------------------------
class SpecChecker(BaseChecker):
    """The SLO files' checker: text, names, percentages, durations, queries."""

    def text(self, data: Mapping[str, Any], key: str, path: Path_) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.add((*path, key), f"must be text, not {type_name(value)}")
            return ""
        if "\x00" in value:
            self.add((*path, key), "contains a NUL character")
            return ""
        return value.strip()

    def texts(self, data: Mapping[str, Any], key: str, path: Path_) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add((*path, key), f"must be a list of text, not {type_name(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add((*path, key, i), f"must be text, not {type_name(item)}")
            else:
                out.append(item.strip())
        return tuple(out)

    def name(self, data: Mapping[str, Any], key: str, path: Path_) -> str:
        value = self.text(data, key, path)
        if value and not NAME.fullmatch(value):
            self.add((*path, key), f"'{value}' is not a usable name: letters, digits, '_', '.', '-' (up to 80)")
            return ""
        return value

    def percent(self, data: Mapping[str, Any], key: str, path: Path_, what: str) -> float | None:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown = f"'{value}'" if isinstance(value, str) else type_name(value)
            self.add((*path, key), f"{shown} is not a number: give the {what} as a percentage such as 99.9")
            return None
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            self.add((*path, key), f"must be a finite percentage such as 99.9, not {value}")
            return None
        if number == 100:
            self.add((*path, key), "100 % leaves no error budget: don't aim for 100 % (the seed); each nine "
                                   "costs ~10x more, so pick a target such as 99.9")
            return None
        if number > 100:
            self.add((*path, key), f"{value} is above 100: give a percentage below 100, such as 99.9")
            return None
        if number <= 0:
            self.add((*path, key), f"{value} is not a usable {what}: give a percentage between 0 and 100")
            return None
        if number < 1:
            self.add((*path, key), f"{value} looks like a fraction: give a percentage (0.999 → 99.9)")
            return None
        return number

    def duration(self, data: Mapping[str, Any], key: str, path: Path_) -> timedelta | None:
        value = data.get(key)
        parsed = parse_duration(value)
        if parsed is None:
            shown = f"'{value}'" if isinstance(value, str) else type_name(value)
            self.add((*path, key), f"{shown} is not a duration: use a number and a unit (s, m, h, d, w), "
                                   "such as 5m, 1h, 28d, 30d or 4w")
        return parsed

    def query(self, value: object, path: Path_) -> str:
        if not isinstance(value, str) or not value.strip():
            self.add(path, f"must be a Prometheus series selector such as http_requests_total{{code!~\"5..\"}}, "
                           f"not {type_name(value)}")
            return ""
        text = value.strip()
        if len(text) > MAX_QUERY:
            self.add(path, f"is longer than {MAX_QUERY} characters")
            return ""
        if re.search(r"[\x00-\x1f\x7f]", text.replace("\n", " ")):
            self.add(path, "contains control characters")
            return ""
        if WINDOW_PLACEHOLDER in text:
            return text
        if not SELECTOR.fullmatch(text):
            self.add(path, "is neither a series selector (metric{label=\"value\",...}) nor an expression with "
                           f"{WINDOW_PLACEHOLDER} where the range goes")
            return ""
        return text


# --- the cockpit's format (seed templates) -------------------------------------------------------
TOP_KEYS = {"service", "policy", "slis", "slos", "error_budget_policy"}
SLI_KEYS = {"name", "description", "type", "measurement", "exclusions", "prometheus"}
MEASUREMENT_KEYS = {"good_events", "total_events", "source", "aggregation"}
PROM_KEYS = {"good", "bad", "total", "timeslice"}
SLICE_KEYS = {"slice", "threshold"}
SLO_KEYS = {"service", "sli", "target", "window", "error_budget", "error_budget_minutes", "burn_rate_alerts",
            "review_cadence", "owner", "stakeholders", "escalation_when_budget_exhausted", "sla", "runbook"}
ALERT_KEYS = {"name", "burn_rate", "short_window", "long_window", "severity"}
POLICY_KEYS = {"service", "budget_states", "exceptions", "reset"}
STATE_KEYS = {"condition", "actions"}
SLI_TYPES = ("availability", "latency", "quality", "freshness")


def _unwrap(item: object, key: str) -> tuple[object, Path_]:
    if isinstance(item, dict) and set(item) == {key}:
        return item[key], (key,)
    return item, ()


def validate(data: object, source: str = "") -> tuple[SloFile | None, list[Issue]]:
    """Check parsed YAML (the cockpit's seed-template format or OpenSLO v1); return the SLOs and every problem."""
    if data is None:
        return None, [((), "the file is empty; see sample_data/slos/ for the shape")]
    if isinstance(data, dict) and ("apiVersion" in data or data.get("kind") == "SLO"):
        return validate_openslo(data, source)
    check = SpecChecker()
    body = check.mapping(data, (), "an SLO file")
    if body is None:
        return None, check.issues
    check.keys(body, (), TOP_KEYS, ("service", "slos"))
    service = check.name(body, "service", ())
    policy = PLATFORM
    raw_policy = body.get("policy", "platform")
    if not isinstance(raw_policy, str) or raw_policy not in POLICIES:  # a list or a mapping cannot be looked up
        shown = f"'{raw_policy}'" if isinstance(raw_policy, str) else type_name(raw_policy)
        check.add(("policy",), f"{shown} is not a policy: use platform (the default: healthy, warning, "
                               "critical, exhausted) or operating (the shorter one)")
    else:
        policy = POLICIES[raw_policy]
    if "error_budget_policy" in body:
        policy = _policy_document(check, body["error_budget_policy"], policy, service)

    slis: dict[str, tuple[Mapping[str, Any], Path_]] = {}
    raw_slis = body.get("slis", [])
    if not isinstance(raw_slis, list):
        check.add(("slis",), f"must be a list of SLI specifications, not {type_name(raw_slis)}")
        raw_slis = []
    for index, item in enumerate(raw_slis):
        inner, wrap = _unwrap(item, "sli")
        path: Path_ = ("slis", index, *wrap)
        spec = check.mapping(inner, path, "an SLI specification")
        if spec is None:
            continue
        check.keys(spec, path, SLI_KEYS, ("name",))
        name = check.name(spec, "name", path)
        if name in slis:
            check.add((*path, "name"), f"the SLI '{name}' is given twice")
        elif name:
            slis[name] = (spec, path)

    slos: list[SloDefinition] = []
    raw_slos = body.get("slos", [])
    if not isinstance(raw_slos, list) or not raw_slos:
        if "slos" in body:
            check.add(("slos",), "must be a list of at least one SLO document")
        raw_slos = []
    seen: set[str] = set()
    for index, item in enumerate(raw_slos):
        inner, wrap = _unwrap(item, "slo")
        path = ("slos", index, *wrap)
        made = _slo(check, inner, path, service, slis, policy, source)
        if made is None:
            continue
        if made.key in seen:
            check.add((*path, "sli"), f"a second SLO for the SLI '{made.sli}'; one SLO per SLI")
            continue
        seen.add(made.key)
        slos.append(made)
    errors = [i for i in check.issues if not i[1].startswith("warning:")]
    if errors or not service:
        return None, check.issues
    return SloFile(service, slos), check.issues


def _sli_type(check: SpecChecker, spec: Mapping[str, Any], path: Path_) -> str:
    kind = check.text(spec, "type", path)
    if kind and kind not in SLI_TYPES:
        check.add((*path, "type"), f"'{kind}' is not an SLI type: use one of {', '.join(SLI_TYPES)}")
    return kind


def _measure(check: SpecChecker, spec: Mapping[str, Any], path: Path_) -> Measure | None:
    if "measurement" in spec and spec["measurement"] is not None:
        measurement = check.mapping(spec["measurement"], (*path, "measurement"), "the measurement")
        if measurement is not None:
            check.keys(measurement, (*path, "measurement"), MEASUREMENT_KEYS)
            for key in MEASUREMENT_KEYS:
                check.text(measurement, key, (*path, "measurement"))
    check.texts(spec, "exclusions", path)
    check.text(spec, "description", path)
    if "prometheus" not in spec:
        return None
    ppath = (*path, "prometheus")
    prom = check.mapping(spec["prometheus"], ppath, "the Prometheus queries")
    if prom is None:
        return None
    check.keys(prom, ppath, PROM_KEYS, ("total",))
    if ("good" in prom) == ("bad" in prom):
        check.add(ppath, "give either good or bad (the events that count for or against the SLO), and total")
    total = check.query(prom.get("total"), (*ppath, "total")) if "total" in prom else ""
    good = check.query(prom["good"], (*ppath, "good")) if "good" in prom else ""
    bad = check.query(prom["bad"], (*ppath, "bad")) if "bad" in prom else ""
    slice_, threshold = None, 0.0
    if "timeslice" in prom:
        tpath = (*ppath, "timeslice")
        ts = check.mapping(prom["timeslice"], tpath, "the time slicing")
        if ts is not None:
            check.keys(ts, tpath, SLICE_KEYS, ("slice", "threshold"))
            slice_ = check.duration(ts, "slice", tpath) if "slice" in ts else None
            if slice_ is not None and not timedelta(seconds=10) <= slice_ <= timedelta(hours=1):
                check.add((*tpath, "slice"), "a slice lasts from 10s to 1h")
                slice_ = None
            threshold = check.percent(ts, "threshold", tpath, "share of good events in a good slice") or 0.0
    if not total or not (good or bad):
        return None
    return Measure(total=total, good=good, bad=bad, slice=slice_, slice_threshold=threshold)


def _alerts(check: SpecChecker, value: object, path: Path_, window: timedelta | None) -> tuple[BurnAlert, ...]:
    if value is None:
        return SEED_ALERTS
    if not isinstance(value, list) or not value:
        check.add(path, "must be a list of burn-rate alerts (name, burn_rate, short_window, long_window, severity)")
        return SEED_ALERTS
    alerts = []
    names: set[str] = set()
    for index, item in enumerate(value):
        apath = (*path, index)
        spec = check.mapping(item, apath, "a burn-rate alert")
        if spec is None:
            continue
        check.keys(spec, apath, ALERT_KEYS, ("name", "burn_rate", "short_window", "long_window"))
        name = check.name(spec, "name", apath)
        if name in names:
            check.add((*apath, "name"), f"the alert '{name}' is given twice")
        names.add(name)
        factor = spec.get("burn_rate")
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor <= 1000:
            if "burn_rate" in spec:
                check.add((*apath, "burn_rate"), "must be a burn-rate factor above 0, such as 14.4")
            factor = None
        short = check.duration(spec, "short_window", apath) if "short_window" in spec else None
        long = check.duration(spec, "long_window", apath) if "long_window" in spec else None
        if short is not None and long is not None and short >= long:
            check.add((*apath, "short_window"), f"the short window ({format_duration(short)}) must be shorter "
                                                f"than the long window ({format_duration(long)})")
            continue
        if long is not None and window is not None and long > window:
            check.add((*apath, "long_window"), f"is longer than the SLO's window ({format_duration(window)})")
            continue
        severity = spec.get("severity", "page")
        if severity not in ("page", "ticket"):
            check.add((*apath, "severity"), f"'{severity}' is not an alert severity: use page or ticket")
            continue
        if name and factor is not None and short is not None and long is not None:
            alerts.append(BurnAlert(name, float(factor), short, long, str(severity)))
    return tuple(alerts) or SEED_ALERTS


def _slo(check: SpecChecker, value: object, path: Path_, service: str,
         slis: Mapping[str, tuple[Mapping[str, Any], Path_]], policy: BudgetPolicy,
         source: str) -> SloDefinition | None:
    spec = check.mapping(value, path, "an SLO document")
    if spec is None:
        return None
    check.keys(spec, path, SLO_KEYS, ("sli", "target", "window"))
    own_service = check.text(spec, "service", path)
    if own_service and service and own_service != service:
        check.add((*path, "service"), f"'{own_service}' differs from the file's service '{service}'; one "
                                      "service's SLOs per file")
    sli_name = check.name(spec, "sli", path)
    target = check.percent(spec, "target", path, "target") if "target" in spec else None
    window = check.duration(spec, "window", path) if "window" in spec else None
    if window is not None and not MIN_WINDOW <= window <= MAX_WINDOW:
        check.add((*path, "window"), "an SLO window lasts from 1d to 400d (28d, 30d and 4w are usual)")
        window = None
    if target is not None and "error_budget" in spec:
        budget = spec["error_budget"]
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or abs(budget - (100 - target)) > 1e-6:
            check.add((*path, "error_budget"), f"must be 100 − target = {100 - target:g} (the seed: error "
                                               "budget = 1 − SLO target)")
    if target is not None and window is not None and "error_budget_minutes" in spec:
        minutes = spec["error_budget_minutes"]
        actual = budget_time(target, window).total_seconds() / 60
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or abs(minutes - actual) >= 1:
            check.add((*path, "error_budget_minutes"), f"is {actual:.1f} minutes for {target:g} % over "
                                                       f"{format_duration(window)}")
    sla = None
    if "sla" in spec:
        sla = check.percent(spec, "sla", path, "SLA")
        if sla is not None and target is not None:
            if target <= sla:
                check.add((*path, "target"), f"the SLO ({target:g} %) must be stricter than the SLA ({sla:g} %): "
                                             "the seed's \"SLO < SLA\" buffer catches problems before the contract "
                                             "is breached")
            elif target - sla < 0.1 - 1e-9:
                check.add((*path, "sla"), f"warning: only {target - sla:.2g} points between the SLO ({target:g} %) "
                                          f"and the SLA ({sla:g} %); the seed's usual buffer is 0.1-0.5")
    alerts = _alerts(check, spec.get("burn_rate_alerts"), (*path, "burn_rate_alerts"), window)
    owner = check.text(spec, "owner", path)
    check.text(spec, "review_cadence", path)
    check.texts(spec, "stakeholders", path)
    escalation = check.texts(spec, "escalation_when_budget_exhausted", path)
    runbook = check.text(spec, "runbook", path)
    measure, sli_type, description = None, "", ""
    if sli_name:
        if sli_name not in slis:
            known = ", ".join(sorted(slis)) or "none"
            check.add((*path, "sli"), f"no SLI named '{sli_name}' in this file's slis (known: {known})")
        else:
            sli_spec, sli_path = slis[sli_name]
            measure = _measure(check, sli_spec, sli_path)
            sli_type = _sli_type(check, sli_spec, sli_path)
            description = check.text(sli_spec, "description", sli_path)
    if not (service and sli_name and target is not None and window is not None):
        return None
    return SloDefinition(service=service, sli=sli_name, target=target, window=window, measure=measure,
                         alerts=alerts, policy=policy, sla=sla, runbook=runbook, owner=owner, sli_type=sli_type,
                         description=description, source=source, escalation=escalation)


_CONDITION = re.compile(r"remaining_budget\s*(?:(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*%?|(\d+(?:\.\d+)?)\s*-\s*"
                        r"(\d+(?:\.\d+)?)\s*%)\s*")


def _policy_document(check: SpecChecker, value: object, policy: BudgetPolicy, service: str) -> BudgetPolicy:
    """The seed's "Error Budget Policy" document: its actions, exceptions and reset replace the defaults.
    Its conditions must be the policy's own thresholds (they are checked, not guessed at)."""
    path: Path_ = ("error_budget_policy",)
    doc = check.mapping(value, path, "the seed's error budget policy")
    if doc is None:
        return policy
    check.keys(doc, path, POLICY_KEYS, ("budget_states",))
    own = check.text(doc, "service", path)
    if own and service and own != service:
        check.add((*path, "service"), f"'{own}' differs from the file's service '{service}'")
    states = check.mapping(doc.get("budget_states", {}), (*path, "budget_states"), "the budget states")
    if states is None:
        return policy
    names = [s.name for s in policy.states]
    check.keys(states, (*path, "budget_states"), set(names), names)
    new_states: list[PolicyState] = []
    for state in policy.states:
        spath = (*path, "budget_states", state.name)
        raw = states.get(state.name)
        spec = check.mapping(raw, spath, f"the '{state.name}' state") if raw is not None else None
        if spec is None:
            new_states.append(state)
            continue
        check.keys(spec, spath, STATE_KEYS, ("condition", "actions"))
        condition = check.text(spec, "condition", spath)
        if condition and _normal(condition) != _normal(state.condition):
            check.add((*spath, "condition"), f"'{condition}' differs from the {policy.name} policy's "
                                             f"'{state.condition}'; the cockpit applies the policy's thresholds")
        actions = check.texts(spec, "actions", spath)
        new_states.append(replace(state, actions=actions or state.actions))
    exceptions = check.texts(doc, "exceptions", path)
    reset = check.text(doc, "reset", path)
    return replace(policy, states=tuple(new_states), exceptions=exceptions or policy.exceptions,
                   reset=reset or policy.reset)


def _normal(condition: str) -> str:
    match = _CONDITION.fullmatch(condition.strip())
    if not match:
        return condition.strip().lower()
    if match.group(1):
        return f"{match.group(1)}{float(match.group(2)):g}"
    return f"{float(match.group(3)):g}-{float(match.group(4)):g}"


# --- OpenSLO v1 ----------------------------------------------------------------------------------
OPENSLO_TOP = {"apiVersion", "kind", "metadata", "spec"}
OPENSLO_SPEC = {"description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod",
                "objectives", "alertPolicies"}


def validate_openslo(data: Mapping[str, Any], source: str = "") -> tuple[SloFile | None, list[Issue]]:
    """An OpenSLO v1 ``kind: SLO`` with an inline indicator holding a Prometheus ``ratioMetric``."""
    check = SpecChecker()
    check.keys(data, (), OPENSLO_TOP, ("apiVersion", "kind", "metadata", "spec"))
    if data.get("apiVersion") != "openslo/v1":
        check.add(("apiVersion",), "only openslo/v1 is read")
    if data.get("kind") != "SLO":
        check.add(("kind",), f"'{data.get('kind')}' is not read here: only kind: SLO (with an inline indicator)")
    meta = check.mapping(data.get("metadata"), ("metadata",), "the metadata") if "metadata" in data else None
    name = check.name(meta, "name", ("metadata",)) if meta is not None else ""
    spec = check.mapping(data.get("spec"), ("spec",), "the SLO spec") if "spec" in data else None
    if spec is None:
        return None, check.issues
    check.keys(spec, ("spec",), OPENSLO_SPEC, ("service", "timeWindow", "budgetingMethod", "objectives"))
    service = check.name(spec, "service", ("spec",))
    if "indicatorRef" in spec:
        check.add(("spec", "indicatorRef"), "a referenced indicator is not read: put the SLI inline under indicator")
    window = None
    windows = spec.get("timeWindow")
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], dict):
        check.add(("spec", "timeWindow"), "must be a list of exactly one window, e.g. [{duration: 28d, "
                                          "isRolling: true}]")
    else:
        window = check.duration(windows[0], "duration", ("spec", "timeWindow", 0))
        if windows[0].get("isRolling") is not True:
            check.add(("spec", "timeWindow", 0, "isRolling"), "only rolling windows are supported (isRolling: true)")
    method = spec.get("budgetingMethod")
    if method not in ("Occurrences", "Timeslices"):
        check.add(("spec", "budgetingMethod"), f"'{method}' is not supported: use Occurrences or Timeslices")
    measure = None
    indicator = spec.get("indicator")
    ipath: Path_ = ("spec", "indicator")
    ind = check.mapping(indicator, ipath, "an inline indicator") if "indicator" in spec else None
    if ind is None and "indicatorRef" not in spec:
        check.add(ipath, "this field is required")
    sli_name = name
    if ind is not None:
        imeta = ind.get("metadata")
        if isinstance(imeta, dict) and isinstance(imeta.get("name"), str):
            sli_name = check.name(imeta, "name", (*ipath, "metadata")) or name
        ispec = check.mapping(ind.get("spec"), (*ipath, "spec"), "the indicator spec")
        ratio = ispec.get("ratioMetric") if ispec is not None else None
        rpath = (*ipath, "spec", "ratioMetric")
        rm = check.mapping(ratio, rpath, "a ratioMetric (good or bad, and total)") if ispec is not None else None
        if rm is not None:
            queries: dict[str, str] = {}
            for part in ("good", "bad", "total"):
                if part not in rm:
                    continue
                src = rm[part].get("metricSource") if isinstance(rm[part], dict) else None
                spath = (*rpath, part, "metricSource")
                if not isinstance(src, dict):
                    check.add(spath, "this field is required")
                    continue
                if str(src.get("type", "")).lower() != "prometheus":
                    check.add((*spath, "type"), f"'{src.get('type')}' is not read: only Prometheus sources")
                    continue
                qspec = src.get("spec")
                if not isinstance(qspec, dict) or "query" not in qspec:
                    check.add((*spath, "spec"), "needs query: a Prometheus series selector")
                    continue
                queries[part] = check.query(qspec["query"], (*spath, "spec", "query"))
            if ("good" in rm) == ("bad" in rm) or "total" not in rm:
                check.add(rpath, "give good or bad, and total")
            elif queries.get("total") and (queries.get("good") or queries.get("bad")):
                measure = Measure(total=queries["total"], good=queries.get("good", ""), bad=queries.get("bad", ""))
    objectives = spec.get("objectives")
    slos = []
    if not isinstance(objectives, list) or not objectives:
        check.add(("spec", "objectives"), "must be a list of at least one objective")
        objectives = []
    for index, item in enumerate(objectives):
        opath: Path_ = ("spec", "objectives", index)
        obj = check.mapping(item, opath, "an objective")
        if obj is None:
            continue
        target: float | None = None
        if "targetPercent" in obj:
            target = check.percent(obj, "targetPercent", opath, "target")
        elif "target" in obj:
            raw = obj["target"]
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw < 1:
                msg = ("1 leaves no error budget: don't aim for 100 %" if raw == 1 else
                       "must be a fraction between 0 and 1 (0.999 for 99.9 %)")
                check.add((*opath, "target"), msg)
            else:
                target = round(float(raw) * 100, 10)
        else:
            check.add(opath, "needs target (0-1) or targetPercent")
        slice_measure = measure
        if method == "Timeslices" and measure is not None:
            slice_ = check.duration(obj, "timeSliceWindow", opath) if "timeSliceWindow" in obj else None
            raw_t = obj.get("timeSliceTarget")
            if slice_ is None or isinstance(raw_t, bool) or not isinstance(raw_t, (int, float)) or not 0 < raw_t <= 1:
                check.add(opath, "Timeslices needs timeSliceWindow (e.g. 1m) and timeSliceTarget (0-1)")
                slice_measure = None
            else:
                slice_measure = replace(measure, slice=slice_, slice_threshold=float(raw_t) * 100)
        objective_name = sli_name if len(objectives) == 1 else f"{sli_name}-{index + 1}"
        if target is not None and window is not None and service and objective_name:
            slos.append(SloDefinition(service=service, sli=objective_name, target=target, window=window,
                                      measure=slice_measure, description=str(spec.get("description") or ""),
                                      source=source))
    errors = [i for i in check.issues if not i[1].startswith("warning:")]
    if errors:
        return None, check.issues
    return SloFile(service, slos), check.issues
