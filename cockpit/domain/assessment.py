"""Reliability assessment: the seed's "Maturity Assessment" (8 dimensions scored 1-5, the total's band and its
advice) and its "Quality Scoring Rubric" (weighted, 0-100), kept as files with an evidence note per dimension,
and a proposal from the facts the store holds.

An assessment file::

    assessment:
      service: checkout-api
      date: 2026-11-20
      assessor: priya
      scores:
        slos: {score: 3, evidence: "two SLOs measured from Prometheus"}
        ...                     # every dimension below, each a score 1-5 and an evidence note

The maturity total uses the 8 maturity dimensions (not ``documentation``); the quality score uses the rubric's
8 (``slos`` stands for "SLO coverage"; not ``toil``): sum of weight x score / 5, so all 5s make 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cockpit.domain.catalog import Checker
from cockpit.domain.checks import Issue, Path_, type_name
from cockpit.errors import InvalidInput


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    ad_hoc: str  # 1
    defined: str  # 3
    optimized: str  # 5


#: The seed's maturity table, in its order: 1 (Ad-hoc), 3 (Defined), 5 (Optimized).
MATURITY: tuple[Dimension, ...] = (
    Dimension("slos", "SLOs", "No SLOs defined", "SLOs exist, reviewed quarterly",
              "Data-driven SLOs, auto error budgets"),
    Dimension("monitoring", "Monitoring", "Basic health checks", "Golden signals + dashboards",
              "Full observability, anomaly detection"),
    Dimension("incident_response", "Incident Response", "No runbooks, hero culture",
              "Documented process, postmortems", "Automated detection, structured ICS"),
    Dimension("automation", "Automation", "Manual deployments", "CI/CD pipeline, some automation",
              "Self-healing, auto-scaling, GitOps"),
    Dimension("chaos", "Chaos Engineering", "No testing", "Basic failure injection", "Continuous chaos in production"),
    Dimension("capacity", "Capacity Planning", "Reactive scaling", "Quarterly forecasting",
              "Predictive auto-scaling"),
    Dimension("toil", "Toil Management", ">50% toil", "Toil tracked, reduction plans",
              "<25% toil, systematic elimination"),
    Dimension("on_call", "On-Call Health", "Burnout, 24/7 individuals", "Rotation exists, escalation paths",
              "Balanced load, <2 pages/shift"),
)

#: The quality rubric's extra dimension (documentation is weighted, not part of the maturity total).
DOCUMENTATION = Dimension("documentation", "Documentation", "Nothing written", "Runbooks exist",
                          "Complete, current, tested runbooks")
DIMENSIONS: tuple[Dimension, ...] = (*MATURITY, DOCUMENTATION)
BY_KEY = {d.key: d for d in DIMENSIONS}

#: The seed's "Quality Scoring Rubric" weights in percent (sum 100).
QUALITY_WEIGHTS: dict[str, int] = {
    "slos": 20, "monitoring": 15, "incident_response": 15, "automation": 15,
    "chaos": 10, "capacity": 10, "on_call": 10, "documentation": 5,
}
QUALITY_LABELS = {"slos": "SLO Coverage"}

#: (low, high, name, advice): the seed's "Score interpretation".
BANDS: tuple[tuple[int, int, str, str], ...] = (
    (8, 16, "Firefighting mode", "start with SLOs + incident process"),
    (17, 24, "Foundation built", "add chaos engineering + toil reduction"),
    (25, 32, "Maturing", "optimize error budgets + capacity planning"),
    (33, 40, "Advanced", "focus on predictive reliability + culture"),
)


def band(total: int) -> tuple[str, str]:
    """The band's name and advice for a maturity total of 8-40."""
    for low, high, name, advice in BANDS:
        if low <= total <= high:
            return name, advice
    raise InvalidInput(f"A maturity total is 8 to 40 (8 dimensions scored 1-5), not {total}.")


