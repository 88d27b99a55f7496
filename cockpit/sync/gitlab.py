"""GitLab issues over REST v4 (gitlab.com, ``https://gitlab.com/api/v4``, and self-managed ``https://HOST/api/v4``).

* An incident is an issue labelled ``cockpit`` in the project ``group/name`` (sent URL-encoded as the project id);
  with ``--option issue_type=incident`` it is created as GitLab's own incident type. Severity and phase are labels
  (``SEV2``, ``phase:respond``) that people may change on the web; GitLab creates a missing label on first use.
  An incident issue's own severity (CRITICAL, HIGH, MEDIUM, LOW) counts when no severity label is set.
* The description starts with a hidden HTML comment holding the cockpit's UUID and the fields GitLab has no place
  for (reference, impact, scope, roles) plus what the cockpit last set; who changed a label by hand comes from the
  issue's resource label events.
* A timeline entry is a note whose first line is a hidden HTML comment with the entry's UUID; system notes
  ("added ~SEV1 label") are not entries.
* No idempotency key: the relay waits ``settle_seconds`` before looking for the marker (a ``search`` of the
  descriptions for an incident, every incident issue when the search finds nothing), and every pull sweeps
  duplicates away.
* Pagination by ``Link: rel="next"``, else ``X-Next-Page``; rate limits by 429 (``Retry-After`` or
  ``RateLimit-Reset``) and ``RateLimit-Remaining: 0``, after which nothing is sent until the reset.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from cockpit.domain.ids import tracker_identity
from cockpit.sync.adapter import AuthFailed, Misconfigured, Permanent, RateLimited
from cockpit.sync.answers import asked_wait, capped_wait, raise_for, request_seconds, retry_after, wait_words
from cockpit.sync.entry_text import INCIDENT_MARKER, entry_content
from cockpit.sync.http import Limits, TrackerHttp
from cockpit.sync.marked import (
    DUPLICATE_LABEL,
    INCIDENT_LABEL,
    SWEEP_TEXT,
    MarkedAdapter,
    Note,
    Ticket,
    as_int,
    changed_meta,
    created_meta,
    field_labels,
    hidden_data,
    hidden_json,
    json_or_none,
    label_fields,
    ours,
    parse_time,
    split_entry_id,
)
from cockpit.textsafe import is_number_text

DEFAULT_URL = "https://gitlab.com/api/v4"
#: GitLab's own severity of an incident issue, as the cockpit's levels.
GITLAB_SEVERITY = {"CRITICAL": "SEV1", "HIGH": "SEV2", "MEDIUM": "SEV3", "LOW": "SEV4"}
PAGE = 100


class GitLabAdapter(MarkedAdapter):
    api_words = "a GitLab API"
    api_hint = f" (gitlab.com: {DEFAULT_URL}, self-managed: https://HOST/api/v4)"

    def __init__(self, name: str, url: str, project: str, token: str, transport: httpx.BaseTransport | None = None,
                 limits: Limits | None = None, issue_type: str = "issue", auth: str = "private-token") -> None:
        self.name = name
        self.url = (url or DEFAULT_URL).rstrip("/") + "/"
        project = project.strip().strip("/")
        if not re.fullmatch(r"[\w.-]+(/[\w.-]+)+", project):
            raise Permanent(f"{name}: the project must be GROUP/NAME (got '{project}'); `cockpit tracker add {name} "
                            f"--kind gitlab --project GROUP/NAME` fixes it.")
        if issue_type not in ("issue", "incident"):
            raise Permanent(f"{name}: issue_type must be issue or incident (got '{issue_type}').")
        if auth not in ("private-token", "bearer"):
            raise Permanent(f"{name}: auth must be private-token or bearer (got '{auth}').")
        self.project = project
        self.issue_type = issue_type
        self.identity = tracker_identity("gitlab", self.url, project)
        header = {"PRIVATE-TOKEN": token} if auth == "private-token" else {"Authorization": f"Bearer {token}"}
        self.http = TrackerHttp(name, self.url, transport=transport, limits=limits,
                                headers={**header, "User-Agent": "incident-cockpit"})
        self.settle_seconds = 3 * request_seconds() + 5  # httpx times out per phase: allow several
        self.paced = 0  # how often the adapter stopped for the rate limit
        self.swept = 0
        self._blocked_until = 0.0
        self._login: str | None = None

    # --- HTTP ---------------------------------------------------------------------------------
    def _project(self, path: str = "") -> str:
        return f"projects/{quote(self.project, safe='')}{path}"

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        wait = self._blocked_until - time.time()
        if wait > 0:
            raise RateLimited(f"{self.name}: rate limit used up; waiting {wait:.0f} s for it to reset", wait)
        response = self.http.request(method, path, **kwargs)
        if response.headers.get("RateLimit-Remaining") == "0":  # spent: send nothing more until the reset
            self.paced += 1
            self._blocked_until = time.time() + _reset_wait(response)
        if response.status_code == 429:
            asked = retry_after(response)
            raise RateLimited(f"{self.name}: rate limited (429){wait_words(asked_wait(response))}",
                              60.0 if asked is None else max(1.0, asked))  # GitLab may send no Retry-After at all
        if response.status_code == 403 and "insufficient_scope" in response.text:
            raise AuthFailed(f"{self.name}: the token may not do this in {self.project} (its scope is too narrow); "
                             f"give it the api scope, then run `cockpit tracker login {self.name}`")
        if response.status_code == 404 and path.startswith(self._project()):
            self._check_project(response if path == self._project() else None)
        raise_for(self.name, method, path, response, _error_text(response),
                  f"check the token and run `cockpit tracker login {self.name}`")
        return response

    def _check_project(self, response: httpx.Response | None) -> None:
        response = response or self.http.request("GET", self._project())
        if response.status_code == 404:
            raise Misconfigured(f"{self.name}: project {self.project} not found at {self.url} (or the token cannot "
                                f"see it): check the project with `cockpit tracker list` and fix it with "
                                f"`cockpit tracker add {self.name} --kind gitlab --project GROUP/NAME`.")

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a listing: ``Link: rel="next"`` when GitLab sends it, else ``X-Next-Page`` (bounded by the
        read's budget of pages)."""
        with self.http.reading(f"{path} pages"):
            self.http.page()
            response = self._call("GET", path, params={**params, "per_page": PAGE})
            while True:
                yield from (item for item in self._json(response, list) if isinstance(item, dict))
                following = response.links.get("next", {}).get("url")
                next_page = response.headers.get("X-Next-Page", "")
                if following:
                    self.http.page()
                    response = self._call("GET", following)  # TrackerHttp refuses a link to another origin
                elif is_number_text(next_page) and len(next_page) < 9:
                    self.http.page()
                    response = self._call("GET", path, params={**params, "per_page": PAGE, "page": int(next_page)})
                else:
                    return

    def check(self) -> None:
        """Reachable, a GitLab API, the token is accepted and the project exists."""
        if "username" not in self._json(self._call("GET", "user"), dict):
            raise Misconfigured(f"{self.name} at {self.url} did not answer like a GitLab API; check the URL.")
        if "path_with_namespace" not in self._json(self._call("GET", self._project()), dict):
            raise Misconfigured(f"{self.name} at {self.url} did not answer like a GitLab API; check the URL.")

    def login(self) -> str:
        if self._login is None:
            self._login = str(self._json(self._call("GET", "user"), dict).get("username") or "")
        return self._login

    # --- tickets and notes --------------------------------------------------------------------
    def _ticket(self, issue: dict[str, Any]) -> Ticket | None:
        number = as_int(issue.get("iid"))
        if number is None:
            return None
        description = issue.get("description")
        meta = hidden_data(description if isinstance(description, str) else "", INCIDENT_MARKER)
        labels = _labels(issue)
        severity, phase = label_fields(labels)
        if not severity and str(issue.get("severity") or "").upper() in GITLAB_SEVERITY:
            severity = GITLAB_SEVERITY[str(issue["severity"]).upper()]
        return Ticket(str(number), number, str(meta.get("id") or ""), meta, str(issue.get("title") or ""), severity,
                      phase, parse_time(issue.get("created_at")), parse_time(issue.get("updated_at")),
                      issue.get("state") == "closed" and DUPLICATE_LABEL in labels, issue)

    def _issues(self, params: dict[str, Any]) -> Iterator[Ticket]:
        query = {"labels": INCIDENT_LABEL, "scope": "all", "state": "all", "order_by": "updated_at", "sort": "asc",
                 **params}
        for issue in self._pages(self._project("/issues"), query):
            if (ticket := self._ticket(issue)) is not None:
                yield ticket

    def tickets(self, since: datetime | None) -> Iterator[Ticket]:
        return self._issues({} if since is None else {"updated_after": _stamp(since)})

    def twins(self, uuids: set[str]) -> Iterator[Ticket]:
        """A description search for each UUID; when it finds none (an instance whose search splits the UUID at
        its hyphens, or has not indexed a new issue yet), every incident issue is read and compared instead."""
        missing = set()
        for uuid in sorted(uuids):
            found = [t for t in self._issues({"search": uuid, "in": "description"}) if t.uuid == uuid]
            yield from found
            if not found:
                missing.add(uuid)
        if missing:
            yield from (t for t in self._issues({}) if t.uuid in missing)

    def notes(self, remote_id: str) -> Iterator[Note]:
        mine = None
        for note in self._pages(self._project(f"/issues/{remote_id}/notes"), {"sort": "asc", "order_by": "created_at"}):
            body = note.get("body") if isinstance(note.get("body"), str) else ""
            entry_id, text = split_entry_id(str(body))
            author = _username(note.get("author"))
            if entry_id is not None and mine is None:
                mine = self.login()
            yield Note(str(note.get("id") or ""), as_int(note.get("id")) or 0, text, entry_id, author,
                       parse_time(note.get("created_at")), mine=bool(author) and author == mine,
                       skip=bool(note.get("system")) or SWEEP_TEXT in str(body)[:40])

    def close_duplicate(self, ticket: Ticket, keep: Ticket) -> None:
        self._call("POST", self._project(f"/issues/{ticket.remote_id}/notes"), json={
            "body": f"<!-- {SWEEP_TEXT} -->\nDuplicate of #{keep.remote_id}: created twice by a retried request; "
                    f"closed by Incident Cockpit."})
        self._call("PUT", self._project(f"/issues/{ticket.remote_id}"),
                   json={"state_event": "close", "add_labels": DUPLICATE_LABEL})

    def delete_note(self, remote_id: str, note: Note) -> None:
        self._call("DELETE", self._project(f"/issues/{remote_id}/notes/{note.remote_id}"))

    def field_change(self, ticket: Ticket) -> tuple[datetime | None, str]:
        latest: tuple[datetime | None, str] = (ticket.updated_at, "")
        found: datetime | None = None
        try:
            for event in self._pages(self._project(f"/issues/{ticket.remote_id}/resource_label_events"), {}):
                label = event.get("label")
                name = str(label.get("name", "")) if isinstance(label, dict) else ""
                at = parse_time(event.get("created_at"))
                if (ours(name) and name.casefold() != INCIDENT_LABEL and at is not None
                        and (found is None or at >= found)):
                    found, latest = at, (at, _username(event.get("user")))
        except Permanent:
            pass
        return latest

    # --- writes -------------------------------------------------------------------------------
    @staticmethod
    def _description(meta: dict[str, Any]) -> str:
        return "\n".join([
            f"<!-- cockpit-incident {hidden_json(meta)} -->",
            f"**{meta.get('ref', '')}** · impact {meta.get('impact', '?')} · scope {meta.get('scope', '?')}", "",
            f"Severity: {meta.get('severity', '?')} — {meta.get('severity_reason', '')}".rstrip(" —"),
            f"Roles: {meta.get('roles') or 'none assigned'}", "",
            "_Kept in sync by Incident Cockpit: change severity and phase with the labels; timeline entries are "
            "the comments._"])

    def create_incident(self, fields: dict[str, Any], token: str | None) -> str:
        del token
        meta = created_meta(fields)
        body: dict[str, Any] = {"title": str(fields.get("title") or "(untitled incident)"),
                                "description": self._description(meta),
                                "labels": ",".join([INCIDENT_LABEL, *field_labels(meta["severity"], meta["phase"])])}
        if self.issue_type == "incident":
            body["issue_type"] = "incident"
        made = self._json(self._call("POST", self._project("/issues"), json=body), dict)
        if as_int(made.get("iid")) is None:
            raise Permanent(f"{self.name} answered a create without its iid; check the URL points at the API.")
        return str(made["iid"])

    def add_entry(self, remote_incident: str, entry: dict[str, Any], token: str | None) -> str:
        del token
        body = f"<!-- cockpit-entry {entry.get('id', '')} -->\n{entry_content(entry)}"
        made = self._json(self._call("POST", self._project(f"/issues/{remote_incident}/notes"), json={"body": body}),
                          dict)
        if made.get("id") is None:
            raise Permanent(f"{self.name} answered a note without its id; check the URL points at the API.")
        return str(made["id"])

    def update_fields(self, remote_incident: str, fields: dict[str, Any]) -> None:
        issue = self._json(self._call("GET", self._project(f"/issues/{remote_incident}")), dict)
        ticket = self._ticket(issue)
        if ticket is None:
            raise Permanent(f"{self.name}: issue {remote_incident} came back without its iid.")
        meta = changed_meta(ticket, fields)
        others = [name for name in _labels(issue) if not ours(name)]
        labels = [INCIDENT_LABEL, *field_labels(meta["severity"], meta["phase"]), *others]
        self._call("PUT", self._project(f"/issues/{remote_incident}"),
                   json={"labels": ",".join(labels), "description": self._description(meta)})


def _reset_wait(response: httpx.Response) -> float:
    """Seconds until ``RateLimit-Reset`` (an epoch on GitLab; seconds to go when small), at least one, at most an
    hour; a minute when the header is missing or not a number."""
    try:
        reset = float(response.headers.get("RateLimit-Reset", ""))
    except ValueError:
        return 60.0
    if math.isnan(reset):
        return 60.0
    return max(1.0, capped_wait(reset - time.time() if reset > 1e9 else reset))


def _labels(issue: dict[str, Any]) -> list[str]:
    labels = issue.get("labels")
    return [str(label) for label in (labels if isinstance(labels, list) else []) if isinstance(label, str)]


def _username(user: Any) -> str:
    return str(user.get("username") or "") if isinstance(user, dict) else ""


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _error_text(response: httpx.Response) -> str:
    data = json_or_none(response)
    if not isinstance(data, dict):
        return ""
    return str(data.get("message") or data.get("error_description") or data.get("error") or "")[:200]



