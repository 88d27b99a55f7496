"""Jira over its REST API: Cloud v3 (``https://SITE.atlassian.net``) and Data Center v2 (``--option api=2``; the
default for any host not on atlassian.net).

* An incident is an issue of the type ``--option issue_type`` (default ``Incident``) in the project ``--project KEY``,
  labelled ``cockpit`` and ``cockpit-<uuid>``: the second label is the key ``find_incident`` searches for with JQL
  before a retried create sends again. What Jira has no field for (reference, impact, scope, roles, and the severity
  and phase the cockpit last set) lives in the issue property ``cockpit``, read along with every search.
* Severity goes where ``--option severity`` says: ``labels`` (``SEV2``, the default), ``priority`` (Highest, High,
  Medium, Low) or a custom field id (``customfield_10042``, a select whose options are SEV1..SEV4); phase likewise
  with ``--option phase``: ``labels`` (``phase:respond``) or a custom field id. Who changed one by hand, and when,
  comes from the issue's changelog.
* A timeline entry is a comment: v3 bodies are Atlassian Document Format, one paragraph a line, ending in a small
  grey ``cockpit-entry:<uuid>`` that the parser finds wherever an edit in Jira's editor moves or re-wraps it; v2
  bodies are plain text ending in the same id in ``{color}`` markup.
* Incidents changed since the last pull: JQL ``updated >= "-Nm"`` (relative minutes: JQL dates are in the user's time
  zone and to the minute, so an absolute stamp could miss changes), a minute of overlap more.
* Search pages: v3 ``/search/jql`` with ``nextPageToken``; v2 ``/search`` with ``startAt``/``maxResults``/``total``;
  comment pages by ``startAt``; all bounded by the pull's budget.
* Authentication: ``email:api-token`` (Cloud, HTTP Basic) or a personal access token (Data Center, Bearer).
  429 and 503 with ``Retry-After`` become waits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from cockpit.domain.ids import tracker_identity
from cockpit.sync.adapter import AuthFailed, Misconfigured, Permanent
from cockpit.sync.answers import raise_for, request_seconds
from cockpit.sync.entry_text import entry_content
from cockpit.sync.http import Limits, TrackerHttp
from cockpit.sync.marked import (
    DUPLICATE_LABEL,
    INCIDENT_LABEL,
    SEVERITIES,
    SWEEP_TEXT,
    MarkedAdapter,
    Note,
    Ticket,
    as_int,
    changed_meta,
    created_meta,
    field_labels,
    json_or_none,
    label_fields,
    ours,
    parse_time,
    phase_of,
    split_entry_id,
)
from cockpit.textsafe import one_line

PROPERTY = "cockpit"
PAGE = 100
PRIORITIES = {"SEV1": "Highest", "SEV2": "High", "SEV3": "Medium", "SEV4": "Low"}
PRIORITY_SEVERITY = {**{v: k for k, v in PRIORITIES.items()}, "Lowest": "SEV4"}
CUSTOM_FIELD = re.compile(r"customfield_\d{1,12}")
PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}")


def uuid_label(uuid: str) -> str:
    return f"{INCIDENT_LABEL}-{uuid}"


class JiraAdapter(MarkedAdapter):
    api_hint = "; give the site's address (https://SITE.atlassian.net or the Data Center base URL)"

    def __init__(self, name: str, url: str, project: str, secret: str, transport: httpx.BaseTransport | None = None,
                 limits: Limits | None = None, api: str = "", issue_type: str = "Incident", severity: str = "labels",
                 phase: str = "labels") -> None:
        self.name = name
        self.url = url.rstrip("/") + "/"
        host = httpx.URL(self.url).host or ""
        self.api = api or ("3" if host.endswith(".atlassian.net") else "2")
        if self.api not in ("2", "3"):
            raise Permanent(f"{name}: api must be 3 (Jira Cloud) or 2 (Data Center) (got '{api}').")
        project = project.strip()
        if not PROJECT_KEY.fullmatch(project):
            raise Permanent(f"{name}: '{project}' is not a Jira project key (capital letters and digits, e.g. OPS); "
                            f"`cockpit tracker add {name} --kind jira --url URL --project KEY` fixes it.")
        for what, value in (("severity", severity), ("phase", phase)):
            allowed = ("labels", "priority") if what == "severity" else ("labels",)
            if value not in allowed and not CUSTOM_FIELD.fullmatch(value):
                raise Permanent(f"{name}: {what} must be {' or '.join(allowed)} or a custom field id such as "
                                f"customfield_10042 (got '{value}').")
        if not issue_type.strip():
            raise Permanent(f"{name}: issue_type may not be empty.")
        self.project, self.issue_type, self.severity_in, self.phase_in = project, issue_type.strip(), severity, phase
        self.identity = tracker_identity("jira", self.url, project)
        self.api_words = f"a Jira REST API (v{self.api})"
        user, colon, token = secret.partition(":")
        auth: dict[str, str] = {} if colon else {"Authorization": f"Bearer {secret}"}
        self.http = TrackerHttp(name, self.url, transport=transport, limits=limits,
                                auth=(user, token) if colon else None,
                                headers={**auth, "Accept": "application/json", "User-Agent": "incident-cockpit"})
        self.settle_seconds = 3 * request_seconds() + 5
        self.swept = 0
        self._me: str | None = None

    # --- HTTP ---------------------------------------------------------------------------------
    def _path(self, path: str) -> str:
        return f"rest/api/{self.api}/{path}"

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, self._path(path), **kwargs)
        detail = _error_text(response)
        if response.status_code == 403 and "AUTHENTICATION_DENIED" in response.headers.get("X-Seraph-LoginReason", ""):
            raise AuthFailed(f"{self.name}: Jira locked the login (too many failed logins: a CAPTCHA waits in the web "
                             f"UI); log in there once, then run `cockpit tracker login {self.name}`")
        if response.status_code == 403:
            raise Permanent(f"{self.name}: Jira refused this to the login (403 {detail}); it needs browse, create and "
                            f"comment permission in project {self.project}".rstrip())
        if response.status_code == 400 and re.search(r"\b(project|issuetype|customfield_\d+|priority)\b",
                                                     " ".join(_error_keys(response))):
            raise Misconfigured(f"{self.name}: Jira refused the settings ({detail}); check --project, issue_type, "
                                f"severity and phase with `cockpit tracker list`.")
        if response.status_code == 404 and path.startswith("issue"):
            self._check_project()
        raise_for(self.name, method, path, response, detail,
                  f"check the {'email:api-token' if self.api == '3' else 'personal access token'} and run "
                  f"`cockpit tracker login {self.name}`")
        return response

    def _check_project(self) -> dict[str, Any]:
        response = self.http.request("GET", self._path(f"project/{self.project}"))
        if response.status_code == 404:
            raise Misconfigured(f"{self.name}: project {self.project} not found at {self.url} (or the login cannot see "
                                f"it): fix it with `cockpit tracker add {self.name} --kind jira --project KEY`.")
        raise_for(self.name, "GET", f"project/{self.project}", response, _error_text(response),
                  f"run `cockpit tracker login {self.name}`")
        return dict(self._json(response, dict))

    def check(self) -> None:
        """A Jira API, the login accepted, the project, issue type and custom fields the settings name exist."""
        me = self._json(self._call("GET", "myself"), dict)
        if not (me.get("accountId") or me.get("name") or me.get("key")):
            raise Misconfigured(f"{self.name} at {self.url} did not answer like a Jira REST API; check the URL.")
        project = self._check_project()
        types = [str(t.get("name")) for t in project.get("issueTypes") or [] if isinstance(t, dict)]
        if types and self.issue_type.casefold() not in {t.casefold() for t in types}:
            raise Misconfigured(f"{self.name}: project {self.project} has no issue type '{self.issue_type}' (its "
                                f"types: {', '.join(types)}); set --option issue_type=NAME.")
        wanted = [f for f in (self.severity_in, self.phase_in) if CUSTOM_FIELD.fullmatch(f)]
        if wanted:
            known = {str(f.get("id")) for f in self._json(self._call("GET", "field"), list) if isinstance(f, dict)}
            if missing := [f for f in wanted if f not in known]:
                raise Misconfigured(f"{self.name}: Jira has no field {missing[0]}; check --option severity and phase.")

    def me(self) -> str:
        if self._me is None:
            data = self._json(self._call("GET", "myself"), dict)
            self._me = str(data.get("accountId") or data.get("name") or "")
        return self._me

    # --- search -------------------------------------------------------------------------------
    def _fields(self) -> str:
        names = ["summary", "labels", "created", "updated", "status"]
        names += [f for f in (self.severity_in, self.phase_in) if f != "labels"]
        return ",".join(dict.fromkeys(names))

    def _search(self, jql: str) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"jql": jql, "fields": self._fields(), "properties": PROPERTY, "maxResults": PAGE}
        endpoint = "search/jql" if self.api == "3" else "search"
        with self.http.reading("the changed issues"):
            start, token = 0, ""
            while True:
                self.http.page()
                page = dict(params, **({"nextPageToken": token} if token else {}),
                            **({"startAt": start} if self.api == "2" else {}))
                data = self._json(self._call("GET", endpoint, params=page), dict)
                issues = [i for i in data.get("issues") or [] if isinstance(i, dict)]
                yield from issues
                if self.api == "3":
                    token = str(data.get("nextPageToken") or "")
                    if not token or data.get("isLast") is True:
                        return
                else:
                    start += len(issues)
                    total = as_int(data.get("total"))
                    if not issues or total is None or start >= total:
                        return

    def _jql(self, *clauses: str) -> str:
        return " AND ".join((f'project = "{self.project}"', *clauses)) + " ORDER BY updated ASC"

    def tickets(self, since: datetime | None) -> Iterator[Ticket]:
        clauses = [f'labels = "{INCIDENT_LABEL}"']
        if since is not None:
            minutes = math.ceil((datetime.now(UTC) - since).total_seconds() / 60) + 1  # a minute of overlap
            clauses.append(f'updated >= "-{max(1, minutes)}m"')
        return self._tickets(self._jql(*clauses))

    def twins(self, uuids: set[str]) -> Iterator[Ticket]:
        for uuid in sorted(uuids):
            yield from (t for t in self._tickets(self._jql(f'labels = "{uuid_label(uuid)}"')) if t.uuid == uuid)

    def _tickets(self, jql: str) -> Iterator[Ticket]:
        for issue in self._search(jql):
            if (ticket := self._ticket(issue)) is not None:
                yield ticket

    def _ticket(self, issue: dict[str, Any]) -> Ticket | None:
        key = str(issue.get("key") or "")
        number = as_int(key.rpartition("-")[2])
        fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
        if not key or number is None or not isinstance(fields, dict):
            return None
        properties = issue.get("properties") if isinstance(issue.get("properties"), dict) else {}
        found = properties.get(PROPERTY) if isinstance(properties, dict) else None
        meta: dict[str, Any] = dict(found) if isinstance(found, dict) else {}
        labels = [str(x) for x in fields.get("labels") or [] if isinstance(x, str)]
        uuid = str(meta.get("id") or "") or next((x[len(INCIDENT_LABEL) + 1:] for x in labels
                                                  if x.startswith(INCIDENT_LABEL + "-") and len(x) == 44), "")
        return Ticket(key, number, uuid, meta, str(fields.get("summary") or ""), self._severity(fields, labels),
                      self._phase(fields, labels), parse_time(fields.get("created")), parse_time(fields.get("updated")),
                      DUPLICATE_LABEL in labels, issue)

    def _severity(self, fields: dict[str, Any], labels: list[str]) -> str:
        if self.severity_in == "labels":
            return label_fields(labels)[0]
        if self.severity_in == "priority":
            priority = fields.get("priority")
            return PRIORITY_SEVERITY.get(str(priority.get("name")) if isinstance(priority, dict) else "", "")
        value = _option(fields.get(self.severity_in)).upper()
        return value if value in SEVERITIES else ""

    def _phase(self, fields: dict[str, Any], labels: list[str]) -> str:
        if self.phase_in == "labels":
            return label_fields(labels)[1]
        phase = phase_of(_option(fields.get(self.phase_in)))
        return phase.value if phase else ""

    # --- comments -----------------------------------------------------------------------------
    def notes(self, remote_id: str) -> Iterator[Note]:
        me = None
        with self.http.reading("the comments"):
            start = 0
            while True:
                self.http.page()
                data = self._json(self._call("GET", f"issue/{remote_id}/comment", params={
                    "startAt": start, "maxResults": PAGE, "orderBy": "created"}), dict)
                comments = [c for c in data.get("comments") or [] if isinstance(c, dict)]
                for comment in comments:
                    body = comment.get("body")
                    text = adf_text(body) if isinstance(body, dict) else str(body or "")
                    entry_id, text = split_entry_id(text)
                    if entry_id is not None and self.api == "2":
                        text = text.replace("\\[", "[").replace("\\]", "]")
                    found = comment.get("author")
                    author: dict[str, Any] = found if isinstance(found, dict) else {}
                    if entry_id is not None and me is None:
                        me = self.me()
                    who = str(author.get("accountId") or author.get("name") or "")
                    yield Note(str(comment.get("id") or ""), as_int(comment.get("id")) or 0, text, entry_id,
                               str(author.get("displayName") or author.get("name") or ""),
                               parse_time(comment.get("created")), mine=bool(who) and who == me,
                               skip=SWEEP_TEXT in text)
                start += len(comments)
                total = as_int(data.get("total"))
                if not comments or total is None or start >= total:
                    return

    def _body(self, lines: list[str], entry_id: str = "") -> Any:
        if self.api == "2":
            return "\n".join(lines) + (f"\n{{color:#97a0af}}cockpit-entry:{entry_id}{{color}}" if entry_id else "")
        return adf(lines, f"cockpit-entry:{entry_id}" if entry_id else "")

    def add_entry(self, remote_incident: str, entry: dict[str, Any], token: str | None) -> str:
        del token
        content = entry_content(entry)
        if self.api == "2":  # wiki markup would draw "[note]" as a link; the pull takes the escapes out again
            content = content.replace("[", "\\[").replace("]", "\\]")
        body = self._body(content.split("\n"), str(entry.get("id", "")))
        made = self._json(self._call("POST", f"issue/{remote_incident}/comment", json={"body": body}), dict)
        if made.get("id") is None:
            raise Permanent(f"{self.name} answered a comment without its id; check the URL points at Jira.")
        return str(made["id"])

    def close_duplicate(self, ticket: Ticket, keep: Ticket) -> None:
        """Jira closes an issue only through its workflow's transitions, which differ per project: a duplicate is
        labelled and told which issue to follow instead."""
        self._call("POST", f"issue/{ticket.remote_id}/comment", json={"body": self._body([
            f"Duplicate of {keep.remote_id}: created twice by a retried request; follow {keep.remote_id} "
            f"({SWEEP_TEXT}, Incident Cockpit)."])})
        self._call("PUT", f"issue/{ticket.remote_id}", json={"update": {"labels": [{"add": DUPLICATE_LABEL}]}})

    def delete_note(self, remote_id: str, note: Note) -> None:
        self._call("DELETE", f"issue/{remote_id}/comment/{note.remote_id}")

    def field_change(self, ticket: Ticket) -> tuple[datetime | None, str]:
        watched = {"labels", "priority", self.severity_in, self.phase_in}
        try:
            issue = self._json(self._call("GET", f"issue/{ticket.remote_id}",
                                          params={"expand": "changelog", "fields": "updated"}), dict)
        except Permanent:
            return ticket.updated_at, ""
        changelog = issue.get("changelog") if isinstance(issue.get("changelog"), dict) else {}
        latest: tuple[datetime | None, str] = (ticket.updated_at, "")
        found: datetime | None = None
        for history in (changelog or {}).get("histories") or []:
            if not isinstance(history, dict):
                continue
            items = [i for i in history.get("items") or [] if isinstance(i, dict)]
            at = parse_time(history.get("created"))
            if at is None or not any({i.get("field"), i.get("fieldId")} & watched and _ours_change(i) for i in items):
                continue
            if found is None or at >= found:
                author = history.get("author") if isinstance(history.get("author"), dict) else {}
                found, latest = at, (at, str((author or {}).get("displayName") or (author or {}).get("name") or ""))
        return latest

    # --- incidents ----------------------------------------------------------------------------
    def _description(self, meta: dict[str, Any]) -> Any:
        return self._body([
            f"{meta.get('ref', '')} · impact {meta.get('impact', '?')} · scope {meta.get('scope', '?')}",
            f"Severity: {meta.get('severity', '?')} — {meta.get('severity_reason', '')}".rstrip(" —"),
            f"Roles: {meta.get('roles') or 'none assigned'}",
            "Kept in sync by Incident Cockpit: timeline entries are the comments."])

    def _field_values(self, severity: str, phase: str, labels: list[str]) -> dict[str, Any]:
        wanted = [*labels, *(field_labels(severity, "") if self.severity_in == "labels" else []),
                  *(field_labels("", phase) if self.phase_in == "labels" else [])]
        values: dict[str, Any] = {"labels": list(dict.fromkeys(wanted))}
        if self.severity_in == "priority" and severity in PRIORITIES:
            values["priority"] = {"name": PRIORITIES[severity]}
        elif CUSTOM_FIELD.fullmatch(self.severity_in):
            values[self.severity_in] = {"value": severity} if severity else None
        if CUSTOM_FIELD.fullmatch(self.phase_in):
            values[self.phase_in] = {"value": phase} if phase else None
        return values

    def create_incident(self, fields: dict[str, Any], token: str | None) -> str:
        del token
        meta = created_meta(fields)
        values = self._field_values(meta["severity"], meta["phase"], [INCIDENT_LABEL, uuid_label(meta["id"])])
        made = self._json(self._call("POST", "issue", json={
            "fields": {"project": {"key": self.project}, "issuetype": {"name": self.issue_type},
                       "summary": one_line(str(fields.get("title") or "(untitled incident)"))[:250],
                       "description": self._description(meta), **values},
            "properties": [{"key": PROPERTY, "value": meta}]}), dict)
        if not made.get("key"):
            raise Permanent(f"{self.name} answered a create without the issue's key; check the URL points at Jira.")
        return str(made["key"])

    def update_fields(self, remote_incident: str, fields: dict[str, Any]) -> None:
        issue = self._json(self._call("GET", f"issue/{remote_incident}",
                                      params={"fields": self._fields(), "properties": PROPERTY}), dict)
        ticket = self._ticket(issue)
        if ticket is None:
            raise Permanent(f"{self.name}: issue {remote_incident} came back without its key.")
        meta = changed_meta(ticket, fields)
        raw_fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
        others = [str(x) for x in (raw_fields or {}).get("labels") or [] if isinstance(x, str) and not ours(x)]
        keep = [INCIDENT_LABEL, *([uuid_label(ticket.uuid)] if ticket.uuid else []), *others]
        values = self._field_values(meta["severity"], meta["phase"], keep)
        self._call("PUT", f"issue/{remote_incident}", json={"fields": {**values,
                                                                       "description": self._description(meta)}})
        self._call("PUT", f"issue/{remote_incident}/properties/{PROPERTY}", json=meta)


def adf(lines: list[str], small: str = "") -> dict[str, Any]:
    """An Atlassian Document Format body: one paragraph a line (an empty line, an empty paragraph), and ``small``
    as a last paragraph of grey subscript text."""
    content: list[dict[str, Any]] = [{"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
                                     for line in lines]
    if small:
        content.append({"type": "paragraph", "content": [{"type": "text", "text": small, "marks": [
            {"type": "subsup", "attrs": {"type": "sub"}}, {"type": "textColor", "attrs": {"color": "#97a0af"}}]}]})
    return {"type": "doc", "version": 1, "content": content}


BLOCKS = {"paragraph", "heading", "blockquote", "codeBlock", "listItem", "panel", "rule", "tableRow"}


def adf_text(node: Any, depth: int = 0) -> str:
    """The plain text of an ADF document: block nodes on lines of their own, hard breaks as new lines; whatever
    Jira's editor did to the nesting (a paragraph wrapped in a panel, marks added) the words stay in order."""
    if not isinstance(node, dict) or depth > 50:
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status"):
        attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
        return str((attrs or {}).get("text") or "")
    children = node.get("content") if isinstance(node.get("content"), list) else []
    parts = [adf_text(child, depth + 1) for child in children or []]
    if kind == "doc" or any(isinstance(c, dict) and c.get("type") in BLOCKS for c in children or []):
        return "\n".join(parts)
    return "".join(parts)


