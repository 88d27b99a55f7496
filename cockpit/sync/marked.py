"""What the trackers without an idempotency key share (GitLab, Jira): incidents and entries found by the ids the
cockpit hides in them, and a pull that sweeps the duplicates a late-landing request leaves behind.

An adapter built on ``MarkedAdapter`` reads its tracker's issues as ``Ticket`` and its comments as ``Note``
(the tracker-specific part: requests, answer shapes, where the ids hide); the rest is common:

* ``pull`` groups the changed tickets by the cockpit UUID they carry; when a ticket created in the pull's window
  has an older twin (the same UUID: a create that landed after its retry made another), the twin is brought in,
  the lowest-numbered ticket is kept and the others are closed as duplicates (once);
* notes carrying the same entry id twice keep the first; the later copies this login wrote are deleted;
* a note written by hand gets a deterministic entry id (tracker identity + note id), so re-pulls add nothing;
* one unreadable ticket is parked with its reason, never a reason to stop the pull.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from cockpit.domain.lifecycle import Phase
from cockpit.errors import InvalidInput
from cockpit.service.merge import Pulled, RemoteEntry, RemoteIncident, RemoteProblem, remote_entry_id, roles_text
from cockpit.sync.adapter import AuthFailed, KnownIds, Misconfigured, Permanent
from cockpit.sync.answers import loads, read_json
from cockpit.sync.entry_text import INCIDENT_MARKER, parse_entry_content
from cockpit.sync.http import TrackerHttp

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
INCIDENT_LABEL = "cockpit"
DUPLICATE_LABEL = "cockpit-duplicate"
PHASE_PREFIX = "phase:"
UUID_TEXT = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: The entry id a note carries, wherever an edit moved it (and however it was wrapped: a line of its own, an
#: HTML comment, small text at the end).
ENTRY_ID = re.compile(rf"cockpit-entry[: ](?P<id>{UUID_TEXT})")
SWEEP_TEXT = "cockpit-sweep"
#: What may wrap a hidden id on its line: an HTML comment, wiki markup colour, spaces.
WRAPPING = re.compile(r"(?:<!--|-->|\{color(?::[^}]*)?\}|\s)*")
META_FIELDS = ("impact", "scope", "roles", "severity_reason")


@dataclass
class Ticket:
    """One incident issue as the common code sees it."""

    remote_id: str  # what the tracker calls it (a Jira key, a GitLab iid)
    number: int  # its order of creation: the lowest of twins is kept
    uuid: str  # the cockpit's UUID it carries ("" for an issue nobody linked)
    meta: dict[str, Any]  # what the cockpit last wrote (ref, impact, scope, roles, severity, phase...)
    title: str
    severity: str  # as the tracker shows it now ("SEV2" or "")
    phase: str  # "RESPOND" or ""
    created_at: datetime | None
    updated_at: datetime | None
    swept: bool = False  # already closed as a duplicate
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Note:
    remote_id: str
    number: int  # its order on the ticket
    body: str  # the text, with the entry id taken out
    entry_id: str | None
    author: str
    created_at: datetime | None
    mine: bool = False  # written by this login: a duplicate of it may be deleted
    skip: bool = False  # not an entry: a system note, the cockpit's own note on a duplicate


def created_meta(fields: dict[str, Any]) -> dict[str, Any]:
    """What the cockpit keeps in an incident's hidden block when it creates it."""
    return {"id": str(fields.get("id", "")), "ref": str(fields.get("ref") or ""),
            "impact": str(fields.get("impact") or ""), "scope": str(fields.get("scope") or ""),
            "severity": str(fields.get("severity") or "").upper(), "phase": str(fields.get("phase") or "").upper(),
            "roles": "", "severity_reason": str(fields.get("severity_reason") or "")}


def changed_meta(ticket: Ticket, fields: dict[str, Any]) -> dict[str, Any]:
    """The hidden block after a change of ``fields``: severity and phase as they will be (the tracker's own where
    the change leaves them alone), roles in their one-line form, the other cockpit fields as given."""
    meta = dict(ticket.meta)
    if "roles" in fields:
        roles = fields["roles"]
        meta["roles"] = roles_text(roles) if isinstance(roles, dict) else str(roles)
    meta.update({name: fields[name] for name in ("severity_reason", "impact", "scope")
                 if isinstance(fields.get(name), str)})
    meta["severity"] = str(fields["severity"]).upper() if "severity" in fields else ticket.severity
    meta["phase"] = str(fields["phase"]).upper() if "phase" in fields else ticket.phase
    return meta


