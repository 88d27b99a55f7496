"""Alerts as the on-call engineer meets them: the seed's P0–P3 severity guide, Alertmanager's grouping, what changed
between two looks at the alert stream, what to propose when an alert becomes an incident, the matchers of an
acknowledging silence, and the seed's alert design rules checked on rule files.

Pure: the source (``cockpit.sources.alertmanager``) fetches, the service (``cockpit.service.alerts``) keeps the
log, this module decides. Everything from the server is held as plain text; showing it safely is the screens' job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from cockpit.domain.severity import Impact, Scope
from cockpit.textsafe import one_line

#: Bounds on what one alert may carry (a hostile or broken server never fills the store).
MAX_LABELS = 64
MAX_NAME = 200
MAX_VALUE = 4096
MAX_ALERTS = 50_000

DEFAULT_GROUP_BY: tuple[str, ...] = ("alertname", "service")


class Level(Enum):
    """The seed's alert severity guide."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @property
    def word(self) -> str:
        return {"P0": "Page", "P1": "Urgent", "P2": "Ticket", "P3": "Log"}[self.value]

    @property
    def response(self) -> str:
        """The guide's response time."""
        return {"P0": "<5 min", "P1": "<30 min", "P2": "next business day", "P3": "weekly review"}[self.value]

    @property
    def response_minutes(self) -> int | None:
        return {"P0": 5, "P1": 30}.get(self.value)

    @property
    def pages(self) -> bool:
        """Whether it wakes someone up (the on-call health figures count these)."""
        return self is Level.P0

    @property
    def label(self) -> str:
        return f"{self.value}/{self.word}"


#: ``severity`` label values and the level each means; Prometheus' usual words map onto the guide.
SEVERITY_WORDS: dict[str, Level] = {
    "p0": Level.P0, "page": Level.P0, "critical": Level.P0,
    "p1": Level.P1, "urgent": Level.P1, "error": Level.P1, "warning": Level.P1,
    "p2": Level.P2, "ticket": Level.P2,
    "p3": Level.P3, "log": Level.P3, "info": Level.P3, "none": Level.P3,
}


def level_of(labels: Mapping[str, str]) -> Level | None:
    """The guide's level from the ``severity`` label (or ``priority``); None when it names no level."""
    for key in ("severity", "priority"):
        value = labels.get(key)
        if value is not None and value.strip().casefold() in SEVERITY_WORDS:
            return SEVERITY_WORDS[value.strip().casefold()]
    return None


@dataclass(frozen=True)
class Alert:
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    state: str = "active"  # active | suppressed | unprocessed (Alertmanager's words)
    silenced_by: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def service(self) -> str:
        return self.labels.get("service", "")

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or self.name

    @property
    def level(self) -> Level | None:
        return level_of(self.labels)

    @property
    def silenced(self) -> bool:
        return bool(self.silenced_by) or self.state == "suppressed"


