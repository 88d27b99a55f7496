"""Blameless postmortem drafts (the seed's template), action items, and the blameless-language check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from cockpit.domain.discipline import orphan_gaps
from cockpit.domain.incident import Entry, IncidentSnapshot
from cockpit.domain.metrics import IncidentMetrics, format_duration
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput

ACTION_TYPES = ("prevent", "detect", "mitigate", "process")
PRIORITIES = ("P0", "P1", "P2")


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    DONE = "done"


ACTION_STATUSES = tuple(status.value for status in ActionStatus)


@dataclass(frozen=True)
class ActionItem:
    key: str  # AI-001
    description: str
    type: str = "prevent"
    owner: str = ""
    priority: str = "P1"
    deadline: date | None = None
    status: str = "open"
    ticket: str = ""
    incident_ref: str = ""
    proposed: bool = False  # drafted from a timeline entry, not yet confirmed

    def overdue(self, today: date) -> bool:
        return self.status != "done" and self.deadline is not None and self.deadline < today


def action_entry_text(item: ActionItem) -> str:
    """The timeline entry that records an action item being added."""
    return (f"Action item {item.key} ({item.priority}, {item.type}): {item.description}"
            + (f" — owner {item.owner}" if item.owner else ""))


def check_action_fields(type_: str, priority: str, status: str) -> None:
    if type_ not in ACTION_TYPES:
        raise InvalidInput(f"'{type_}' is not an action type: use one of {', '.join(ACTION_TYPES)}.")
    if priority not in PRIORITIES:
        raise InvalidInput(f"'{priority}' is not a priority: use P0, P1 or P2.")
    if status not in ACTION_STATUSES:
        raise InvalidInput(f"'{status}' is not a status: use one of {', '.join(ACTION_STATUSES)}.")


# --- the blameless check -----------------------------------------------------------------------
@dataclass(frozen=True)
class BlameFlag:
    sentence: str
    phrase: str
    suggestion: str


_BLAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bhuman error\b", "Say which condition made the error possible: what conditions allowed this?"),
    (r"\bshould have\b", "Describe what the system or process lacked, not what a person failed to do."),
    (r"\bshould've\b", "Describe what the system or process lacked, not what a person failed to do."),
    (r"\b(?:[A-Z][a-z]+|someone|he|she|they)\s+(?:caused|broke|forgot|failed to|neglected|messed up)\b",
     "Ask what made this mistake possible; name the system gap, not the person."),
    (r"\b(?:fault of|blame[ds]?|careless(?:ly|ness)?|negligen(?:t|ce)|incompeten(?:t|ce))\b",
     "Blameless: improve systems, not punish individuals. What conditions allowed this?"),
    (r"\bdidn't bother\b|\bwasn't paying attention\b", "Replace with the missing safeguard or signal."),
)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


SEED_REFRAME = "Blameless: ask “What conditions allowed this?”, not “Who caused this?”"


def blame_check(text: str) -> list[BlameFlag]:
    """Sentences that read like blame, each with the seed's reframing. Advice, never a block."""
    flags: list[BlameFlag] = []
    for sentence in _sentences(text):
        for pattern, suggestion in _BLAME_PATTERNS:
            match = re.search(pattern, sentence, flags=0 if "[A-Z]" in pattern else re.IGNORECASE)
            if match:
                flags.append(BlameFlag(sentence, match.group(0), f"{suggestion} {SEED_REFRAME}"))
                break
    return flags


# --- the draft -----------------------------------------------------------------------------------
@dataclass
class Postmortem:
    title: str
    date: str
    severity: str
    duration: str
    status: str  # draft | in-review | final
    summary: str
    impact: dict[str, Any]
    timeline: list[dict[str, str]]
    root_cause: str
    contributing_factors: list[str]
    detection: dict[str, Any]
    resolution: dict[str, Any]
    what_went_well: list[str]
    what_went_wrong: list[str]
    where_we_got_lucky: list[str]
    five_whys: list[str]
    action_items: list[ActionItem]
    unresolved: bool
    quick: bool
    authors: list[str] = field(default_factory=list)
    blame_flags: list[BlameFlag] = field(default_factory=list)