def split_entry_id(text: str) -> tuple[str | None, str]:
    """The entry id hidden in a note and the note's text without it (the line it sat on goes when nothing else
    is on it)."""
    match = ENTRY_ID.search(text)
    if match is None:
        return None, text
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    end = len(text) if end < 0 else end
    if WRAPPING.fullmatch(ENTRY_ID.sub("", text[start:end])):  # the id had its line to itself: drop the line
        text = text[:start] + text[end + 1:]
    else:
        text = text[:match.start()] + text[match.end():]
    return match["id"], text.strip("\n")


def json_or_none(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except ValueError:
        return None


def hidden_json(data: dict[str, Any]) -> str:
    """JSON to hide in an HTML comment: ``>`` is escaped so no value can close the comment early."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False).replace(">", "\\u003e")


def hidden_data(text: str, pattern: re.Pattern[str]) -> dict[str, Any]:
    """The JSON object a ``pattern`` (with a ``data`` group) finds in ``text``; {} when there is none."""
    match = pattern.search(text)
    if match is None:
        return {}
    try:
        data = loads(match["data"])
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def incident_marker(text: str) -> dict[str, Any]:
    """The fields held in the hidden incident marker opening ``text`` ({} when there is none or it is garbled)."""
    return hidden_data(text, INCIDENT_MARKER)


def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 stamp as the trackers write it (``Z``, ``+00:00`` or Jira's ``+0000``), or None."""
    if not text or not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's 1e999 is infinity
        return None


def as_text(data: dict[str, Any], key: str) -> str:
    """A text field of a record; a value of another JSON type makes the record unreadable (it is parked)."""
    value = data.get(key)
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"its {key} is a {type(value).__name__}, not text")
    return str(value)


def phase_of(text: str) -> Phase | None:
    try:
        return Phase.parse(text)
    except InvalidInput:
        return None


def label_fields(labels: list[str]) -> tuple[str, str]:
    """Severity and phase from labels (``SEV2``, ``phase:respond``); with two of a kind, the more severe and the
    later phase count."""
    severities = sorted(n.upper() for n in labels if n.upper() in SEVERITIES)
    phases = sorted((p for n in labels if n.lower().startswith(PHASE_PREFIX) if (p := phase_of(n[len(PHASE_PREFIX):]))),
                    key=lambda p: p.index)
    return (severities[0] if severities else "", phases[-1].value if phases else "")


def field_labels(severity: str, phase: str) -> list[str]:
    return [name for name in (severity.upper(), PHASE_PREFIX + phase.lower() if phase else "") if name]


def ours(label: str) -> bool:
    """A label the cockpit manages (a person's own labels are kept as they are)."""
    folded = label.casefold()
    return label.upper() in SEVERITIES or folded.startswith(PHASE_PREFIX) or folded.startswith(INCIDENT_LABEL)


