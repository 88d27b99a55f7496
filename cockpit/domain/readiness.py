"""Production readiness review: the seed's checklist (every item), each answered pass, fail or n/a with an
evidence note; ready when every item is answered and none fails.

A review file::

    readiness:
      service: checkout-api
      date: 2026-11-20
      reviewer: priya
      items:
        slos.slis_measured: {status: pass, evidence: "2 SLOs with Prometheus queries"}
        ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cockpit.domain.catalog import Checker
from cockpit.domain.checks import Issue, Path_

STATUSES = ("pass", "fail", "n/a")


@dataclass(frozen=True)
class Check:
    id: str
    category: str
    text: str


#: The seed's "Production Readiness Review Checklist", in its order.
CHECKLIST: tuple[Check, ...] = (
    Check("slos.slis_measured", "SLOs", "SLIs defined and measured"),
    Check("slos.targets_agreed", "SLOs", "SLO targets set with stakeholder agreement"),
    Check("slos.budget_policy", "SLOs", "Error budget policy documented"),
    Check("monitoring.golden_signals", "Monitoring", "Golden signals dashboarded"),
    Check("monitoring.alerts_with_runbooks", "Monitoring", "Alerting configured with runbooks"),
    Check("monitoring.structured_logging", "Monitoring", "Structured logging implemented"),
    Check("monitoring.tracing", "Monitoring", "Distributed tracing enabled"),
    Check("incidents.rotation", "Incidents", "On-call rotation established"),
    Check("incidents.escalation", "Incidents", "Escalation paths documented"),
    Check("incidents.top5_runbooks", "Incidents", "Runbooks for top 5 failure modes"),
    Check("capacity.load_tested", "Capacity", "Load tested to 2x expected peak"),
    Check("capacity.autoscaling", "Capacity", "Auto-scaling configured and tested"),
    Check("capacity.resource_limits", "Capacity", "Resource limits set (CPU, memory)"),
    Check("resilience.degradation", "Resilience", "Graceful degradation implemented"),
    Check("resilience.circuit_breakers", "Resilience", "Circuit breakers for dependencies"),
    Check("resilience.retry_backoff", "Resilience", "Retry with exponential backoff"),
    Check("resilience.timeouts", "Resilience", "Timeout configured for all external calls"),
    Check("deploy.rollback", "Deploy", "Rollback tested and documented"),
    Check("deploy.canary", "Deploy", "Canary/blue-green deployment ready"),
    Check("deploy.feature_flags", "Deploy", "Feature flags for risky features"),
    Check("security.authn_authz", "Security", "Authentication and authorization"),
    Check("security.secrets_vault", "Security", "Secrets in vault (not env vars)"),
    Check("security.dependencies_scanned", "Security", "Dependencies scanned"),
    Check("data.backup_restore", "Data", "Backup and restore tested"),
    Check("data.retention", "Data", "Data retention policy defined"),
    Check("docs.architecture", "Docs", "Architecture diagram current"),
    Check("docs.api", "Docs", "API documentation published"),
    Check("docs.runbook", "Docs", "Operational runbook complete"),
)
BY_ID = {c.id: c for c in CHECKLIST}


@dataclass(frozen=True)
class Answer:
    status: str  # pass | fail | n/a
    evidence: str = ""
    prefilled: bool = False  # proposed from the store, not yet confirmed by the reviewer


@dataclass
class Review:
    service: str
    on: date
    reviewer: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    source: str = ""

    @property
    def unanswered(self) -> list[Check]:
        return [c for c in CHECKLIST if c.id not in self.answers]

    @property
    def failing(self) -> list[Check]:
        return [c for c in CHECKLIST if c.id in self.answers and self.answers[c.id].status == "fail"]

    @property
    def ready(self) -> bool:
        return not self.unanswered and not self.failing

    @property
    def status(self) -> str:
        if self.ready:
            return "ready"
        if self.failing:
            return f"not ready ({len(self.failing)} failing)"
        return f"incomplete ({len(self.unanswered)} open)"


def validate_review(data: object, source: str = "") -> tuple[Review | None, list[Issue]]:
    check = Checker()
    body = check.document(data, "readiness", "a readiness review file", "the readiness review")
    if body is None:
        return None, check.issues
    root: Path_ = ("readiness",)
    service, on, reviewer = check.dated_header(body, root, {"service", "date", "reviewer", "items"},
                                               ("service", "date"), "reviewer")
    answers: dict[str, Answer] = {}
    items = body.get("items")
    if items is not None:
        table = check.table(items, (*root, "items"), "the checklist answers by item id", set(BY_ID))
        if table is not None:
            for key, value in table.items():
                if key not in BY_ID:
                    continue
                path: Path_ = (*root, "items", key)
                item = check.table(value, path, "an answer like {status: pass, evidence: \"...\"}",
                                   {"status", "evidence"}, ("status",))
                if item is None:
                    continue
                status = check.choice(item, "status", path, STATUSES)
                evidence = check.text(item, "evidence", path, limit=2000)
                if status in ("fail", "pass") and not evidence:
                    check.add((*path, "evidence"), f"a {status} needs an evidence note")
                if status:
                    answers[key] = Answer(status, evidence)
    if check.issues or on is None:
        return None, check.issues
    return Review(service, on, reviewer, answers, source), []


def to_yaml_text(review: Review) -> str:
    import json

    lines = ["readiness:", f"  service: {review.service}", f"  date: {review.on.isoformat()}",
             f"  reviewer: {json.dumps(review.reviewer, ensure_ascii=False)}", "  items:"]
    for c in CHECKLIST:
        if c.id in review.answers:
            a = review.answers[c.id]
            lines.append(f"    {c.id}: {{status: {a.status}, evidence: {json.dumps(a.evidence, ensure_ascii=False)}}}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def to_markdown(review: Review) -> str:
    verdict = "READY" if review.ready else "NOT READY"
    lines = [f"# Production Readiness Review: {_cell(review.service)}", "",
             f"**Date**: {review.on.isoformat()} | **Reviewer**: {_cell(review.reviewer) or '_?_'} | "
             f"**Result**: {verdict}", ""]
    if review.failing:
        lines += ["## Failing items", ""]
        lines += [f"- {c.category}: {c.text} — {_cell(review.answers[c.id].evidence)}" for c in review.failing]
        lines.append("")
    if review.unanswered:
        lines += ["## Not answered", ""]
        lines += [f"- {c.category}: {c.text}" for c in review.unanswered]
        lines.append("")
    lines += ["## Checklist", "", "| Category | Check | Status | Evidence |", "|---|---|---|---|"]
    for c in CHECKLIST:
        answer = review.answers.get(c.id)
        status = answer.status.upper() if answer else "—"
        evidence = _cell(answer.evidence) if answer else ""
        if answer and answer.prefilled:
            evidence += " _(from the store, to confirm)_"
        lines.append(f"| {c.category} | {c.text} | {status} | {evidence} |")
    return "\n".join(lines) + "\n"


def as_dict(review: Review) -> dict[str, Any]:
    return {"service": review.service, "date": review.on.isoformat(), "reviewer": review.reviewer,
            "result": "ready" if review.ready else "not ready",
            "failing": [c.id for c in review.failing], "unanswered": [c.id for c in review.unanswered],
            "items": {c.id: {"category": c.category, "check": c.text,
                             "status": review.answers[c.id].status if c.id in review.answers else None,
                             "evidence": review.answers[c.id].evidence if c.id in review.answers else "",
                             "prefilled": review.answers[c.id].prefilled if c.id in review.answers else False}
                      for c in CHECKLIST}}


@dataclass(frozen=True)
class ReadinessFacts:
    """Store facts the checklist can be pre-filled from."""

    slos: int = 0
    slos_measured: int = 0
    slos_with_runbook: int = 0
    rotation: str = ""
    rotation_shifts: int = 0  # shifts in the store (of any rotation)
    runbooks: Sequence[tuple[str, str, str]] = ()  # (id, alert_name, escalation contact)
    alert_lint: str | None = None


def prefill(facts: ReadinessFacts) -> dict[str, Answer]:
    """Answers the store can check, each with its evidence (the reviewer confirms or changes them)."""
    out: dict[str, Answer] = {}

    def put(key: str, ok: bool, evidence: str) -> None:
        out[key] = Answer("pass" if ok else "fail", evidence, prefilled=True)

    put("slos.slis_measured", facts.slos_measured > 0,
        f"{facts.slos_measured} of {facts.slos} SLO(s) measured with Prometheus queries")
    if facts.slos:
        put("slos.budget_policy", True, f"{facts.slos} SLO file(s) name their error budget policy")
    else:
        put("slos.budget_policy", False, "no SLO file, so no error budget policy")
    alerts = [r for r in facts.runbooks if r[1]]
    lint = f"; alert lint: {facts.alert_lint}" if facts.alert_lint else "; alert lint not available"
    put("monitoring.alerts_with_runbooks", bool(alerts) and facts.slos_with_runbook == facts.slos,
        f"{len(alerts)} runbook(s) name an alert; {facts.slos_with_runbook} of {facts.slos} SLO burn alert set(s) "
        f"link a runbook{lint}")
    put("incidents.rotation", bool(facts.rotation) and facts.rotation_shifts > 0,
        f"the catalog names rotation {facts.rotation or '(none)'}; the store holds {facts.rotation_shifts} "
        "shift(s) (of any rotation: shifts carry no rotation name)")
    contacts = [r for r in facts.runbooks if r[2]]
    put("incidents.escalation", bool(facts.runbooks) and len(contacts) == len(facts.runbooks),
        f"{len(contacts)} of {len(facts.runbooks)} runbook(s) name an escalation contact")
    put("incidents.top5_runbooks", len(facts.runbooks) >= 5,
        f"runbooks for top 5 failure modes: {len(facts.runbooks)} found")
    return out


def merged(stored: Mapping[str, Answer] | None, proposed: Mapping[str, Answer]) -> dict[str, Answer]:
    """A walk starts from the stored review's answers, then the store's proposals for items still open."""
    answers = dict(stored or {})
    for key, answer in proposed.items():
        answers.setdefault(key, answer)
    return answers
