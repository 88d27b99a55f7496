"""Runbooks in the seed's "Runbook Template" shape, their strict validation, and the step-by-step walk.

Validation is pure: it takes parsed data and returns problems as (field path, message); the caller
turns paths into file:line:column. Every problem is collected, not just the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cockpit.domain.checks import BaseChecker, Issue, Path_, type_name

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
DEFAULT_TIMEOUT_S = 30
MAX_TIMEOUT_S = 3600


@dataclass(frozen=True)
class RunbookStep:
    step: str
    command: str = ""
    expected: str = ""
    if_unexpected: str = ""
    shell: bool = False
    timeout_seconds: int = DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class MitigationOption:
    option: str
    when: str
    steps: tuple[RunbookStep, ...]


@dataclass(frozen=True)
class Escalation:
    after_minutes: int
    contact: str
    context_to_provide: str


@dataclass(frozen=True)
class AutoRemediation:
    """The seed's "Self-Healing Automation" entry: what a remediation system does on its own. The cockpit shows
    these in the walker (what already happened before the page) and never runs them."""

    trigger: str
    condition: str
    action: str
    escalate_if: str


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    alert_name: str
    last_updated: str
    owner: str
    overview: str
    impact: str
    diagnosis: tuple[RunbookStep, ...]
    mitigation: tuple[MitigationOption, ...]
    escalation: Escalation
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""  # the file it came from
    auto_remediation: tuple[AutoRemediation, ...] = ()

    def option(self, index: int) -> MitigationOption:
        return self.mitigation[index]


TOP_KEYS = {"id", "title", "alert_name", "last_updated", "owner", "overview", "impact", "diagnosis",
            "mitigation", "escalation", "services", "tags", "auto_remediation"}
TOP_REQUIRED = ("title", "alert_name", "last_updated", "owner", "overview", "impact", "diagnosis", "mitigation",
                "escalation")
STEP_KEYS = {"step", "command", "expected", "if_unexpected", "shell", "timeout_seconds"}
DIAGNOSIS_REQUIRED = ("step", "command", "expected", "if_unexpected")
OPTION_KEYS = {"option", "when", "steps"}
ESCALATION_KEYS = {"after_minutes", "contact", "context_to_provide"}
REMEDIATION_KEYS = ("trigger", "condition", "action", "escalate_if")


class _Checker(BaseChecker):
    none_is_missing = False  # an empty field is allowed, as in the seed's template

    def text(self, data: Mapping[str, Any], key: str, path: Path_, required: bool = True) -> str:
        if key not in data:
            return ""
        value = data[key]
        if value is None:
            return ""  # an empty field in YAML: allowed, as in the seed's template
        if isinstance(value, (date, datetime)) and key == "last_updated":
            return value.isoformat()
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add((*path, key), f"must be text, not {type_name(value)}")
            return ""
        if not isinstance(value, str):
            self.add((*path, key), f"must be text, not {type_name(value)} (put it in quotes)")
            return ""
        if "\x00" in value:
            self.add((*path, key), "contains a NUL character")
            return ""
        return value

    def text_list(self, data: Mapping[str, Any], key: str, path: Path_) -> tuple[str, ...]:
        value = data.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add((*path, key), f"must be a list of names, not {type_name(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add((*path, key, i), "must be a non-empty name")
            else:
                out.append(item.strip())
        return tuple(out)

    def step(self, value: object, path: Path_, required: Sequence[str]) -> RunbookStep | None:
        data = self.mapping(value, path, "a step")
        if data is None:
            return None
        self.keys(data, path, STEP_KEYS, required)
        shell = data.get("shell", False)
        if not isinstance(shell, bool):
            self.add((*path, "shell"), f"must be true or false, not {type_name(shell)}")
            shell = False
        timeout = data.get("timeout_seconds", DEFAULT_TIMEOUT_S)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT_S:
            self.add((*path, "timeout_seconds"), f"must be a whole number of seconds from 1 to {MAX_TIMEOUT_S}")
            timeout = DEFAULT_TIMEOUT_S
        return RunbookStep(
            step=self.text(data, "step", path), command=self.text(data, "command", path),
            expected=self.text(data, "expected", path), if_unexpected=self.text(data, "if_unexpected", path),
            shell=shell, timeout_seconds=timeout,
        )


def validate(data: object, default_id: str, source: str = "") -> tuple[Runbook | None, list[Issue]]:
    """Check parsed YAML against the runbook schema; return the runbook (when valid) and every problem."""
    check = _Checker()
    if data is None:
        return None, [((), "the file is empty; `cockpit runbook new` writes a skeleton to start from")]
    root: Path_ = ()
    if isinstance(data, dict) and "runbook" in data:
        extra = [k for k in data if k != "runbook"]
        for key in extra:
            check.add((str(key),), "unknown top-level field: everything goes under 'runbook:'")
        data = data["runbook"]
        root = ("runbook",)
    body = check.mapping(data, root, "a runbook")
    if body is None:
        return None, check.issues
    check.keys(body, root, TOP_KEYS, TOP_REQUIRED)
    runbook_id = body.get("id", default_id)
    if not isinstance(runbook_id, str) or not ID_PATTERN.fullmatch(runbook_id):
        where = (*root, "id") if "id" in body else root
        check.add(where, f"'{runbook_id}' is not a usable id: use lowercase letters, digits and hyphens")
        runbook_id = default_id

    diagnosis: list[RunbookStep] = []
    raw_diag = body.get("diagnosis", [])
    if not isinstance(raw_diag, list):
        check.add((*root, "diagnosis"), f"must be a list of steps, not {type_name(raw_diag)}")
    else:
        if not raw_diag and "diagnosis" in body:
            check.add((*root, "diagnosis"), "needs at least one step: the walker starts with diagnosis")
        for i, item in enumerate(raw_diag):
            made = check.step(item, (*root, "diagnosis", i), DIAGNOSIS_REQUIRED)
            if made:
                diagnosis.append(made)

    options: list[MitigationOption] = []
    raw_mit = body.get("mitigation", [])
    if not isinstance(raw_mit, list):
        check.add((*root, "mitigation"), f"must be a list of options, not {type_name(raw_mit)}")
    else:
        for i, item in enumerate(raw_mit):
            path = (*root, "mitigation", i)
            data_opt = check.mapping(item, path, "a mitigation option")
            if data_opt is None:
                continue
            check.keys(data_opt, path, OPTION_KEYS, ("option", "when", "steps"))
            steps: list[RunbookStep] = []
            raw_steps = data_opt.get("steps", [])
            if raw_steps is None:
                raw_steps = []
            if not isinstance(raw_steps, list):
                check.add((*path, "steps"), f"must be a list of steps, not {type_name(raw_steps)}")
                raw_steps = []
            for j, raw_step in enumerate(raw_steps):
                if isinstance(raw_step, str):
                    steps.append(RunbookStep(step=raw_step))
                else:
                    made = check.step(raw_step, (*path, "steps", j), ("step",))
                    if made:
                        steps.append(made)
            options.append(MitigationOption(option=check.text(data_opt, "option", path),
                                            when=check.text(data_opt, "when", path), steps=tuple(steps)))

    escalation = Escalation(after_minutes=30, contact="", context_to_provide="")
    if "escalation" in body:
        esc = check.mapping(body["escalation"], (*root, "escalation"), "the escalation")
        if esc is not None:
            check.keys(esc, (*root, "escalation"), ESCALATION_KEYS, tuple(sorted(ESCALATION_KEYS)))
            minutes = esc.get("after_minutes", 30)
            if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
                check.add((*root, "escalation", "after_minutes"), "must be a whole number of minutes from 1 to 1440")
                minutes = 30
            escalation = Escalation(after_minutes=minutes,
                                    contact=check.text(esc, "contact", (*root, "escalation")),
                                    context_to_provide=check.text(esc, "context_to_provide", (*root, "escalation")))

    remediations: list[AutoRemediation] = []
    raw_auto = body.get("auto_remediation")
    if raw_auto is not None and not isinstance(raw_auto, list):
        check.add((*root, "auto_remediation"), f"must be a list of entries (trigger, condition, action, escalate_if), "
                                               f"not {type_name(raw_auto)}")
    for i, item in enumerate(raw_auto if isinstance(raw_auto, list) else []):
        path = (*root, "auto_remediation", i)
        entry = check.mapping(item, path, "an auto-remediation entry")
        if entry is None:
            continue
        check.keys(entry, path, set(REMEDIATION_KEYS), REMEDIATION_KEYS)
        remediations.append(AutoRemediation(*(check.text(entry, key, path) for key in REMEDIATION_KEYS)))

    runbook = Runbook(
        id=str(runbook_id), title=check.text(body, "title", root), alert_name=check.text(body, "alert_name", root),
        last_updated=check.text(body, "last_updated", root), owner=check.text(body, "owner", root),
        overview=check.text(body, "overview", root), impact=check.text(body, "impact", root),
        diagnosis=tuple(diagnosis), mitigation=tuple(options), escalation=escalation,
        services=check.text_list(body, "services", root), tags=check.text_list(body, "tags", root), source=source,
        auto_remediation=tuple(remediations),
    )
    return (None if check.issues else runbook), check.issues


def _step_data(step: RunbookStep) -> dict[str, Any]:
    data: dict[str, Any] = {"step": step.step, "command": step.command, "expected": step.expected,
                            "if_unexpected": step.if_unexpected}
    if step.shell:
        data["shell"] = True
    if step.timeout_seconds != DEFAULT_TIMEOUT_S:
        data["timeout_seconds"] = step.timeout_seconds
    return data


def as_data(runbook: Runbook) -> dict[str, Any]:
    """The runbook in its file shape, so ``validate`` reads it back unchanged: a run keeps the exact runbook it
    started with, whatever the library holds later."""
    return {"runbook": {
        "id": runbook.id, "title": runbook.title, "alert_name": runbook.alert_name,
        "last_updated": runbook.last_updated, "owner": runbook.owner, "overview": runbook.overview,
        "impact": runbook.impact, "services": list(runbook.services), "tags": list(runbook.tags),
        "diagnosis": [_step_data(s) for s in runbook.diagnosis],
        "mitigation": [{"option": o.option, "when": o.when, "steps": [_step_data(s) for s in o.steps]}
                       for o in runbook.mitigation],
        "escalation": {"after_minutes": runbook.escalation.after_minutes, "contact": runbook.escalation.contact,
                       "context_to_provide": runbook.escalation.context_to_provide},
        **({"auto_remediation": [{"trigger": a.trigger, "condition": a.condition, "action": a.action,
                                  "escalate_if": a.escalate_if} for a in runbook.auto_remediation]}
           if runbook.auto_remediation else {}),
    }}


def from_data(data: object, source: str = "") -> Runbook | None:
    """A runbook saved with ``as_data`` (None when it no longer reads as one)."""
    runbook_id = ""
    if isinstance(data, dict) and isinstance(data.get("runbook"), dict):
        runbook_id = str(data["runbook"].get("id", ""))
    book, _issues = validate(data, runbook_id or "runbook", source=source)
    return book


def plural(count: int, word: str) -> str:
    """``1 step``, ``3 steps``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def suggest(runbooks: Sequence[Runbook], services: Sequence[str], texts: Sequence[str]) -> list[Runbook]:
    """Runbooks for an incident: an alert name seen in the incident's texts, then shared services."""
    wanted = {s.casefold() for s in services}
    haystack = " ".join(texts).casefold()
    scored = []
    for book in runbooks:
        score = 0
        if book.alert_name and book.alert_name.casefold() in haystack:
            score += 10
        score += 3 * len(wanted & {s.casefold() for s in book.services})
        if score:
            scored.append((-score, book.id, book))
    return [book for _, _, book in sorted(scored)]


