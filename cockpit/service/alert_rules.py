"""Prometheus rule files checked against the seed's alert design rules (``cockpit alerts lint``).

Reading the files (bounded, positions kept for ``file:line`` messages) is here; the rules themselves are the
domain's (``cockpit.domain.alerts.lint``). A file that cannot be read is one problem, and the other files are still
checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.domain.alerts import Finding, RuleAlert, lint, orphan_runbooks
from cockpit.domain.slo import parse_duration
from cockpit.yamldoc import Problem, YamlDocument, read_yaml


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # files or rules that could not be read
    orphans: list[str] = field(default_factory=list)  # runbooks whose alert_name matches no alert
    alerts: int = 0
    files: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(not f.advice for f in self.findings)


def expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
        else:
            out.append(path)
    return out


def _texts(doc: YamlDocument, value: object, path: tuple[object, ...], problems: list[Problem]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(doc.problem(path, "must be a mapping of names to texts"))
        return {}
    out = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            problems.append(doc.problem((*path, key), "must be text"))
            continue
        out[str(key)] = str(item)
    return out


def read_rules(path: Path) -> tuple[list[RuleAlert], list[Problem]]:
    """The alerting rules of one file (recording rules are skipped)."""
    doc, problems = read_yaml(path)
    if doc is None:
        return [], problems
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        return [], [*problems, doc.problem(("groups",), "a Prometheus rule file has a list of groups")]
    alerts: list[RuleAlert] = []
    for g, group in enumerate(data["groups"]):
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            problems.append(doc.problem(("groups", g, "rules"), "each group has a list of rules"))
            continue
        for r, rule in enumerate(group["rules"]):
            where = ("groups", g, "rules", r)
            if not isinstance(rule, dict):
                problems.append(doc.problem(where, "a rule is a mapping"))
                continue
            if "alert" not in rule:
                continue  # a recording rule
            name = rule.get("alert")
            if not isinstance(name, str) or not name.strip():
                problems.append(doc.problem((*where, "alert"), "the alert needs a name"))
                continue
            expr = rule.get("expr")
            if not isinstance(expr, (str, int, float)) or isinstance(expr, bool):
                problems.append(doc.problem((*where, "expr"), "the alert needs an expression"))
                continue
            has_for = False
            if "for" in rule:
                text = str(rule["for"])
                has_for = True  # a bad value is its own problem; no second message
                if text.strip() not in ("0", "0s") and parse_duration(text) is None:
                    problems.append(doc.problem((*where, "for"), f"'{text[:40]}' is not a duration such as 5m"))
                elif text.strip() in ("0", "0s"):
                    has_for = False
            labels = _texts(doc, rule.get("labels"), (*where, "labels"), problems)
            annotations = _texts(doc, rule.get("annotations"), (*where, "annotations"), problems)
            lines = {part: doc.problem((*where, part), "", at_key=True).line
                     for part in ("labels", "annotations", "for") if part in rule}
            alerts.append(RuleAlert(str(path), doc.where(where)[0], name.strip(), str(expr), labels, annotations,
                                    has_for, lines))
    return alerts, problems


def lint_files(paths: Iterable[Path], runbooks: Mapping[str, str]) -> LintReport:
    """Every alert of the files checked; ``runbooks`` maps the local library's runbook ids to their alert_name."""
    report = LintReport()
    alerts: list[RuleAlert] = []
    for path in expand(paths):
        report.files += 1
        if not path.exists():
            report.problems.append(Problem(str(path), 1, 1, "", "no such file or folder"))
            continue
        found, problems = read_rules(path)
        alerts += found
        report.problems += problems
    report.alerts = len(alerts)
    report.findings = lint(alerts, runbooks)
    report.orphans = orphan_runbooks(alerts, runbooks)
    return report
