"""Export an incident to a folder that outlives any vendor, and import it into another cockpit.

The folder holds ``incident.md`` (to read) and JSON Lines (to read back): ``incident.jsonl``, ``timeline.jsonl``,
``roles.jsonl``, ``decisions.jsonl``, ``action_items.jsonl`` and ``postmortem.jsonl``. Ordering and formatting are
fixed (records in timeline order, keys sorted, times as UTC ISO text, one record a line, a newline at the end), so an
export is diffable in a pull request and export → import → export gives the same bytes.

An import keeps every id and stamp. It refuses, in one sentence, an incident this cockpit already has and a file
that is not what an export writes (``file:line: field: problem``). What it brings in is queued for the tracker like
anything written here, each create marked to be looked for first (by its cockpit id): an incident that is already on
the tracker is linked, not sent twice.

``decisions.jsonl`` and ``postmortem.jsonl`` are derived (the timeline's decisions, the postmortem draft): written for
readers and diffs, checked on import but not stored from them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Integer
from sqlmodel import Session, SQLModel, col, func, select

from cockpit.domain import ids
from cockpit.domain import postmortem as pm
from cockpit.domain.incident import LOOK_FIRST
from cockpit.errors import InvalidInput
from cockpit.service.aftercare import Aftercare
from cockpit.service.incidents import IncidentService, incident_payload
from cockpit.service.role_holders import holders_by_role
from cockpit.store.models import ActionItemRow, Incident, RoleAssignment, TimelineEntry
from cockpit.store.types import UTCDateTime

FILES = ("incident.jsonl", "timeline.jsonl", "roles.jsonl", "decisions.jsonl", "action_items.jsonl",
         "postmortem.jsonl")
MARKDOWN = "incident.md"
MAX_FILE = 200 * 1024 * 1024  # a timeline of 100,000 long entries fits; a stray disk image does not


def _time_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _record(row: SQLModel) -> dict[str, Any]:
    """A table row as JSON values: times as UTC text, everything else as stored."""
    table = type(row).__table__  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    for column in table.columns:
        value = getattr(row, column.name)
        out[column.name] = _time_text(value) if isinstance(value, datetime) else value
    return out


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")) + "\n"


@dataclass(frozen=True)
class Exported:
    ref: str
    folder: Path
    files: tuple[str, ...]
    entries: int


@dataclass(frozen=True)
class Imported:
    ref: str
    incident_id: str
    entries: int
    roles: int
    actions: int
    renumbered: tuple[tuple[int, int], ...]  # action items whose AI- number was taken here: (was, now)
    queued: int


class Exchange:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents

    # --- export ---------------------------------------------------------------------------------
    def export(self, query: str, folder: Path) -> Exported:
        svc = self.incidents
        with svc.store.read() as session:
            incident = svc.find_in(session, query)
            timeline = list(session.exec(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
                                         .order_by(col(TimelineEntry.hlc), col(TimelineEntry.id))).all())
            roles = list(session.exec(select(RoleAssignment).where(RoleAssignment.incident_id == incident.id)
                                      .order_by(col(RoleAssignment.since), col(RoleAssignment.id))).all())
            actions = list(session.exec(select(ActionItemRow).where(ActionItemRow.incident_id == incident.id)
                                        .order_by(col(ActionItemRow.number))).all())
            head = _record(incident)
            lines = {
                "incident.jsonl": [_line(head)],
                "timeline.jsonl": [_line(_record(e)) for e in timeline],
                "roles.jsonl": [_line(_record(r)) for r in roles],
                "decisions.jsonl": [_line({"id": e.id, "at": _time_text(e.at), "author": e.author, "text": e.text})
                                    for e in timeline if e.kind == "decision"],
                "action_items.jsonl": [_line(_record(a)) for a in actions],
            }
            ref = ids.display_ref(incident.ref_key)
        postmortem_md = "The incident is still open: no postmortem draft yet (its figures would change by the minute)."
        lines["postmortem.jsonl"] = []
        if head["resolved_at"] is not None:
            draft = Aftercare(svc).postmortem(incident.id)
            # proposed action items are numbered after the highest AI- of this cockpit: not part of the incident
            draft.action_items = [item for item in draft.action_items if not item.proposed]
            lines["postmortem.jsonl"] = [_line({"section": key, "value": value})
                                         for key, value in pm.as_dict(draft)["postmortem"].items()]
            postmortem_md = pm.to_markdown(draft)
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in lines.items():
            _write(folder / name, "".join(content))
        _write(folder / MARKDOWN, _markdown(ref, head, timeline, roles, actions, postmortem_md))
        return Exported(ref, folder, (MARKDOWN, *FILES), len(timeline))

    # --- import ---------------------------------------------------------------------------------
    def import_folder(self, folder: Path) -> Imported:
        if not folder.is_dir():
            raise InvalidInput(f"{folder} is not a folder written by `cockpit export`.")
        read = {name: list(_read_lines(folder / name)) for name in FILES}
        if len(read["incident.jsonl"]) != 1:
            raise InvalidInput(f"{folder / 'incident.jsonl'}:1: holds {len(read['incident.jsonl'])} incidents, "
                               "not one.")
        path, number, data = read["incident.jsonl"][0]
        incident = _row(Incident, data, path, number)
        entries = [_row(TimelineEntry, d, p, n) for p, n, d in read["timeline.jsonl"]]
        roles = [_row(RoleAssignment, d, p, n) for p, n, d in read["roles.jsonl"]]
        actions = [_row(ActionItemRow, d, p, n) for p, n, d in read["action_items.jsonl"]]
        for (p, n, _), row in zip(read["timeline.jsonl"] + read["roles.jsonl"] + read["action_items.jsonl"],
                                  [*entries, *roles, *actions], strict=True):
            if row.incident_id != incident.id:
                raise InvalidInput(f"{p}:{n}: incident_id: belongs to {row.incident_id}, not to this folder's "
                                   f"incident {incident.id}.")
        decided = {e.id for e in entries if e.kind == "decision"}
        for p, n, d in read["decisions.jsonl"]:
            if d.get("id") not in decided:
                raise InvalidInput(f"{p}:{n}: id: no decision in timeline.jsonl has this id.")
        for p, n, d in read["postmortem.jsonl"]:
            if not isinstance(d.get("section"), str) or "value" not in d:
                raise InvalidInput(f"{p}:{n}: section: each line is {{\"section\": name, \"value\": ...}}.")
        return self._store(incident, entries, roles, actions)

    def _store(self, incident: Incident, entries: list[TimelineEntry], roles: list[RoleAssignment],
               actions: list[ActionItemRow]) -> Imported:
        svc = self.incidents
        now = svc.clock()
        ref = ids.display_ref(incident.ref_key)
        with svc.store.write() as session:
            if session.get(Incident, incident.id) is not None or session.exec(
                    select(Incident.id).where(Incident.ref_key == incident.ref_key)).first() is not None:
                raise InvalidInput(f"This cockpit already has {ref}; nothing was imported.")
            for model, rows in ((TimelineEntry, entries), (RoleAssignment, roles), (ActionItemRow, actions)):
                taken = session.exec(select(model.id).where(
                    col(model.id).in_([r.id for r in rows]))).first()
                if taken is not None:
                    raise InvalidInput(f"This cockpit already has a record with the id {taken} (in another "
                                       f"incident); nothing was imported.")
            session.add(incident)
            session.flush()
            for row in [*entries, *roles]:
                session.add(row)
            renumbered = self._add_actions(session, actions)
            session.flush()
            queued = self._queue(session, incident, entries, now)
        return Imported(ref, incident.id, len(entries), len(roles), len(actions), tuple(renumbered), queued)

    @staticmethod
    def _add_actions(session: Session, actions: list[ActionItemRow]) -> list[tuple[int, int]]:
        renumbered = []
        highest = int(session.exec(select(func.max(ActionItemRow.number))).one() or 0)
        for row in actions:
            if session.exec(select(ActionItemRow.id).where(ActionItemRow.number == row.number)).first():
                highest += 1
                renumbered.append((row.number, highest))
                row.number = highest
            highest = max(highest, row.number)
            session.add(row)
        return renumbered

    def _queue(self, session: Session, incident: Incident, entries: list[TimelineEntry], now: datetime) -> int:
        """The incident, its entries and its fields, queued for the tracker; every create looks first."""
        svc = self.incidents
        svc.enqueue_in(session, incident, "create_incident", incident.id,
                       {**incident_payload(incident), LOOK_FIRST: True}, now)
        queued = sum(svc.queue_entry_in(session, incident, entry, now, {LOOK_FIRST: True}) for entry in entries)
        fields = {"phase": incident.phase, "roles": holders_by_role(session, incident.id, every_role=True),
                  **({"root_cause": incident.root_cause} if incident.root_cause else {})}
        svc.enqueue_in(session, incident, "update_incident", incident.id, fields, now)
        if incident.kind == "exercise" and not incident.to_tracker:
            return 0
        return queued + 2


def _write(path: Path, text: str) -> None:
    """Whole or not at all: a half-written export never looks like a finished one."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8", newline="\n")
    partial.replace(path)