# --- the walk ---------------------------------------------------------------------------------
OUTCOMES = ("expected", "unexpected", "skipped")


@dataclass(frozen=True)
class Position:
    """Where a run stands: a diagnosis step, or a step of the chosen mitigation option."""

    section: str = "diagnosis"  # diagnosis | mitigation | done
    option: int | None = None
    index: int = 0


@dataclass
class Walk:
    runbook: Runbook
    position: Position = field(default_factory=Position)

    def __post_init__(self) -> None:
        self.position = self.normalized(self.position)

    def normalized(self, pos: Position) -> Position:
        """A saved position that still fits this runbook (it may have been edited since the run began)."""
        book = self.runbook
        if pos.section == "diagnosis":
            if 0 <= pos.index < len(book.diagnosis):
                return pos
            return Position("mitigation", None, 0) if book.mitigation else Position("done")
        if pos.section == "mitigation":
            if pos.option is None:
                return Position("mitigation", None, 0) if book.mitigation else Position("done")
            if not 0 <= pos.option < len(book.mitigation):
                return Position("mitigation", None, 0)
            if not 0 <= pos.index < len(book.mitigation[pos.option].steps):
                return Position("done")
            return pos
        return Position("done")

    @property
    def done(self) -> bool:
        return self.position.section == "done"

    @property
    def awaiting_option(self) -> bool:
        """Diagnosis is finished and no mitigation option has been picked yet."""
        return self.position.section == "mitigation" and self.position.option is None

    def current(self) -> RunbookStep | None:
        pos = self.position
        if pos.section == "diagnosis" and pos.index < len(self.runbook.diagnosis):
            return self.runbook.diagnosis[pos.index]
        if pos.section == "mitigation" and pos.option is not None:
            steps = self.runbook.mitigation[pos.option].steps
            if pos.index < len(steps):
                return steps[pos.index]
        return None

    def label(self) -> str:
        pos = self.position
        if pos.section == "diagnosis":
            return f"diagnosis {pos.index + 1}/{len(self.runbook.diagnosis)}"
        if pos.section == "mitigation" and pos.option is not None:
            option = self.runbook.mitigation[pos.option]
            return f"mitigation '{option.option}' {pos.index + 1}/{len(option.steps)}"
        return "choose a mitigation" if pos.section == "mitigation" else "finished"

    def advance(self) -> Position:
        """The position after the current step gets an outcome."""
        pos = self.position
        if pos.section == "diagnosis":
            if pos.index + 1 < len(self.runbook.diagnosis):
                return Position("diagnosis", None, pos.index + 1)
            return Position("mitigation", None, 0) if self.runbook.mitigation else Position("done")
        if pos.section == "mitigation" and pos.option is not None:
            if pos.index + 1 < len(self.runbook.mitigation[pos.option].steps):
                return Position("mitigation", pos.option, pos.index + 1)
            return Position("done")
        return pos

    def choose(self, option: int) -> Position:
        if not 0 <= option < len(self.runbook.mitigation):
            raise IndexError(option)
        if not self.runbook.mitigation[option].steps:
            return Position("done")
        return Position("mitigation", option, 0)

    def progress(self) -> tuple[int, int]:
        """(steps done, steps planned) counting diagnosis and the chosen option."""
        pos = self.position
        total = len(self.runbook.diagnosis)
        if pos.option is not None:
            total += len(self.runbook.mitigation[pos.option].steps)
        if pos.section == "diagnosis":
            return pos.index, total
        if pos.section == "mitigation":
            return len(self.runbook.diagnosis) + pos.index, total
        return total, total