class MarkedAdapter:
    """The common half of an adapter whose tracker has no idempotency key (see the module)."""

    name: str
    url: str
    identity: str
    http: TrackerHttp
    settle_seconds: float
    swept: int
    #: How the tracker's API is named in "did not answer like ..." (and where it lives, as a hint).
    api_words: str = "the tracker's API"
    api_hint: str = ""

    def _json(self, response: httpx.Response, kind: type[Any]) -> Any:
        """The answer's JSON, when it is a ``kind`` (dict or list); anything else says the URL looks wrong."""
        try:
            data = read_json(response, self.name)
        except ValueError:
            data = None
        if not isinstance(data, kind):
            raise Misconfigured(f"{self.name} at {self.url} did not answer like {self.api_words}: the URL looks "
                                f"wrong{self.api_hint}.")
        return data

    # --- the tracker-specific half -------------------------------------------------------------
    def tickets(self, since: datetime | None) -> Iterator[Ticket]:
        raise NotImplementedError

    def twins(self, uuids: set[str]) -> Iterator[Ticket]:
        """Every incident ticket carrying one of these cockpit UUIDs, whenever it changed."""
        raise NotImplementedError

    def notes(self, remote_id: str) -> Iterator[Note]:
        """The comments on one ticket."""
        raise NotImplementedError

    def close_duplicate(self, ticket: Ticket, keep: Ticket) -> None:
        raise NotImplementedError

    def delete_note(self, remote_id: str, note: Note) -> None:
        raise NotImplementedError

    def field_change(self, ticket: Ticket) -> tuple[datetime | None, str]:
        """When severity or phase was last changed in the tracker, and by whom."""
        return ticket.updated_at, ""

    # --- the interface ------------------------------------------------------------------------
    def prepare_create(self) -> str | None:
        return None  # no server tokens: the relay waits out settle_seconds and looks for the id first

    def cancel(self) -> None:
        self.http.cancel()

    def close(self) -> None:
        self.http.close()

    def find_incident(self, cockpit_uuid: str) -> str | None:
        found = sorted((t.number, t.remote_id) for t in self.twins({cockpit_uuid}) if t.uuid == cockpit_uuid)
        return found[0][1] if found else None

    def find_entry(self, remote_incident: str, cockpit_uuid: str) -> str | None:
        return next((note.remote_id for note in self.notes(remote_incident) if note.entry_id == cockpit_uuid), None)

    def pull(self, since: datetime | None, known: KnownIds | None = None) -> Pulled:
        del known
        with self.http.reading("the changed issues and their comments"):
            return self._pull(since)

    def _pull(self, since: datetime | None) -> Pulled:
        result = Pulled()
        tickets = {t.remote_id: t for t in self.tickets(since)}
        fresh = {t.uuid for t in tickets.values() if t.uuid and since is not None
                 and (t.created_at or since) >= since}
        if fresh:  # a late twin of an older ticket: bring the older ones in, so every cockpit keeps the same one
            tickets.update({t.remote_id: t for t in self.twins(fresh) if t.remote_id not in tickets})
        groups: dict[str, list[Ticket]] = {}
        for ticket in tickets.values():
            groups.setdefault(ticket.uuid or f"#{ticket.remote_id}", []).append(ticket)
        for key, group in groups.items():
            group.sort(key=lambda t: t.number)
            keep = group[0]
            if key == keep.uuid:
                for twin in group[1:]:
                    self._sweep_ticket(twin, keep)
            try:
                entries: list[RemoteEntry] = []
                for ticket in group:
                    entries.extend(self._entries(ticket, result))
                result.incidents.append(self._remote(keep, entries))
            except ValueError as exc:
                result.problems.append(RemoteProblem("incident", keep.remote_id, f"issue {keep.remote_id}", str(exc),
                                                     keep.uuid))
        return result

    def _sweep_ticket(self, twin: Ticket, keep: Ticket) -> None:
        if twin.swept:
            return
        try:
            self.close_duplicate(twin, keep)
            self.swept += 1
        except Permanent:
            pass  # no right to close it: the merge still treats it as one incident

    def _entries(self, ticket: Ticket, result: Pulled) -> list[RemoteEntry]:
        entries: list[RemoteEntry] = []
        seen: set[str] = set()
        for note in sorted(self.notes(ticket.remote_id), key=lambda n: n.number):
            if note.skip:
                continue
            if note.entry_id is not None and parse_entry_content(note.body) is None:
                # an id without the entry's header: a person quoted the cockpit's comment in their own (the
                # small id text comes along when copied); theirs is a note of its own, not a copy to sweep
                note = replace(note, entry_id=None)
            if note.entry_id is not None and note.entry_id in seen:
                try:
                    if note.mine:
                        self.delete_note(ticket.remote_id, note)
                        self.swept += 1
                except (Permanent, AuthFailed):
                    pass  # cannot delete it: the merge still counts the entry once
                continue
            if not note.remote_id:
                result.problems.append(RemoteProblem("entry", f"{ticket.remote_id}:?{len(result.problems)}",
                                                     f"a comment on issue {ticket.remote_id}", "it has no usable id"))
                continue
            if note.entry_id is not None:
                seen.add(note.entry_id)
            entries.append(self._entry(note))
        return entries

    def _entry(self, note: Note) -> RemoteEntry:
        at = note.created_at or datetime.now(UTC)
        entry_id = note.entry_id or remote_entry_id(self.identity, note.remote_id)
        parsed = parse_entry_content(note.body) if note.entry_id else None
        if parsed is None:
            return RemoteEntry(id=entry_id, remote_id=note.remote_id, at=at, author=note.author or self.name,
                               kind="note", text=note.body)
        return RemoteEntry(id=entry_id, remote_id=note.remote_id, at=parsed.at, author=parsed.author,
                           kind=parsed.kind, text=parsed.text, hlc=parsed.hlc, facts=parsed.facts)

    def _remote(self, ticket: Ticket, entries: list[RemoteEntry]) -> RemoteIncident:
        meta = ticket.meta
        changed_at, changed_by = ticket.updated_at, ""
        if (ticket.severity, ticket.phase) != (meta.get("severity", ""), meta.get("phase", "")):
            changed_at, changed_by = self.field_change(ticket)
        return RemoteIncident(
            remote_id=ticket.remote_id, cockpit_uuid=as_text(meta, "id"), ref=as_text(meta, "ref"),
            title=ticket.title, fields={"severity": ticket.severity, "phase": ticket.phase,
                                        **{name: as_text(meta, name) for name in META_FIELDS}},
            changed_at=changed_at or datetime.now(UTC), changed_by=changed_by, entries=entries)