def _read_lines(path: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    if not path.is_file():
        raise InvalidInput(f"{path}: missing; an export folder holds {', '.join(FILES)}.")
    if path.stat().st_size > MAX_FILE:
        raise InvalidInput(f"{path}: larger than {MAX_FILE // (1024 * 1024)} MB; not an export.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.start}).") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{number}:{exc.colno}: not JSON ({exc.msg}).") from None
        except (ValueError, RecursionError) as exc:  # a number over 4,300 digits; nesting past the parser's depth
            why = "nested too deeply" if isinstance(exc, RecursionError) else "a number too long"
            raise InvalidInput(f"{path}:{number}: not JSON that can be read ({why}).") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"{path}:{number}: each line is one JSON object.")
        yield path, number, data


def _row(model: type[Any], data: dict[str, Any], path: Path, number: int) -> Any:
    """One exported record back as a table row, every field checked against the column it goes into."""
    table = model.__table__
    values: dict[str, Any] = {}
    known = {c.name for c in table.columns}
    for name in data:
        if name not in known:
            raise InvalidInput(f"{path}:{number}: {str(name)[:40]}: not a field of this record.")
    for column in table.columns:
        where = f"{path}:{number}: {column.name}"
        if column.name not in data:
            if column.primary_key and column.name == "seq":
                continue
            raise InvalidInput(f"{where}: missing.")
        value = data[column.name]
        if value is None:
            if not column.nullable:
                raise InvalidInput(f"{where}: must not be null.")
        elif isinstance(column.type, UTCDateTime):
            if not isinstance(value, str):
                raise InvalidInput(f"{where}: must be a UTC time like 2026-11-22T19:35:00.000000Z.")
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidInput(f"{where}: '{value[:40]}' is not a time.") from None
            if value.tzinfo is None:
                raise InvalidInput(f"{where}: the time has no zone; exports write UTC (Z).")
        elif isinstance(column.type, Boolean):
            if not isinstance(value, bool):
                raise InvalidInput(f"{where}: must be true or false.")
        elif isinstance(column.type, Integer):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"{where}: must be a whole number.")
        elif type(column.type).__name__ == "JSON":
            if not isinstance(value, (dict, list)):
                raise InvalidInput(f"{where}: must be a JSON object or list.")
        elif not isinstance(value, str):
            raise InvalidInput(f"{where}: must be text.")
        elif "\x00" in value:
            raise InvalidInput(f"{where}: contains a NUL character.")
        values[column.name] = value
    if "id" in values and ids_invalid(values["id"]):
        raise InvalidInput(f"{path}:{number}: id: '{str(values['id'])[:40]}' is not a cockpit id (a UUID).")
    return model(**values)