def _minutes(value: Any) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def draft(incident: IncidentSnapshot, timeline: Sequence[Entry], metrics: IncidentMetrics,
          actions: Sequence[ActionItem], full: bool | None = None) -> Postmortem:
    """A postmortem drafted from what the cockpit recorded; people add judgement to the empty parts."""
    quick = (incident.severity >= Severity.SEV3) if full is None else not full
    first = timeline[0].at if timeline else incident.declared_at
    authors = sorted({e.author for e in timeline if e.kind in ("note", "decision", "status", "action")})[:5]
    statuses = [e.text for e in timeline if e.kind == "status"]
    summary = (f"{incident.title}. {incident.severity_reason}. "
               + (f"Root cause: {incident.root_cause} " if incident.root_cause else "")
               + (f"Last status: {statuses[-1]}" if statuses else "")).strip()
    pm = Postmortem(
        title=incident.title,
        date=f"{(incident.started_at or first):%Y-%m-%d}",
        severity=incident.severity.label,
        duration=format_duration(metrics.duration) + (" so far" if metrics.ongoing else ""),
        status="draft",
        summary=summary,
        impact={"services": list(incident.services), "scope": incident.scope.label,
                "what": incident.impact.label, "duration_minutes": _minutes(metrics.duration),
                "data_loss": incident.triggers.data_loss, "users_affected": None, "revenue_impact_usd": None,
                "slo_budget_consumed_pct": None, "customer_tickets": None},
        timeline=[{"time": f"{e.at:%Y-%m-%d %H:%M}Z", "kind": e.kind, "author": e.author, "event": e.text}
                  for e in timeline],
        root_cause=incident.root_cause,
        contributing_factors=[],
        detection={"how_detected": "", "time_to_detect_minutes": _minutes(metrics.time_to_detect),
                   "time_to_acknowledge_minutes": _minutes(metrics.time_to_acknowledge),
                   "could_have_detected_sooner": ""},
        resolution={"how_resolved": "", "time_to_mitigate_minutes": _minutes(metrics.time_to_mitigate),
                    "time_to_resolve_minutes": _minutes(metrics.time_to_resolve)},
        what_went_well=[], what_went_wrong=[], where_we_got_lucky=[],
        five_whys=[], action_items=list(actions), unresolved=incident.phase.is_open, quick=quick, authors=authors,
    )
    pm.blame_flags = blame_check("\n".join([pm.summary, pm.root_cause, *(e.text for e in timeline)]))
    return pm


def as_dict(pm: Postmortem) -> dict[str, Any]:
    """The seed's YAML template shape."""
    return {"postmortem": {
        "title": pm.title, "date": pm.date, "severity": pm.severity, "duration": pm.duration,
        "authors": pm.authors, "reviewers": [], "status": pm.status, "unresolved_incident": pm.unresolved,
        "summary": pm.summary, "impact": pm.impact, "timeline": pm.timeline, "root_cause": pm.root_cause,
        "contributing_factors": pm.contributing_factors, "detection": pm.detection, "resolution": pm.resolution,
        "what_went_well": pm.what_went_well, "what_went_wrong": pm.what_went_wrong,
        "where_we_got_lucky": pm.where_we_got_lucky, "five_whys": pm.five_whys,
        "action_items": [{"id": a.key, "type": a.type, "description": a.description, "owner": a.owner,
                          "priority": a.priority, "deadline": a.deadline.isoformat() if a.deadline else "",
                          "status": a.status, "ticket": a.ticket, "proposed": a.proposed}
                         for a in pm.action_items],
        "blameless_check": [{"sentence": f.sentence, "phrase": f.phrase, "suggestion": f.suggestion}
                            for f in pm.blame_flags],
    }}


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _shown(value: Any, missing: str = "_?_") -> str:
    """A value as a reader expects it: yes/no, lists joined, and a word where nothing is known yet."""
    if value is None or value == "" or value == []:
        return missing
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _minutes_text(value: float | None, missing: str) -> str:
    return missing if value is None else f"{value} min"