def choice_text(walk: Walk, option: int) -> str:
    """The timeline entry for choosing mitigation ``option`` where ``walk`` stands (IndexError: no such option)."""
    book = walk.runbook
    chosen = book.mitigation[option]
    text = f"Runbook {book.id} · mitigation chosen: {chosen.option} (when {chosen.when})"
    pos = walk.position
    if pos.section == "diagnosis":
        text += f" — diagnosis left at step {pos.index + 1}/{len(book.diagnosis)}"
    elif pos.section == "mitigation" and pos.option is not None and pos.option != option:
        previous = book.mitigation[pos.option]
        text += f" — instead of '{previous.option}' (at step {pos.index + 1}/{len(previous.steps)})"
    return text


def escalation_context(runbook: Runbook, incident_title: str, severity: str, phase: str, ref: str,
                       elapsed_minutes: int, last_status: str) -> str:
    """The runbook's "context to provide", filled in from the incident."""
    lines = [
        f"Escalating {ref} ({severity}, {phase}): {incident_title}",
        f"Runbook '{runbook.title}' started {elapsed_minutes} min ago without resolution.",
    ]
    if last_status:
        lines.append(f"Last status: {last_status}")
    if runbook.escalation.context_to_provide:
        lines.append(f"Context asked for: {runbook.escalation.context_to_provide}")
    return "\n".join(lines)