class BadRecord(ValueError):
    """One alert of the answer could not be read; it is quarantined and the rest goes on."""


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint: FNV-1a 64-bit over the names and values sorted by name, each followed by 0xff."""
    value = 0xCBF29CE484222325
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode("utf-8") + b"\xff":
                value ^= byte
                value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def _text_map(raw: object, what: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadRecord(f"its {what} are not a mapping")
    if len(raw) > MAX_LABELS:
        raise BadRecord(f"it has {len(raw)} {what}; at most {MAX_LABELS} are read")
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise BadRecord(f"one of its {what} is not text")
        out[key[:MAX_NAME]] = value[:MAX_VALUE]
    return out


def parse_time(raw: object) -> datetime | None:
    """An RFC 3339 time from the server (nanoseconds cut to microseconds); None for absent or the zero time."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadRecord("a time is not RFC 3339 text")
    text = raw.strip().replace("Z", "+00:00").replace("z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRecord(f"'{raw[:40]}' is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.year <= 1:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is in the year 10000 in UTC
        raise BadRecord(f"'{raw[:40]}' is a time past the year 9999 in UTC") from None


def parse_alert(item: object) -> Alert:
    """One item of ``GET /api/v2/alerts``; ``BadRecord`` says why it cannot be used."""
    if not isinstance(item, dict):
        raise BadRecord("it is not an object")
    labels = _text_map(item.get("labels"), "labels")
    if not labels:
        raise BadRecord("it has no labels")
    annotations = _text_map(item.get("annotations"), "annotations")
    starts = parse_time(item.get("startsAt"))
    if starts is None:
        raise BadRecord("it has no startsAt")
    ends = parse_time(item.get("endsAt"))
    fp = item.get("fingerprint")
    if fp is None:
        fp = fingerprint(labels)
    if not isinstance(fp, str) or not re.fullmatch(r"[0-9a-fA-F]{1,32}", fp):
        raise BadRecord("its fingerprint is not hexadecimal")
    status = item.get("status")
    state = "active"
    silenced_by: tuple[str, ...] = ()
    if isinstance(status, dict):
        raw_state = status.get("state")
        if isinstance(raw_state, str) and raw_state in ("active", "suppressed", "unprocessed"):
            state = raw_state
        raw_by = status.get("silencedBy")
        if isinstance(raw_by, list):
            silenced_by = tuple(str(s)[:64] for s in raw_by[:20] if isinstance(s, str))
    return Alert(fp.lower(), labels, annotations, starts, ends, state, silenced_by)


def parse_alerts(payload: object) -> tuple[list[Alert], list[str]]:
    """Every readable alert of an answer, and one sentence per quarantined record."""
    if not isinstance(payload, list):
        raise BadRecord("the answer is not a list of alerts")
    alerts: list[Alert] = []
    problems: list[str] = []
    first_at: dict[str, int] = {}  # fingerprint → the number of the alert that carried it first
    for index, item in enumerate(payload[:MAX_ALERTS]):
        try:
            alert = parse_alert(item)
        except BadRecord as exc:
            problems.append(f"alert #{index + 1}: {exc}")
            continue
        if alert.fingerprint in first_at:  # Alertmanager never repeats one: which of the two is true is unknown
            problems.append(f"alert #{index + 1}: its fingerprint {alert.fingerprint} is also alert "
                            f"#{first_at[alert.fingerprint]}'s; only the first is read")
            continue
        first_at[alert.fingerprint] = index + 1
        alerts.append(alert)
    if len(payload) > MAX_ALERTS:
        problems.append(f"{len(payload) - MAX_ALERTS:,} alerts past the first {MAX_ALERTS:,} were not read")
    return alerts, problems


# --- grouping ------------------------------------------------------------------------------------
def group_key(labels: Mapping[str, str], group_by: Sequence[str] = DEFAULT_GROUP_BY) -> str:
    """Alertmanager's way: the values of the group-by labels (a missing label is empty)."""
    return ",".join(f"{name}={labels.get(name, '')}" for name in group_by)


def group_labels(labels: Mapping[str, str], group_by: Sequence[str] = DEFAULT_GROUP_BY) -> dict[str, str]:
    return {name: labels[name] for name in group_by if name in labels}


# --- what changed --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seen:
    """What the log knew of an alert before this look."""

    fingerprint: str
    state: str  # firing | silenced | resolved


@dataclass
class Changes:
    fired: list[Alert] = field(default_factory=list)  # new, or firing again after it resolved
    silenced: list[Alert] = field(default_factory=list)  # was firing, now silenced
    unsilenced: list[Alert] = field(default_factory=list)  # was silenced, firing again
    still: list[Alert] = field(default_factory=list)  # no change of state
    resolved: list[str] = field(default_factory=list)  # fingerprints gone from the answer

    @property
    def any(self) -> bool:
        return bool(self.fired or self.silenced or self.unsilenced or self.resolved)


def log_state(alert: Alert) -> str:
    return "silenced" if alert.silenced else "firing"


def diff(before: Mapping[str, str], alerts: Iterable[Alert], now: datetime) -> Changes:
    """Compare the log (fingerprint → state) with the current answer. An alert whose ``endsAt`` has passed counts as
    gone (Alertmanager keeps resolved alerts a while)."""
    changes = Changes()
    present: set[str] = set()
    for alert in alerts:
        if alert.ends_at is not None and alert.ends_at <= now:
            continue
        if alert.fingerprint in present:
            continue
        present.add(alert.fingerprint)
        was = before.get(alert.fingerprint)
        state = log_state(alert)
        if was is None or was == "resolved":
            (changes.fired if state == "firing" else changes.silenced).append(alert)
        elif was == state:
            changes.still.append(alert)
        elif state == "silenced":
            changes.silenced.append(alert)
        else:
            changes.unsilenced.append(alert)
    changes.resolved = [fp for fp, state in before.items() if state != "resolved" and fp not in present]
    return changes


# --- declaring from an alert ---------------------------------------------------------------------
@dataclass(frozen=True)
class ProposeRule:
    """``when`` all these labels have these values, propose this impact and scope."""

    when: dict[str, str]
    impact: Impact
    scope: Scope


DEFAULT_PROPOSALS: tuple[ProposeRule, ...] = (
    ProposeRule({"severity": "page"}, Impact.CORE_DOWN, Scope.GT25),
    ProposeRule({"severity": "critical"}, Impact.CORE_DOWN, Scope.GT25),
    ProposeRule({"severity": "p0"}, Impact.CORE_DOWN, Scope.GT25),
)
FALLBACK = (Impact.DEGRADED, Scope.LT25)


@dataclass(frozen=True)
class Proposal:
    title: str
    services: tuple[str, ...]
    impact: Impact
    scope: Scope
    alert_name: str


def propose(alert: Alert, rules: Sequence[ProposeRule] = DEFAULT_PROPOSALS) -> Proposal:
    """Title from the ``summary`` annotation, service from the labels, impact and scope from the first rule whose
    labels all match (else degraded, fewer than 25 %)."""
    impact, scope = FALLBACK
    for rule in rules:
        if all(alert.labels.get(k, "").casefold() == v.casefold() for k, v in rule.when.items()):
            impact, scope = rule.impact, rule.scope
            break
    # a control character from the server becomes its visible escape: the title is plain text everywhere it goes
    title = " ".join(one_line(alert.summary).split())[:200] or one_line(alert.name) or "Alert"
    services = (alert.service,) if alert.service.strip() else ()
    return Proposal(title, services, impact, scope, alert.name)


# --- acknowledging = silencing -------------------------------------------------------------------
def silence_matchers(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Equality matchers on every label given (an alert's labels, or its group's)."""
    return [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in sorted(labels.items())]


def silence_marker(silence_id: str) -> str:
    """The text in a silence's comment that says which acknowledgement made it (looked for before creating)."""
    return f"[cockpit:{silence_id}]"


def silence_comment(reference: str, responder: str, silence_id: str) -> str:
    return f"Acknowledged in Incident Cockpit for {reference} by {responder} {silence_marker(silence_id)}"


def silence_window(now: datetime, hours: float) -> tuple[datetime, datetime]:
    return now, now + timedelta(hours=hours)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- alert design rules (lint) -------------------------------------------------------------------
@dataclass(frozen=True)
class RuleAlert:
    """An alerting rule as read from a file, with the line of each part."""

    file: str
    line: int
    name: str
    expr: str
    labels: dict[str, str]
    annotations: dict[str, str]
    has_for: bool
    lines: dict[str, int] = field(default_factory=dict)  # part ("labels", "annotations", "for") -> line


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    alert: str
    problem: str
    advice: bool = False  # advice (a cause-based page) does not fail the lint

    def __str__(self) -> str:
        what = "advice" if self.advice else "problem"
        return f"{self.file}:{self.line}: {self.alert}: {what}: {self.problem}"


RUNBOOK_KEYS = ("runbook_url", "runbook")
BURN_HINTS = ("burn", "slo:", "error_budget", "errorbudget", "sli_error")


def runbook_ref(annotations: Mapping[str, str]) -> str | None:
    for key in RUNBOOK_KEYS:
        value = annotations.get(key, "").strip()
        if value:
            return value
    return None


def runbook_id_of(reference: str) -> str:
    """The runbook id a runbook annotation points at: the last path part without its extension."""
    tail = reference.rstrip("/").rsplit("/", 1)[-1].split("#", 1)[0].split("?", 1)[0]
    return tail.rsplit(".", 1)[0] if tail.endswith((".yaml", ".yml", ".md", ".html")) else tail


def lint(alerts: Sequence[RuleAlert], runbooks: Mapping[str, str]) -> list[Finding]:
    """Check each alert against the seed's alert design rules. ``runbooks``: runbook id → its ``alert_name``."""
    by_alert_name = {name.casefold(): rid for rid, name in runbooks.items() if name}
    findings: list[Finding] = []
    for rule in alerts:
        def at(part: str, rule: RuleAlert = rule) -> int:
            return rule.lines.get(part, rule.line)

        ref = runbook_ref(rule.annotations)
        if ref is None:
            findings.append(Finding(rule.file, at("annotations"), rule.name,
                                    "no runbook annotation (runbook_url): every alert must have a runbook link"))
        elif rule.name.casefold() not in by_alert_name and runbook_id_of(ref) not in runbooks:
            findings.append(Finding(rule.file, at("annotations"), rule.name,
                                    f"its runbook '{ref[:120]}' resolves to no runbook in the local library (no "
                                    f"runbook has alert_name '{rule.name}' or id '{runbook_id_of(ref)[:60]}')"))
        level = level_of(rule.labels)
        if level is None:
            found = rule.labels.get("severity")
            words = "/".join(("page", "urgent", "ticket", "log"))
            findings.append(Finding(rule.file, at("labels"), rule.name,
                                    (f"severity '{found[:40]}' is not in the severity guide ({words}, or P0-P3)"
                                     if found is not None else
                                     f"no severity label from the severity guide ({words}, or P0-P3)")))
        if not rule.has_for:
            findings.append(Finding(rule.file, rule.line, rule.name,
                                    "no 'for:' duration: one bad scrape would fire it; wait a few minutes"))
        if level is Level.P0 and not any(hint in rule.expr.casefold() for hint in BURN_HINTS):
            findings.append(Finding(rule.file, rule.line, rule.name,
                                    "a page-level alert built on a cause, not on an SLO burn rate: page on what "
                                    "users feel (`cockpit slo rules`), make this a ticket", advice=True))
    return findings


def orphan_runbooks(alerts: Sequence[RuleAlert], runbooks: Mapping[str, str]) -> list[str]:
    """Runbook ids whose ``alert_name`` matches no alert of the files."""
    names = {a.name.casefold() for a in alerts}
    return sorted(rid for rid, name in runbooks.items() if name and name.casefold() not in names)


# --- on-call figures -----------------------------------------------------------------------------
def week_start(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


PAGES_PER_WEEK_TARGET = 5