def _option(value: Any) -> str:
    """A select field's value (``{"value": "SEV2"}``) or a text field's."""
    if isinstance(value, dict):
        return str(value.get("value") or value.get("name") or "")
    return value if isinstance(value, str) else ""


def _ours_change(item: dict[str, Any]) -> bool:
    """A changelog item that changed severity or phase (for labels: one of the cockpit's labels moved)."""
    if item.get("field") != "labels":
        return True
    before = set(str(item.get("fromString") or "").split())
    after = set(str(item.get("toString") or "").split())
    return any(ours(name) and not name.startswith(INCIDENT_LABEL) for name in before ^ after)


def _error_keys(response: httpx.Response) -> list[str]:
    data = json_or_none(response)
    errors = data.get("errors") if isinstance(data, dict) else None
    return [str(k) for k in errors] if isinstance(errors, dict) else []


def _error_text(response: httpx.Response) -> str:
    """Jira's ``{"errorMessages": [...], "errors": {"field": "why"}}`` as one line."""
    data = json_or_none(response)
    if not isinstance(data, dict):
        return ""
    messages = [str(m) for m in data.get("errorMessages") or [] if isinstance(m, str | int)]
    errors = data.get("errors")
    if isinstance(errors, dict):
        messages += [f"{k}: {v}" for k, v in errors.items()]
    return one_line("; ".join(messages))[:200]