def check_score(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput(f"A score is a whole number from 1 to 5, not {value!r}.")
    return value


@dataclass(frozen=True)
class Score:
    score: int
    evidence: str


@dataclass(frozen=True)
class Assessment:
    service: str
    on: date
    assessor: str
    scores: Mapping[str, Score]
    source: str = ""

    @property
    def maturity_total(self) -> int:
        return sum(self.scores[d.key].score for d in MATURITY)

    @property
    def band(self) -> tuple[str, str]:
        return band(self.maturity_total)

    @property
    def quality(self) -> float:
        return quality_score({k: s.score for k, s in self.scores.items()})


def quality_score(scores: Mapping[str, int]) -> float:
    """0-100: the sum over the rubric's dimensions of weight x score / 5 (rounded to one decimal)."""
    missing = [k for k in QUALITY_WEIGHTS if k not in scores]
    if missing:
        raise InvalidInput(f"The quality score needs every rubric dimension; missing: {', '.join(missing)}.")
    total = sum(weight * check_score(scores[key]) / 5 for key, weight in QUALITY_WEIGHTS.items())
    return round(total, 1)


@dataclass
class Trend:
    """An assessment history, oldest first: (date, maturity total, quality)."""

    points: list[tuple[date, int, float]] = field(default_factory=list)

    def text(self) -> str:
        if not self.points:
            return "no assessment yet"
        return " → ".join(f"{on:%Y-%m-%d} {total}/40 ({quality:g})" for on, total, quality in self.points)


def trend(history: Sequence[Assessment]) -> Trend:
    ordered = sorted(history, key=lambda a: a.on)
    return Trend([(a.on, a.maturity_total, a.quality) for a in ordered])


    return None


ASSESSMENT_KEYS = {"service", "date", "assessor", "scores"}
SCORE_KEYS = {"score", "evidence"}


def validate_assessment(data: object, source: str = "") -> tuple[Assessment | None, list[Issue]]:
    check = Checker()
    body = check.document(data, "assessment", "an assessment file", "the assessment")
    if body is None:
        return None, check.issues
    root: Path_ = ("assessment",)
    service, on, assessor = check.dated_header(body, root, ASSESSMENT_KEYS, ("service", "date", "scores"), "assessor")
    scores: dict[str, Score] = {}
    raw = body.get("scores")
    if raw is not None:
        table = check.table(raw, (*root, "scores"), "the scores per dimension", set(BY_KEY), tuple(BY_KEY))
        if table is not None:
            for key in BY_KEY:
                if key in table and table[key] is not None:
                    made = _score(check, table[key], (*root, "scores", key))
                    if made is not None:
                        scores[key] = made
    if check.issues or on is None:
        return None, check.issues
    return Assessment(service, on, assessor, scores, source), []


def _score(check: Checker, value: object, path: Path_) -> Score | None:
    item = check.mapping(value, path, "a score and its evidence, like {score: 3, evidence: \"...\"}")
    if item is None:
        return None
    check.keys(item, path, SCORE_KEYS, ("score", "evidence"))
    raw = item.get("score")
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5):
        shown = f"'{raw}'" if isinstance(raw, str) else raw if isinstance(raw, (int, float)) else type_name(raw)
        check.add((*path, "score"), f"{shown} is not a score: use a whole number from 1 to 5")
        return None
    evidence = check.text(item, "evidence", path, limit=2000)
    if raw is None or not evidence:
        return None
    return Score(raw, evidence)


# --- what the store knows: a proposed score with its evidence --------------------------------------
@dataclass(frozen=True)
class Facts:
    """What the cockpit knows about one service, gathered by the service layer."""

    service: str
    slos: int = 0
    slos_measured: int = 0  # with Prometheus queries
    slos_with_runbook: int = 0
    budget_state: str | None = None  # healthy | warning | critical | exhausted, from the latest figures
    runbooks: int = 0
    runbooks_current: int = 0  # last_updated within 180 days
    auto_remediations: int = 0
    postmortems_required: int = 0
    postmortems_missing: int = 0
    orphan_actions: int = 0
    pages: int | None = None  # pages for the service over ``shifts`` primary shifts
    shifts: int = 0
    deployment_frequency: str = ""
    alert_lint: str | None = None  # from the alerts issue, when it is wired; None: not available
    readiness: Mapping[str, str] = field(default_factory=dict)  # the latest readiness review: item id -> status
    readiness_date: str = ""


