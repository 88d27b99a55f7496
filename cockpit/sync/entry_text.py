"""The text form of a timeline entry that travels as a tracker comment: a header line ("[decision] alice ·
2026-11-22T19:35:00Z · hlc=…"), a blank line, the text. The header carries what every cockpit needs to place the
entry identically: its kind, its author, the author's time and the entry's hybrid-logical-clock stamp (``hlc``);
a declaration also carries the facts the tracker has no field for (``services``, ``started``, ``triggers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from cockpit.service.merge import roles_text
from cockpit.textsafe import is_number_text

ENTRY_HEADER = re.compile(r"^\[(?P<kind>[a-z]+)\] (?P<author>[^\n]+?) · (?P<at>\d{4}-\d\d-\d\dT[\d:.]+Z)"
                          r"(?P<extras>(?: · [a-z][a-z0-9_]*=[^\s·]*)*)\n\n")
#: Facts of a declaration that travel in its header (the tracker has no field for them).
DECLARED_FACTS = ("services", "started", "triggers")
#: The hidden markers in Markdown/HTML-rendered trackers (GitHub, Gitea, Redmine): an HTML comment opening an
#: issue's text holds the incident's UUID and the fields the tracker has no place for; one opening a comment
#: holds the entry's UUID. Trackers keep the raw text, so the markers survive editing on the web.
INCIDENT_MARKER = re.compile(r"\A<!-- cockpit-incident (?P<data>\{.*?\}) -->", re.DOTALL)
ENTRY_MARKER = re.compile(r"\A<!-- cockpit-entry (?P<id>[0-9a-f-]{36}) -->(?:\r?\n)?")


def apply_changes(meta: dict[str, Any], fields: dict[str, Any], severity: str, phase: str) -> tuple[str, str]:
    """A field change applied to the incident marker's data (roles in their one-line form, the reason, impact and
    scope); returns the severity and phase to write (the changed ones, else those given)."""
    if "severity" in fields:
        severity = str(fields["severity"]).upper()
    if "phase" in fields:
        phase = str(fields["phase"]).upper()
    if "roles" in fields:
        roles = fields["roles"]
        meta["roles"] = roles_text(roles) if isinstance(roles, dict) else str(roles)
    for name in ("severity_reason", "impact", "scope"):
        if isinstance(fields.get(name), str):
            meta[name] = fields[name]
    meta.update({"severity": severity, "phase": phase})
    return severity, phase


def entry_content(entry: dict[str, Any]) -> str:
    at = str(entry.get("at", "")).replace("+00:00", "Z")
    extras: list[tuple[str, str]] = []
    if isinstance(entry.get("hlc"), int):
        extras.append(("hlc", str(entry["hlc"])))
    data: dict[str, Any] = entry["data"] if isinstance(entry.get("data"), dict) else {}
    if entry.get("kind") == "declared" and data:
        services = data.get("services") or []
        if services:
            extras.append(("services", ",".join(quote(str(s), safe="") for s in services)))
        if data.get("started_at"):
            extras.append(("started", str(data["started_at"]).replace("+00:00", "Z")))
        on = sorted(k for k, v in (data.get("triggers") or {}).items() if v)
        if on:
            extras.append(("triggers", ",".join(on)))
    text = str(entry.get("text", ""))
    if entry.get("kind") == "evidence":
        if isinstance(data.get("sha256"), str):
            extras.append(("sha256", data["sha256"]))
        text = fenced(text)
    tail = "".join(f" · {key}={quote(value, safe=',:.-%')}" for key, value in extras)
    return f"[{entry.get('kind', 'note')}] {entry.get('author', '')} · {at}{tail}\n\n{text}"


def fenced(text: str) -> str:
    """``text`` as a Markdown fenced block, its fence longer than any run of backticks inside (so the text can
    never close it early and be read as Markdown)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def unfenced(text: str) -> str:
    """The text inside a block ``fenced`` wrote; anything else unchanged."""
    opening = re.match(r"(`{3,})text\n", text)
    if opening and text.endswith("\n" + opening[1]) and len(text) > 2 * len(opening[1]) + 5:
        return text[opening.end():-len(opening[1]) - 1]
    return text


@dataclass(frozen=True)
class ParsedEntry:
    """A comment the cockpit wrote, read back: its header fields and its text."""

    kind: str
    author: str
    at: datetime
    text: str
    hlc: int | None = None
    facts: dict[str, str] = field(default_factory=dict)  # declared entries: services, started, triggers


def parse_entry_content(content: str) -> ParsedEntry | None:
    """The header fields and text of a comment the cockpit wrote, or None for one written by hand."""
    header = ENTRY_HEADER.match(content)
    if header is None:
        return None
    try:
        at = datetime.fromisoformat(header["at"].replace("Z", "+00:00"))
    except ValueError:
        return None  # looks like ours but the time is not a time: treat it as written by hand
    extras = dict(part.split("=", 1) for part in header["extras"].split(" · ") if "=" in part)
    hlc_text = extras.pop("hlc", "")
    hlc = int(hlc_text) if is_number_text(hlc_text) and len(hlc_text) < 30 else None
    # services stay quoted one by one (a comma may be part of a name): the merge splits and unquotes them
    facts = {key: value if key == "services" else unquote(value) for key, value in extras.items()
             if key in DECLARED_FACTS}
    text = content[header.end():]
    if header["kind"] == "evidence":
        text = unfenced(text)
    return ParsedEntry(header["kind"], header["author"], at, text, hlc, facts)