def ids_invalid(value: str) -> bool:
    import uuid

    try:
        return str(uuid.UUID(value)) != value
    except ValueError:
        return True


# --- the readable copy ------------------------------------------------------------------------------
def _cell(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _quoted(text: str) -> str:
    """Text from people as a Markdown block quote: shown as written (no heading or list can start in it)."""
    return "\n".join("> " + line if line else ">" for line in text.splitlines()) or ">"


def _markdown(ref: str, head: dict[str, Any], timeline: list[TimelineEntry], roles: list[RoleAssignment],
              actions: list[ActionItemRow], postmortem_md: str) -> str:
    out = [f"# {ref}: {_cell(head['title'])}", "",
           "| field | value |", "|---|---|"]
    for key in ("id", "kind", "severity", "phase", "impact", "scope", "services", "declared_by", "declared_at",
                "started_at", "acknowledged_at", "mitigated_at", "resolved_at", "root_cause"):
        value = head.get(key)
        if key == "severity":
            value = f"SEV{value}"
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        out.append(f"| {key} | {_cell(value if value not in (None, '') else '—')} |")
    out += ["", "## Roles", "", "| role | holder | since | until | assigned by |", "|---|---|---|---|---|"]
    for r in roles:
        until = _time_text(r.until) if r.until else "—"
        out.append(f"| {r.role} | {_cell(r.holder)} | {_time_text(r.since)} | {until} | {_cell(r.assigned_by)} |")
    out += ["", f"## Timeline ({len(timeline)} entries)", ""]
    for e in timeline:
        out += [f"### {_time_text(e.at)} · {e.kind} · {_cell(e.author)}", "", _quoted(e.text), ""]
    decisions = [e for e in timeline if e.kind == "decision"]
    out += ["## Decisions", ""]
    out += [f"- {_time_text(e.at)} {_cell(e.author)}: {_cell(e.text)}" for e in decisions] or ["- none"]
    out += ["", "## Action items", "", "| item | type | priority | owner | deadline | status | description |",
            "|---|---|---|---|---|---|---|"]
    for a in actions:
        out.append(f"| AI-{a.number} | {a.type} | {a.priority} | {_cell(a.owner) or '—'} | {a.deadline or '—'} | "
                   f"{a.status} | {_cell(a.description)} |")
    out += ["", "## Postmortem (draft)", "", postmortem_md.strip(), ""]
    return "\n".join(out)
