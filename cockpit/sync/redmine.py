"""Redmine over its REST API (``X-Redmine-API-Key``; the key travels in a header, never in a URL).

* An incident is an issue in the configured project (``--project`` = the project's identifier) and tracker
  (``--option tracker=NAME or id``; default: the project's first tracker). The description opens with a hidden
  marker (an HTML comment, as on GitHub) holding the cockpit's UUID and the fields Redmine has no place for
  (reference, impact, scope, roles), plus the severity and phase the cockpit last wrote.
* Severity and phase are issue custom fields when the settings name them (``--option severity_field=Severity``,
  ``--option phase_field=Phase``): people may change them on the web, and the journal that did so says who and
  when. Without them, both live in the hidden marker only.
* A timeline entry is a journal note whose first line is a hidden marker with the entry's UUID. A note added
  with ``PUT /issues/ID.json`` is answered with 204 and no id, so the adapter reads the journals back for it.
* Redmine has no idempotency key: the relay waits ``settle_seconds`` after an attempt before it looks for the
  marker (``find_incident``: the description filter, checked against the marker; ``find_entry``: the journals)
  and sends again only when it is not there. A pull reads issues twice-created by a late request as one.
* Pages are read by ``offset``/``limit`` up to ``total_count``, inside the read budget of ``TrackerHttp``; one
  unreadable issue or journal is reported as a problem (parked), never a reason to stop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from cockpit.domain.ids import tracker_identity
from cockpit.service.merge import Pulled, RemoteEntry, RemoteIncident, RemoteProblem, remote_entry_id
from cockpit.sync.adapter import AuthFailed, KnownIds, Misconfigured, Permanent, Retryable
from cockpit.sync.answers import loads, raise_for, read_json, request_seconds
from cockpit.sync.entry_text import (
    ENTRY_MARKER,
    apply_changes,
    entry_content,
    parse_entry_content,
)
from cockpit.sync.http import Limits, TrackerHttp
from cockpit.sync.marked import as_text as marker_text
from cockpit.sync.marked import hidden_json as marker_json
from cockpit.sync.marked import incident_marker
from cockpit.sync.marked import parse_time as _time
from cockpit.textsafe import is_number_text, one_line

PAGE = 100
MAX_SUBJECT = 255
META_FIELDS = ("impact", "scope", "roles", "severity_reason")


@dataclass(frozen=True)
class Setup:
    """What the settings name, resolved against the server once: the project's and tracker's ids and the custom
    fields that hold severity and phase (None: kept in the hidden marker)."""

    project_id: int
    tracker_id: int
    severity_field: int | None
    phase_field: int | None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and is_number_text(value) and len(value) < 19 else None


def _name(user: Any) -> str:
    return str(user.get("name") or "") if isinstance(user, dict) else ""


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


class RedmineAdapter:
    def __init__(self, name: str, url: str, project: str, key: str, options: dict[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None, limits: Limits | None = None) -> None:
        self.name = name
        self.url = url.rstrip("/") + "/"
        self.project = project.strip().strip("/")
        if not self.project:
            raise Permanent(f"{name}: a Redmine tracker needs --project (the project's identifier); "
                            f"`cockpit tracker add {name} --kind redmine --url URL --project IDENTIFIER` fixes it.")
        options = options or {}
        self.tracker_option = options.get("tracker", "").strip()
        self.severity_option = options.get("severity_field", "").strip()
        self.phase_option = options.get("phase_field", "").strip()
        self.identity = tracker_identity("redmine", self.url, self.project)
        self.http = TrackerHttp(name, self.url, transport=transport, limits=limits, headers={
            "X-Redmine-API-Key": key, "Accept": "application/json", "User-Agent": "incident-cockpit"})
        self.client = self.http.client
        self.settle_seconds = 3 * request_seconds() + 5  # httpx times out per phase: allow several
        self.in_flight_seconds = self.settle_seconds
        self.page_size = PAGE
        self._setup: Setup | None = None

    def close(self) -> None:
        self.http.close()

    def cancel(self) -> None:
        self.http.cancel()

    # --- HTTP ---------------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.status_code == 401:
            raise AuthFailed(f"{self.name}: Redmine refused the API key (401); check it (My account → API access "
                             f"key) and run `cockpit tracker login {self.name}`.")
        if response.status_code == 403:
            raise AuthFailed(f"{self.name}: the API key's user may not do this in project {self.project} (403); "
                             f"give that user a role with issue rights, or enable the REST API (Administration → "
                             f"Settings → API), then run `cockpit tracker login {self.name}`.")
        raise_for(self.name, method, path, response, _error_text(response),
                  f"check the API key and run `cockpit tracker login {self.name}`")
        return response

    def _not_redmine(self, what: str) -> Misconfigured:
        return Misconfigured(f"{self.name} at {self.url} did not answer like a Redmine ({what}): the URL looks wrong; "
                             f"give the address Redmine's pages open at, with `cockpit tracker add {self.name} "
                             f"--kind redmine --url URL --project IDENTIFIER`.")

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = read_json(response, self.name)
        except ValueError:
            raise self._not_redmine("not JSON") from None
        return data if isinstance(data, dict) else {}

    def _object(self, response: httpx.Response, key: str) -> dict[str, Any]:
        inner = self._answer(response).get(key)
        if not isinstance(inner, dict):
            raise self._not_redmine(f"no '{key}' in its answer")
        return inner

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a listing, ``limit`` at a time by ``offset`` until ``total_count`` (inside the read's
        page budget, so a server that never stops offering pages is left)."""
        with self.http.reading(f"the {key} listing"):
            offset = 0
            while True:
                self.http.page()
                data = self._answer(self._call("GET", path, params={**params, "offset": offset,
                                                                    "limit": self.page_size}))
                items = data.get(key)
                if not isinstance(items, list):
                    raise self._not_redmine(f"no '{key}' list in its answer")
                yield from (item for item in items if isinstance(item, dict))
                total = _int(data.get("total_count"))
                offset += len(items)
                if not items or total is None or offset >= total:
                    return

    # --- the settings, resolved ---------------------------------------------------------------
    def setup(self) -> Setup:
        if self._setup is None:
            self._setup = self._resolve()
        return self._setup

    def _resolve(self) -> Setup:
        response = self.http.request("GET", f"projects/{self.project}.json",
                                     params={"include": "trackers,issue_custom_fields"})
        if response.status_code == 404:
            self._current_user()  # a 404 from something that is not a Redmine says so
            raise Misconfigured(f"{self.name}: no project '{self.project}' at {self.url} (or the API key's user "
                                f"cannot see it): give the project's identifier (Settings → Identifier) with "
                                f"`cockpit tracker add {self.name} --kind redmine --url URL --project IDENTIFIER`.")
        self._call_checked(response, "GET", "projects")
        project = self._object(response, "project")
        project_id = _int(project.get("id"))
        if project_id is None:
            raise self._not_redmine("a project without an id")
        trackers = [t for t in project.get("trackers") or [] if isinstance(t, dict) and _int(t.get("id")) is not None]
        fields = self._custom_fields(project, project_id) if self.severity_option or self.phase_option else []
        return Setup(project_id, self._pick("tracker", self.tracker_option, trackers, first=True) or 0,
                     self._pick("custom field", self.severity_option, fields),
                     self._pick("custom field", self.phase_option, fields))

    def _custom_fields(self, project: dict[str, Any], project_id: int) -> list[dict[str, Any]]:
        """The issue custom fields the project uses: those enabled for it, else (a field "for all projects" is
        not listed there) the ones its issues carry, else the instance's (an administrator's key may list them)."""
        found = _dicts(project.get("issue_custom_fields"))
        if not found:
            answer = self._call("GET", "issues.json", params={"project_id": project_id, "status_id": "*", "limit": 1})
            for issue in _dicts(_json_or_none(answer, "issues")):
                found += _dicts(issue.get("custom_fields"))
        if not found:
            listing = self.http.request("GET", "custom_fields.json")
            if listing.status_code == 200:
                found = [f for f in _dicts(_json_or_none(listing, "custom_fields"))
                         if f.get("customized_type") == "issue"]
        return [f for f in found if _int(f.get("id")) is not None]

    def _current_user(self) -> dict[str, Any]:
        response = self._call_or_not_redmine("users/current.json")
        return self._object(response, "user")

    def _call_or_not_redmine(self, path: str) -> httpx.Response:
        try:
            return self._call("GET", path)
        except Permanent as exc:
            if isinstance(exc, Misconfigured):
                raise
            raise self._not_redmine(f"GET {path} answered {one_line(str(exc))[-60:]}") from None

    def _call_checked(self, response: httpx.Response, method: str, path: str) -> None:
        if response.status_code == 401:
            raise AuthFailed(f"{self.name}: Redmine refused the API key (401); run `cockpit tracker login "
                             f"{self.name}`.")
        raise_for(self.name, method, path, response, _error_text(response),
                  f"check the API key and run `cockpit tracker login {self.name}`")

    def _pick(self, what: str, wanted: str, items: list[dict[str, Any]], first: bool = False) -> int | None:
        """The id of the item named (or numbered) ``wanted`` among the project's; the first when nothing is named
        and ``first``; None when nothing is named. An unknown name is a settings problem, said plainly."""
        if not wanted:
            if first and not items:
                raise Misconfigured(f"{self.name}: project '{self.project}' has no tracker enabled; enable one in "
                                    f"its settings (Issue tracking).")
            return _int(items[0]["id"]) if first else None
        for item in items:
            if str(item.get("name", "")).casefold() == wanted.casefold() or str(item.get("id")) == wanted:
                return _int(item["id"])
        known = ", ".join(one_line(str(item.get("name", "")))[:60] for item in items) or "none"
        option = "tracker" if what == "tracker" else "severity_field/phase_field"
        raise Misconfigured(f"{self.name}: project '{self.project}' has no {what} '{one_line(wanted)[:60]}' (it has: "
                            f"{known}); fix --option {option}=NAME with `cockpit tracker add {self.name}`.")

    def check(self) -> None:
        """The address is a Redmine, the key is accepted, and the project, tracker and fields exist."""
        self._current_user()
        self._setup = None
        self.setup()

    # --- the incident's text ------------------------------------------------------------------
    @staticmethod
    def _description(meta: dict[str, Any]) -> str:
        roles = meta.get("roles") or "none assigned"
        return "\n".join([
            f"<!-- cockpit-incident {marker_json(meta)} -->",
            f"*{meta.get('ref', '')}* · impact {meta.get('impact', '?')} · scope {meta.get('scope', '?')}", "",
            f"Severity: {meta.get('severity', '?')} — {meta.get('severity_reason', '')}".rstrip(" —"),
            f"Roles: {roles}", "",
            "Kept in sync by Incident Cockpit: timeline entries are the notes."])

    def _custom(self, setup: Setup, severity: str | None, phase: str | None) -> list[dict[str, Any]]:
        values = []
        if setup.severity_field is not None and severity is not None:
            values.append({"id": setup.severity_field, "value": severity})
        if setup.phase_field is not None and phase is not None:
            values.append({"id": setup.phase_field, "value": phase})
        return values

    # --- the interface ------------------------------------------------------------------------
    def prepare_create(self) -> str | None:
        return None  # no server tokens: the relay waits out settle_seconds and looks for the marker

    def create_incident(self, fields: dict[str, Any], token: str | None) -> str:
        del token
        setup = self.setup()
        severity, phase = str(fields.get("severity") or "").upper(), str(fields.get("phase") or "").upper()
        meta = {"id": str(fields.get("id", "")), "ref": str(fields.get("ref") or ""),
                "impact": str(fields.get("impact") or ""), "scope": str(fields.get("scope") or ""),
                "severity": severity, "phase": phase, "roles": "",
                "severity_reason": str(fields.get("severity_reason") or "")}
        issue: dict[str, Any] = {
            "project_id": setup.project_id, "tracker_id": setup.tracker_id,
            "subject": (str(fields.get("title") or "(untitled incident)"))[:MAX_SUBJECT],
            "description": self._description(meta)}
        custom = self._custom(setup, severity or None, phase or None)
        if custom:
            issue["custom_fields"] = custom
        made = self._object(self._call("POST", "issues.json", json={"issue": issue}), "issue")
        number = _int(made.get("id"))
        if number is None:
            raise Permanent(f"{self.name} answered a create without the issue's id; check the URL.")
        return str(number)

    def _issue_candidates(self, cockpit_uuid: str) -> Iterator[dict[str, Any]]:
        setup = self.setup()
        params = {"project_id": setup.project_id, "status_id": "*", "description": f"~{cockpit_uuid}",
                  "sort": "id"}
        yield from self._pages("issues.json", "issues", params)

    def find_incident(self, cockpit_uuid: str) -> str | None:
        # the description filter narrows the search; the marker decides (a note quoting the id is not the issue)
        numbers = [number for issue in self._issue_candidates(cockpit_uuid)
                   if incident_marker(str(issue.get("description") or "")).get("id") == cockpit_uuid
                   and (number := _int(issue.get("id"))) is not None]
        return str(min(numbers)) if numbers else None

    def _journals(self, remote_incident: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        issue = self._object(self._call("GET", f"issues/{remote_incident}.json", params={"include": "journals"}),
                             "issue")
        journals = issue.get("journals")
        return issue, [j for j in (journals if isinstance(journals, list) else []) if isinstance(j, dict)]

    def find_entry(self, remote_incident: str, cockpit_uuid: str) -> str | None:
        for journal in self._journals(remote_incident)[1]:
            match = ENTRY_MARKER.match(str(journal.get("notes") or ""))
            if match and match["id"] == cockpit_uuid and _int(journal.get("id")) is not None:
                return str(journal["id"])
        return None

    def add_entry(self, remote_incident: str, entry: dict[str, Any], token: str | None) -> str:
        del token
        uuid = str(entry.get("id", ""))
        notes = f"<!-- cockpit-entry {uuid} -->\n{entry_content(entry)}"
        self._call("PUT", f"issues/{remote_incident}.json", json={"issue": {"notes": notes}})
        found = self.find_entry(remote_incident, uuid)  # 204, no id: the journal is read back
        if found is None:
            raise Retryable(f"{self.name}: the note was accepted but is not in issue {remote_incident}'s journals "
                            f"yet; looking again later")
        return found

    def update_fields(self, remote_incident: str, fields: dict[str, Any]) -> None:
        setup = self.setup()
        issue = self._object(self._call("GET", f"issues/{remote_incident}.json"), "issue")
        meta = incident_marker(str(issue.get("description") or ""))
        severity, phase = apply_changes(meta, fields, *self._fields_of(issue, meta, setup))
        change: dict[str, Any] = {"description": self._description(meta)}
        custom = self._custom(setup, severity if "severity" in fields else None,
                              phase if "phase" in fields else None)
        if custom:
            change["custom_fields"] = custom
        self._call("PUT", f"issues/{remote_incident}.json", json={"issue": change})

    @staticmethod
    def _fields_of(issue: dict[str, Any], meta: dict[str, Any], setup: Setup) -> tuple[str, str]:
        """Severity and phase: the custom fields when configured (people change them on the web), else the
        marker's."""
        values = {_int(f.get("id")): f.get("value") for f in issue.get("custom_fields") or [] if isinstance(f, dict)}
        severity, phase = str(meta.get("severity") or ""), str(meta.get("phase") or "")
        if setup.severity_field is not None and isinstance(values.get(setup.severity_field), str):
            severity = str(values[setup.severity_field]).upper()
        if setup.phase_field is not None and isinstance(values.get(setup.phase_field), str):
            phase = str(values[setup.phase_field]).upper()
        return severity, phase

    # --- pull ---------------------------------------------------------------------------------
    def pull(self, since: datetime | None, known: KnownIds | None = None) -> Pulled:
        del known  # one issue's journals come in one answer: nothing to skip
        with self.http.reading("the changed issues and their journals"):
            return self._pull(since)

    def _pull(self, since: datetime | None) -> Pulled:
        result = Pulled()
        setup = self.setup()
        # by id: a stable order for offset paging (an issue changed meanwhile does not shift the pages)
        params: dict[str, Any] = {"project_id": setup.project_id, "tracker_id": setup.tracker_id, "status_id": "*",
                                  "sort": "id"}
        if since is not None:
            params["updated_on"] = f">={_stamp(since)}"
        by_incident: dict[str, list[int]] = {}
        fresh: set[str] = set()  # incidents with an issue created in this window: it may be a late twin
        for issue in self._pages("issues.json", "issues", params):
            number = _int(issue.get("id"))
            if number is None:
                result.problems.append(RemoteProblem("incident", f"?{len(result.problems)}", "an issue without an id",
                                                     "it has no usable id"))
                continue
            description = str(issue.get("description") or "")
            if not description.startswith("<!-- cockpit-incident "):
                continue  # not an incident of a cockpit: an ordinary issue in a shared tracker
            uuid = str(incident_marker(description).get("id") or "")
            by_incident.setdefault(uuid or f"#{number}", []).append(number)
            if since is not None and (_time(issue.get("created_on")) or since) >= since:
                fresh.add(uuid)
        for uuid, numbers in by_incident.items():
            if uuid in fresh and uuid:
                numbers = self._with_twins(uuid, numbers)
            self._read_incident(sorted(set(numbers)), setup, result)
        return result

    def _with_twins(self, uuid: str, numbers: list[int]) -> list[int]:
        """A changed issue may have an older twin (a create that landed after its retry made another): every
        cockpit reads both as one, under the lowest number."""
        return numbers + [number for issue in self._issue_candidates(uuid)
                          if incident_marker(str(issue.get("description") or "")).get("id") == uuid
                          and (number := _int(issue.get("id"))) is not None]

    def _read_incident(self, numbers: list[int], setup: Setup, result: Pulled) -> None:
        first: dict[str, Any] | None = None
        entries: list[RemoteEntry] = []
        seen: set[str] = set()
        for number in numbers:
            try:
                issue, journals = self._journals(str(number))
            except Permanent as exc:  # deleted meanwhile, or not readable: the others still merge
                result.problems.append(RemoteProblem("incident", str(number), f"issue {number}", str(exc)))
                continue
            first = first or issue
            entries.extend(self._entries(number, journals, seen, result))
        if first is None:
            return
        try:
            result.incidents.append(self._remote(first, entries, setup))
        except ValueError as exc:
            meta = incident_marker(str(first.get("description") or ""))
            result.problems.append(RemoteProblem("incident", str(numbers[0]), f"issue {numbers[0]}", str(exc),
                                                 str(meta.get("id") or "")))

    def _entries(self, number: int, journals: list[dict[str, Any]], seen: set[str],
                 result: Pulled) -> list[RemoteEntry]:
        entries = []
        for journal in sorted(journals, key=lambda j: _int(j.get("id")) or 0):
            notes = journal.get("notes")
            if not isinstance(notes, str) or not notes.strip():
                continue  # a field change, not a note
            remote_id = _int(journal.get("id"))
            if remote_id is None:
                result.problems.append(RemoteProblem("entry", f"{number}:?{len(result.problems)}",
                                                     f"a note on issue {number}", "it has no usable id"))
                continue
            match = ENTRY_MARKER.match(notes)
            entry_id = match["id"] if match else remote_entry_id(self.identity, str(remote_id))
            if entry_id in seen:
                continue  # the same entry twice (a note that landed after its retry): counted once
            seen.add(entry_id)
            created = _time(journal.get("created_on")) or datetime.now(UTC)
            content = notes[match.end():] if match else notes
            kind, author, at, text, hlc, facts = "note", _name(journal.get("user")) or self.name, created, content, \
                None, {}
            parsed = parse_entry_content(content) if match else None
            if parsed is not None:
                kind, author, at, text, hlc, facts = (parsed.kind, parsed.author, parsed.at, parsed.text, parsed.hlc,
                                                      parsed.facts)
            entries.append(RemoteEntry(id=entry_id, remote_id=str(remote_id), at=at, author=author, kind=kind,
                                       text=text, hlc=hlc, facts=facts))
        return entries

    def _remote(self, issue: dict[str, Any], entries: list[RemoteEntry], setup: Setup) -> RemoteIncident:
        meta = incident_marker(str(issue.get("description") or ""))
        severity, phase = self._fields_of(issue, meta, setup)
        number = _int(issue.get("id"))
        if number is None:
            raise ValueError("it has no issue id")
        changed_at, changed_by = _time(issue.get("updated_on")) or datetime.now(UTC), ""
        if (severity, phase) != (meta.get("severity", ""), meta.get("phase", "")):
            changed_at, changed_by = self._field_change(issue, setup, changed_at)
        subject = issue.get("subject")
        return RemoteIncident(
            remote_id=str(number), cockpit_uuid=marker_text(meta, "id"), ref=marker_text(meta, "ref"),
            title=subject if isinstance(subject, str) else "",
            fields={"severity": severity, "phase": phase, **{name: marker_text(meta, name) for name in META_FIELDS}},
            changed_at=changed_at, changed_by=changed_by, entries=entries)

    @staticmethod
    def _field_change(issue: dict[str, Any], setup: Setup, fallback: datetime) -> tuple[datetime, str]:
        """Who changed the severity or phase field on the web, and when: the latest journal with that detail."""
        ours = {str(f) for f in (setup.severity_field, setup.phase_field) if f is not None}
        latest: datetime | None = None
        who = ""
        for journal in issue.get("journals") or []:
            details = journal.get("details") if isinstance(journal, dict) else None
            at = _time(journal.get("created_on")) if isinstance(journal, dict) else None
            if at is None or not isinstance(details, list):
                continue
            if any(isinstance(d, dict) and d.get("property") == "cf" and str(d.get("name")) in ours for d in details) \
                    and (latest is None or at >= latest):
                latest, who = at, _name(journal.get("user"))
        return (latest or fallback), who


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _json_or_none(response: httpx.Response, key: str) -> Any:
    try:
        data = loads(response.content)
    except ValueError:
        return None
    return data.get(key) if isinstance(data, dict) else None


def _error_text(response: httpx.Response) -> str:
    """Redmine's reasons: ``{"errors": ["Subject cannot be blank", ...]}``."""
    errors = _json_or_none(response, "errors")
    if isinstance(errors, list):
        return "; ".join(str(e) for e in errors)[:200]
    return ""
