"""Loading the sample data set: incidents replayed through the real use cases, the rotation, pages.

An incident file is replayed event by event through ``IncidentService`` with the clock set to each
event's time, so the sample data obeys the same rules as live use (a file that skips MITIGATE fails).
With ``now`` given, every time in the data set is shifted by one amount so the newest event lands a
couple of minutes before ``now``: the demo looks live, and every duration stays as written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cockpit.domain.comms import Template
from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope, Severity, Triggers
from cockpit.errors import CockpitError, InvalidInput
from cockpit.resources import data_folder
from cockpit.service.aftercare import Aftercare
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.store.models import Page, Shift
from cockpit.yamldoc import YamlDocument, read_yaml

SAMPLE_DIR = data_folder("sample_data")
DEMO_LEAD = timedelta(minutes=2)


@dataclass
class LoadedSample:
    incidents: list[str]  # references, in file order
    shifts: int
    pages: int
    shift: timedelta = timedelta(0)  # how far every time was moved (the demo's Prometheus data moves with it)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


class _Clock:
    def __init__(self, shift: timedelta) -> None:
        self.shift = shift
        self.now = datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        self.now = moment + self.shift

    def __call__(self) -> datetime:
        return self.now


def _seeded_rand(seed: str) -> Any:
    counter = [0]

    def rand(count: int) -> bytes:
        counter[0] += 1
        return hashlib.sha256(f"{seed}:{counter[0]}".encode()).digest()[:count]

    return rand


def _docs(directory: Path) -> list[YamlDocument]:
    docs = []
    for path in sorted((directory / "incidents").glob("*.yaml")):
        doc, problems = read_yaml(path)
        if problems or doc is None:
            raise InvalidInput(str(problems[0]))
        docs.append(doc)
    return docs


def latest_time(directory: Path) -> datetime:
    latest = datetime(1970, 1, 1, tzinfo=UTC)
    for doc in _docs(directory):
        for event in doc.data.get("timeline", []):
            latest = max(latest, _time(event["at"]))
    return latest


def load_sample_data(store: Store, directory: Path = SAMPLE_DIR, now: datetime | None = None) -> LoadedSample:
    """Load every incident file, the rotation and the pages of ``directory`` into ``store``."""
    shift = timedelta(0)
    if now:  # whole minutes, so clock times written in the entries' text can move with them
        shift = timedelta(minutes=int((now - DEMO_LEAD - latest_time(directory)).total_seconds() // 60))
    refs = [_replay(store, doc, shift) for doc in _docs(directory)]
    shifts, pages = _load_rotation(store, directory / "rotation.yaml", shift)
    return LoadedSample(incidents=refs, shifts=shifts, pages=pages, shift=shift)


def _replay(store: Store, doc: YamlDocument, shift: timedelta) -> str:
    data = doc.data
    clock = _Clock(shift)
    rand = _seeded_rand(Path(doc.file).name)
    path: tuple[Any, ...] = ()
    try:
        declared_at = _time(data["declared_at"])
        clock.set(declared_at)
        svc = IncidentService(store, data["declared_by"], clock=clock, rand=rand)
        started = _time(data["started_at"]) + shift if data.get("started_at") else None
        snapshot = svc.open_incident(
            data["title"], Impact(data["impact"]), Scope(data["scope"]),
            Triggers.from_dict(data.get("triggers")), data.get("services", []), started_at=started,
        )
        ref = snapshot.ref
        for index, event in enumerate(data.get("timeline", [])):
            path = ("timeline", index)
            clock.set(_time(event["at"]))
            author = event.get("author", data["declared_by"])
            actor = IncidentService(store, author, clock=clock, rand=rand)
            _apply(actor, ref, event, shift)
        return ref
    except CockpitError as exc:
        line, column = doc.where(path)
        raise InvalidInput(f"{doc.file}:{line}:{column}: {exc}") from None
    except (KeyError, ValueError, TypeError) as exc:
        line, column = doc.where(path)
        raise InvalidInput(f"{doc.file}:{line}:{column}: bad sample event ({exc!r})") from None


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIMES = re.compile(
    r"(?P<iso>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?Z)"                   # 2027-02-02T13:34:12Z
    r"|(?P<openssl>(?:" + "|".join(_MONTHS) + r") {1,2}\d{1,2} \d{2}:\d{2}:\d{2} \d{4} GMT)"  # Nov  4 14:00:07 2026 GMT
    r"|(?<![\d-])(?P<date>\d{4}-\d{2}-\d{2})(?![\dT])"                        # due 2026-11-11
    r"|(?<![\d:.])(?P<clock>(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)(?![\d:])"  # 07:21 or 07:21:40
)


def shift_clock_times(text: str, shift: timedelta, at: datetime | None = None) -> str:
    """Move every time written in ``text`` by ``shift``: full timestamps, dates and clock times (``HH:MM`` and
    ``HH:MM:SS``, wrapping at midnight). A bare date moves by as many days as the moment ``at`` (the entry's own
    time, as written) does, so "due 2026-11-11" written on 2026-11-04 stays a week after its entry."""
    if not shift:
        return text
    minutes = int(shift.total_seconds() // 60)
    reference = at or datetime(2000, 1, 1, 12, tzinfo=UTC)

    def move(match: re.Match[str]) -> str:
        if match.group("iso"):
            moment = datetime.fromisoformat(match.group("iso").replace("Z", "+00:00")) + shift
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if match.group("iso").count(":") == 2 else "%Y-%m-%dT%H:%MZ")
        if match.group("openssl"):
            moment = datetime.strptime(" ".join(match.group("openssl").split()), "%b %d %H:%M:%S %Y GMT") + shift
            return f"{moment:%b} {moment.day:>2} {moment:%H:%M:%S %Y} GMT"
        if match.group("date"):
            try:
                day = datetime.strptime(match.group("date"), "%Y-%m-%d").date()
            except ValueError:
                return match.group("date")
            moved = datetime.combine(day, reference.timetz()) + shift
            return f"{moved:%Y-%m-%d}"
        clock = match.group("clock")
        parts = [int(p) for p in clock.split(":")]
        total = (parts[0] * 60 + parts[1] + minutes) % (24 * 60)
        moved_clock = f"{total // 60:02d}:{total % 60:02d}"
        return moved_clock + (f":{parts[2]:02d}" if len(parts) == 3 else "")

    return _TIMES.sub(move, text)


def _apply(svc: IncidentService, ref: str, event: dict[str, Any], shift: timedelta) -> None:
    at = _time(event["at"]) if "at" in event else None
    event = {k: shift_clock_times(v, shift, at) if isinstance(v, str) and k != "at" else v for k, v in event.items()}
    if isinstance(event.get("severity"), dict) and "reason" in event["severity"]:
        event["severity"] = {**event["severity"], "reason": shift_clock_times(event["severity"]["reason"], shift, at)}
    if "phase" in event:
        svc.set_phase(ref, Phase.parse(event["phase"]))
    elif "assign" in event:
        svc.assign_role(ref, Role.parse(event["assign"]["role"]), event["assign"]["holder"])
    elif "release" in event:
        svc.release_role(ref, Role.parse(event["release"]["role"]), event["release"].get("holder"))
    elif "severity" in event:
        sev = event["severity"]
        if "sev" in sev:
            svc.override_severity(ref, Severity.parse(sev["sev"]), sev["reason"])
        else:
            svc.classify_severity(ref, Impact(sev["impact"]), Scope(sev["scope"]),
                                  Triggers.from_dict(sev.get("triggers")))
    elif "comms" in event:
        svc.record_comms_sent(ref, Template.parse(event["comms"]))
    elif "root_cause" in event:
        svc.set_root_cause(ref, event["root_cause"])
    elif "accept_actions" in event:  # the postmortem accepted its proposed action items (tracked as tickets)
        accepted = event["accept_actions"] or {}
        care = Aftercare(svc)
        made = care.accept_proposed(ref, tickets=list(accepted.get("tickets", [])))
        for item in made:
            if item.ticket in set(accepted.get("done", [])):
                care.set_status(item.key, "done")
    else:
        svc.add_entry(ref, event["text"], event.get("kind", "note"))


def _load_rotation(store: Store, path: Path, shift: timedelta) -> tuple[int, int]:
    if not path.exists():
        return 0, 0
    doc, problems = read_yaml(path)
    if problems or doc is None:
        raise InvalidInput(str(problems[0]))
    rotation = doc.data.get("rotation", {})
    shifts = rotation.get("shifts", [])
    pages = doc.data.get("pages", [])
    rand = _seeded_rand(path.name)
    import uuid

    def new_id() -> str:
        return str(uuid.UUID(bytes=rand(16)))

    with store.write() as session:
        for item in shifts:
            session.add(Shift(
                id=new_id(), responder=item["responder"], position=item.get("position", "primary"),
                starts_at=_time(item["starts_at"]) + shift, ends_at=_time(item["ends_at"]) + shift,
            ))
        for item in pages:
            ack = item.get("acknowledged_at")
            session.add(Page(
                id=new_id(), at=_time(item["at"]) + shift, responder=item["responder"],
                service=item.get("service", ""), alert_name=item.get("alert_name", ""),
                acknowledged_at=_time(ack) + shift if ack else None,
                false_positive=bool(item.get("false_positive", False)),
            ))
    return len(shifts), len(pages)