def propose(facts: Facts) -> dict[str, Score]:
    """A proposed score with its evidence for each dimension the store (or the latest readiness review) has facts
    on. Dimensions without facts (chaos and toil; capacity without a review) get no number: ``no_evidence`` says
    what is missing."""
    out: dict[str, Score] = {}
    # SLOs
    if facts.slos == 0:
        out["slos"] = Score(1, f"no SLO file names {facts.service}")
    elif facts.slos_measured == 0:
        out["slos"] = Score(2, f"{facts.slos} SLO(s) written, none measured (no Prometheus queries)")
    elif facts.budget_state is None:
        out["slos"] = Score(3, f"{facts.slos_measured} of {facts.slos} SLO(s) measured; no budget figures yet")
    elif facts.slos_with_runbook == facts.slos:
        out["slos"] = Score(5, f"{facts.slos} SLO(s) measured, error budget tracked ({facts.budget_state}), "
                               "every burn alert links a runbook")
    else:
        out["slos"] = Score(4, f"{facts.slos_measured} SLO(s) measured, error budget tracked "
                               f"({facts.budget_state}); {facts.slos - facts.slos_with_runbook} without a runbook")
    # Monitoring
    lint = facts.alert_lint or "alert lint not available"
    observability = ("monitoring.golden_signals", "monitoring.structured_logging", "monitoring.tracing")
    seen = [key for key in observability if facts.readiness.get(key) == "pass"]
    if facts.slos_measured and len(seen) == len(observability):
        out["monitoring"] = Score(4, f"SLIs measured from Prometheus ({facts.slos_measured}); golden signals, "
                                     f"structured logs and tracing passed the readiness review of "
                                     f"{facts.readiness_date}; {lint}")
    elif facts.slos_measured:
        gaps = [key.split(".")[1].replace("_", " ") for key in observability if key not in seen]
        review = (f"; not passed in the readiness review of {facts.readiness_date}: {', '.join(gaps)}"
                  if facts.readiness else "")
        out["monitoring"] = Score(3, f"SLIs measured from Prometheus ({facts.slos_measured}){review}; {lint}")
    elif facts.pages:
        out["monitoring"] = Score(2, f"alerts page ({facts.pages} page(s)) but no SLI is measured; {lint}")
    # Incident response
    pm = (f"{facts.postmortems_required - facts.postmortems_missing} of {facts.postmortems_required} required "
          "postmortem(s) written" if facts.postmortems_required else "no postmortem required so far")
    if facts.runbooks == 0 and facts.postmortems_missing:
        out["incident_response"] = Score(1, f"no runbook; {pm}")
    elif facts.postmortems_missing or facts.runbooks == 0:
        out["incident_response"] = Score(2, f"{facts.runbooks} runbook(s); {pm}")
    elif facts.orphan_actions:
        out["incident_response"] = Score(3, f"{facts.runbooks} runbook(s); {pm}; {facts.orphan_actions} orphan "
                                            "action item(s)")
    else:
        out["incident_response"] = Score(4, f"{facts.runbooks} runbook(s); {pm}; every action item has an owner, "
                                            "date and ticket")
    # Automation
    deploys = facts.deployment_frequency
    if facts.auto_remediations:
        out["automation"] = Score(4, f"{facts.auto_remediations} auto-remediation(s) in its runbooks; deploys "
                                     f"{deploys or 'at an unknown pace'}")
    elif deploys in ("daily", "weekly"):
        out["automation"] = Score(3, f"deploys {deploys} (a pipeline); no auto-remediation in its runbooks")
    elif deploys:
        out["automation"] = Score(2, f"deploys {deploys}; no auto-remediation in its runbooks")
    # Capacity planning: the readiness review's load test and auto-scaling items
    load, scaling = facts.readiness.get("capacity.load_tested"), facts.readiness.get("capacity.autoscaling")
    if load or scaling:
        passed = [name for name, status in (("load tested to 2x peak", load), ("auto-scaling tested", scaling))
                  if status == "pass"]
        score = {2: 4, 1: 3}.get(len(passed), 2)
        out["capacity"] = Score(score, f"readiness review of {facts.readiness_date}: "
                                       + (", ".join(passed) if passed else "neither load tested nor auto-scaling "
                                                                           "tested (reactive)"))
    # On-call health: the seed's pages per shift (< 2 healthy, 2-5 warning, > 5 critical)
    if facts.pages is not None and facts.shifts:
        per_shift = facts.pages / facts.shifts
        score = 5 if per_shift < 2 else 3 if per_shift <= 5 else 1
        out["on_call"] = Score(score, f"{facts.pages} page(s) over {facts.shifts} primary shift(s): "
                                      f"{per_shift:.2f} per shift")
    # Documentation
    if facts.runbooks == 0:
        out["documentation"] = Score(1, "no runbook names this service")
    elif facts.runbooks_current == facts.runbooks and facts.runbooks >= 3:
        out["documentation"] = Score(4, f"{facts.runbooks} runbooks, all updated in the last 180 days")
    else:
        out["documentation"] = Score(3, f"{facts.runbooks} runbook(s), {facts.runbooks_current} updated in the "
                                        "last 180 days")
    return out


NO_EVIDENCE = {
    "chaos": "the cockpit holds no chaos experiments: score from your Game Day records",
    "capacity": "no readiness review answers the load test or auto-scaling: score from your forecasting",
    "toil": "the cockpit holds no toil inventory: score from your toil tracking",
}


def no_evidence(key: str) -> str:
    return NO_EVIDENCE.get(key, "no facts in the store for this dimension")


def to_yaml_text(assessment: Assessment) -> str:
    """The file for a new assessment (every text JSON-quoted, which YAML reads back as is)."""
    import json

    lines = ["assessment:", f"  service: {assessment.service}", f"  date: {assessment.on.isoformat()}",
             f"  assessor: {json.dumps(assessment.assessor, ensure_ascii=False)}", "  scores:"]
    for d in DIMENSIONS:
        s = assessment.scores[d.key]
        lines.append(f"    {d.key}: {{score: {s.score}, evidence: {json.dumps(s.evidence, ensure_ascii=False)}}}")
    return "\n".join(lines) + "\n"


def as_dict(assessment: Assessment) -> dict[str, Any]:
    name, advice = assessment.band
    return {"service": assessment.service, "date": assessment.on.isoformat(), "assessor": assessment.assessor,
            "maturity_total": assessment.maturity_total, "band": name, "advice": advice,
            "quality": assessment.quality, "source": assessment.source,
            "scores": {k: {"score": s.score, "evidence": s.evidence} for k, s in assessment.scores.items()}}