def to_markdown(pm: Postmortem) -> str:
    lines: list[str] = []
    if pm.unresolved:
        lines.append("> **Draft of an unresolved incident**: times so far; finish it after the incident is resolved.\n")
    heading = "Quick Postmortem" if pm.quick else "Postmortem"
    lines += [f"# {heading}: {pm.title}", "",
              f"**Date**: {pm.date} | **Duration**: {pm.duration} | **Severity**: {pm.severity} | "
              f"**Status**: {pm.status}", ""]
    if pm.quick:
        lines += ["## What Happened", pm.summary, "", "## Timeline"]
        lines += [f"- {t['time'][11:16]} - {_md_escape(t['event'])}" for t in pm.timeline
                  if t["kind"] not in ("role",)]
        lines += ["", "## Root Cause", pm.root_cause or "_To be written._", "", "## Fix",
                  "- Immediate: " + (pm.resolution.get("how_resolved") or "_what was done_"),
                  "- Long-term: " + (", ".join(f"{a.key} {a.description}" for a in pm.action_items) or "_ticket_")]
    else:
        lines += ["## Executive Summary", pm.summary, "", "## Impact"]
        for key, value in pm.impact.items():
            if key == "slo_budgets":
                lines += [_slo_budget_line(item) for item in value if isinstance(item, dict)]
                continue
            lines.append(f"- {key.replace('_', ' ').capitalize()}: {_shown(value)}")
        lines += ["", "## Timeline (UTC)", "", "| Time | Kind | Who | Event |", "|------|------|-----|-------|"]
        lines += [f"| {t['time']} | {t['kind']} | {_md_escape(t['author'])} | {_md_escape(t['event'])} |"
                  for t in pm.timeline]
        lines += ["", "## Root Cause Analysis", pm.root_cause or "_To be written: go deeper than the trigger._", "",
                  "### 5 Whys"]
        lines += [f"{i}. Why? → {w}" for i, w in enumerate(pm.five_whys, 1)] or ["1. Why did the service fail? → "]
        lines += ["", "### Contributing Factors"] + ([f"- {c}" for c in pm.contributing_factors] or ["- "])
        det, res = pm.detection, pm.resolution
        lines += ["", "## Detection", f"- How detected: {det['how_detected'] or '_?_'}",
                  "- Time to detect: " + _minutes_text(det["time_to_detect_minutes"],
                                                       "unknown (when impact began was not recorded)"),
                  "- Time to acknowledge: " + _minutes_text(det["time_to_acknowledge_minutes"], "not yet"),
                  "", "## Resolution",
                  "- Time to mitigate: " + _minutes_text(res["time_to_mitigate_minutes"], "not yet mitigated"),
                  "- Time to resolve: " + _minutes_text(res["time_to_resolve_minutes"], "not yet resolved"), ""]
        for title, items in (("What Went Well", pm.what_went_well), ("What Went Wrong", pm.what_went_wrong),
                             ("Where We Got Lucky", pm.where_we_got_lucky)):
            lines += [f"## {title}"] + ([f"- {i}" for i in items] or ["- "]) + [""]
        lines += ["## Action Items", "", "| ID | Priority | Type | Action | Owner | Due | Status | Ticket |",
                  "|----|----------|------|--------|-------|-----|--------|--------|"]
        lines += [f"| {a.key} | {a.priority} | {a.type} | {_md_escape(a.description)}"
                  f"{' (proposed)' if a.proposed else ''} | {_md_escape(a.owner)} | "
                  f"{a.deadline.isoformat() if a.deadline else ''} | {a.status} | {_md_escape(a.ticket)} |"
                  for a in pm.action_items]
        orphans = [(a.key, orphan_gaps(a.owner, a.deadline, a.ticket)) for a in pm.action_items
                   if not a.proposed and a.status != "done"]
        if found := [f"{key} ({', '.join(f'no {g}' for g in gaps)})" for key, gaps in orphans if gaps]:
            lines += ["", f"**Orphan action items** (every item needs an owner, a date and a ticket): "
                          f"{', '.join(found)}"]
    if pm.blame_flags:
        lines += ["", "## Blameless check (advice)"]
        lines += [f"- “{_md_escape(f.sentence)}” — {f.suggestion}" for f in pm.blame_flags]
    return "\n".join(lines).rstrip() + "\n"


def _slo_budget_line(item: dict[str, Any]) -> str:
    def pct(value: Any) -> str:
        return "?" if value is None else f"{value} %"

    return (f"- SLO {item.get('slo')}: {pct(item.get('remaining_at_declaration_pct'))} of its error budget left at "
            f"declaration, {pct(item.get('remaining_at_resolution_pct'))} at resolution; the incident took "
            f"{pct(item.get('consumed_pct'))}")


_OWNER = re.compile(r"\bowner:\s*([^,;()]+?)\s*(?=[,;)])", re.IGNORECASE)
_PRIORITY = re.compile(r"\b(P[012])\b")
_DUE = re.compile(r"\bdue\s+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)


def action_hints(text: str) -> tuple[str, str, date | None]:
    """Owner, priority and deadline as an action entry states them ("(owner: chen, P0, due 2026-11-26)"); the
    defaults (no owner, P1, no date) when it does not."""
    owner = _OWNER.search(text)
    priority = _PRIORITY.search(text)
    due = _DUE.search(text)
    try:
        deadline = date.fromisoformat(due.group(1)) if due else None
    except ValueError:
        deadline = None
    return (owner.group(1).strip() if owner else ""), (priority.group(1) if priority else "P1"), deadline


def proposed_actions(timeline: Sequence[Entry], start_number: int) -> list[ActionItem]:
    """Timeline entries of kind ``action`` proposed as action items (not yet stored), with the owner, priority
    and deadline their text states."""
    items = []
    for i, entry in enumerate(e for e in timeline if e.kind == "action"):
        owner, priority, deadline = action_hints(entry.text)
        items.append(ActionItem(key=f"AI-{start_number + i:03d}", description=entry.text, owner=owner,
                                priority=priority, deadline=deadline, proposed=True))
    return items


def parse_deadline(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date: use YYYY-MM-DD.") from None