SKELETON = """\
# A runbook in the seed's template shape. Validate with: cockpit runbook validate {path}
runbook:
  id: {id}
  title: "{title}"
  alert_name: "{alert}"            # the exact alert that triggers this runbook
  last_updated: "{today}"
  owner: "your-team"
  services: []                     # services it applies to, e.g. [checkout-api]
  tags: []
  overview: |
    What this alert means in plain English.
  impact: |
    What users or systems are affected and how.
  diagnosis:
    - step: "Check service health"
      command: "kubectl get pods -n your-namespace"
      expected: "All pods Running and Ready"
      if_unexpected: "Describe the failing pod and check its events"
    - step: "Check recent deployments"
      command: "kubectl rollout history deployment/your-service -n your-namespace"
      expected: "No deployment in the last hour"
      if_unexpected: "Rollback: kubectl rollout undo deployment/your-service -n your-namespace"
    - step: "Check dependencies"
      command: "curl -fsS https://status.example.com/api/v2/status.json"
      expected: "All dependencies operational"
      if_unexpected: "Follow the dependency's own runbook"
  mitigation:
    - option: "Rollback"
      when: "Recent deployment suspected"
      steps:
        - step: "Roll back the last deployment"
          command: "kubectl rollout undo deployment/your-service -n your-namespace"
          expected: "Error rate back under the SLO within 5 minutes"
          if_unexpected: "Try the next option"
    - option: "Scale up"
      when: "Traffic spike"
      steps:
        - "Raise the replica count and watch saturation"
  escalation:
    after_minutes: 30
    contact: "#your-team-oncall"
    context_to_provide: "Incident link, what was tried, current error rate"
"""
