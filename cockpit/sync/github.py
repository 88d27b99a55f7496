"""GitHub Issues over its REST API; Gitea and Forgejo share the shape (give their ``.../api/v1`` as the URL).

* An incident is an issue labelled ``cockpit``. Severity and phase are labels (``SEV2``, ``phase:respond``) that
  people may change on the web; the issue body starts with a hidden marker holding the cockpit's UUID and the
  fields GitHub has no place for (reference, impact, scope, roles) plus the labels the cockpit last set, so a
  label changed by hand is recognised and attributed from the issue's events.
* A timeline entry is a comment whose first line is a hidden marker with the entry's UUID.
* There are no server-side idempotency tokens: the relay waits ``settle_seconds`` after an attempt before it
  looks for the marker and sends again, and every pull sweeps duplicates (the same marker twice) away.
* Rate limits: 403/429 with ``Retry-After`` or ``X-RateLimit-Remaining: 0`` + ``X-RateLimit-Reset`` become
  waits; when the budget runs out, the adapter stops sending until the reset; writes are spaced (GitHub asks
  for one second between content-creating requests).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from cockpit.domain.ids import tracker_identity
from cockpit.service.merge import Pulled, RemoteEntry, RemoteIncident, RemoteProblem, remote_entry_id
from cockpit.sync.adapter import AuthFailed, KnownIds, Misconfigured, Permanent, RateLimited
from cockpit.sync.answers import (
    MAX_WAIT_S,
    asked_wait,
    loads,
    raise_for,
    read_json,
    request_seconds,
    retry_after,
    wait_words,
)
from cockpit.sync.entry_text import INCIDENT_MARKER, apply_changes, entry_content, parse_entry_content
from cockpit.sync.http import Limits, TrackerHttp
from cockpit.sync.marked import as_int as _int
from cockpit.sync.marked import as_text as _meta_text
from cockpit.sync.marked import hidden_data
from cockpit.sync.marked import hidden_json as _marker_json
from cockpit.sync.marked import label_fields as labels_to_fields
from cockpit.sync.marked import parse_time as _time

INCIDENT_LABEL = "cockpit"
DUPLICATE_LABEL = "cockpit:duplicate"
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
PHASE_PREFIX = "phase:"
LABEL_COLOURS = {"SEV1": "b60205", "SEV2": "d93f0b", "SEV3": "fbca04", "SEV4": "c2e0c6", INCIDENT_LABEL: "1d76db",
                 DUPLICATE_LABEL: "cfd3d7"}
ENTRY_MARKER = re.compile(r"\A<!-- cockpit-entry (?P<id>[0-9a-f-]{36}) -->\n?")
SWEEP_MARKER = "<!-- cockpit-sweep -->"
PAGE = 100


class GitHubAdapter:
    def __init__(self, name: str, url: str, project: str, token: str, transport: httpx.BaseTransport | None = None,
                 write_interval: float = 1.0, sleep: Callable[[float], None] | None = None,
                 limits: Limits | None = None) -> None:
        self.name = name
        self.url = (url or "https://api.github.com").rstrip("/") + "/"
        owner, _, repo = project.strip().strip("/").partition("/")
        if not owner or not repo or "/" in repo:
            raise Permanent(f"{name}: the project must be OWNER/REPO (got '{project}'); "
                            f"`cockpit tracker add {name} --kind github --url URL --project OWNER/REPO` fixes it.")
        self.project = f"{owner}/{repo}"
        self.gitea = "/api/v1" in self.url  # Gitea/Forgejo: label ids instead of names, `token` auth scheme
        self.identity = tracker_identity("github", self.url, self.project)
        scheme = "token" if self.gitea else "Bearer"
        # redirects are followed (a renamed repository answers 301/307), but only within the API's own origin
        self.http = TrackerHttp(name, self.url, transport=transport, limits=limits, follow_redirects=True, headers={
            "Authorization": f"{scheme} {token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "incident-cockpit"})
        self.client = self.http.client
        self.settle_seconds = 3 * request_seconds() + 5  # httpx times out per phase: allow several
        self.in_flight_seconds = self.settle_seconds
        self.write_interval = write_interval
        self.sleep = sleep or self.http.pause
        self.paced = 0  # how often the adapter waited for the rate limit
        self.swept = 0  # duplicates removed by pulls
        self._blocked_until = 0.0
        self._last_write = 0.0
        self._labels: dict[str, tuple[str, int]] | None = None
        self._login: str | None = None

    def close(self) -> None:
        self.http.close()

    def cancel(self) -> None:
        self.http.cancel()

    # --- HTTP ---------------------------------------------------------------------------------
    def _repo(self, path: str = "") -> str:
        return f"repos/{self.project}{path}"

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        wait = self._blocked_until - time.time()
        if wait > 0:
            raise RateLimited(f"{self.name}: rate limit used up; waiting {wait:.0f} s for it to reset", wait)
        if method != "GET" and self.write_interval > 0:
            gap = self._last_write + self.write_interval - time.monotonic()
            if gap > 0:
                self.paced += 1
                self.sleep(gap)
            self._last_write = time.monotonic()
        response = self.http.request(method, path, **kwargs)
        self._note_budget(response)
        if response.status_code in (403, 429) and self._rate_limited(response):
            raise RateLimited(f"{self.name}: rate limited ({response.status_code})"
                            f"{wait_words(asked_wait(response))}", self._limit_wait(response))
        if response.status_code == 403 and _token_lacks_access(response):
            raise AuthFailed(f"{self.name}: the token may not do this in {self.project} ({_error_text(response)}); "
                             f"give it read and write access to issues (and authorise it for SSO), then run "
                             f"`cockpit tracker login {self.name}`")
        if response.status_code == 404 and path.startswith(self._repo()):
            self._check_project(response if path == self._repo() else None)
        raise_for(self.name, method, path, response, _error_text(response),
                  f"check the token and run `cockpit tracker login {self.name}`")
        return response

    def _note_budget(self, response: httpx.Response) -> None:
        """When the primary budget is spent, send nothing more until it resets (no point in 403s)."""
        if response.headers.get("X-RateLimit-Remaining") == "0":
            self.paced += 1
            try:
                reset = float(response.headers["X-RateLimit-Reset"])
            except (KeyError, ValueError):
                reset = time.time() + 60
            # an epoch in the past, or an absurd, infinite or NaN one: never more than an hour from now
            now = time.time()
            self._blocked_until = min(reset, now + MAX_WAIT_S) if reset == reset else now + 60

    @staticmethod
    def _rate_limited(response: httpx.Response) -> bool:
        if response.status_code == 429 or "Retry-After" in response.headers:
            return True
        if response.headers.get("X-RateLimit-Remaining") == "0":
            return True
        return "rate limit" in _error_text(response).lower()

    @staticmethod
    def _limit_wait(response: httpx.Response) -> float:
        wait = retry_after(response)
        return 60.0 if wait is None else max(1.0, wait)  # GitHub: "wait at least a minute" when nothing says

    def _check_project(self, response: httpx.Response | None) -> None:
        """A 404 inside the repository: say so plainly when the repository itself is what is missing."""
        response = response or self.http.request("GET", self._repo())
        if response.status_code == 404:
            raise Misconfigured(f"{self.name}: project {self.project} not found at {self.url} (or the token cannot "
                                f"see it): the URL or project looks wrong; check it with `cockpit tracker list`, "
                                f"fix it with `cockpit tracker add {self.name} --kind github --url URL "
                                f"--project OWNER/REPO`.")

    def _json(self, response: httpx.Response) -> Any:
        try:
            return read_json(response, self.name)
        except ValueError:
            raise Misconfigured(f"{self.name} at {self.url} did not answer like a GitHub or Gitea API (not JSON): the "
                                f"URL looks wrong (GitHub: https://api.github.com, Gitea: https://HOST/api/v1).") \
                from None

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise Misconfigured(f"{self.name} at {self.url} did not answer like a GitHub or Gitea API: the URL looks "
                                f"wrong; check it with `cockpit tracker list`.")
        return data

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a listing. GitHub: follow ``Link: rel="next"``. Gitea caps page sizes (50 by default)
        and leaves the Link header off some listings, so there the pages are walked until one comes back empty
        or ``X-Total-Count`` items have been read."""
        with self.http.reading(f"{path.removeprefix(self._repo())} pages"):  # a pull's pages share its budget
            self.http.page()
            response = self._call("GET", path, params={**params, "per_page": PAGE, "limit": PAGE})
            page, count = 1, 0
            while True:
                data = self._json(response)
                if not isinstance(data, list):
                    raise Misconfigured(f"{self.name} at {self.url} did not answer like a GitHub or Gitea API: the "
                                        f"URL looks wrong; check it with `cockpit tracker list`.")
                items = [item for item in data if isinstance(item, dict)]
                yield from items
                count += len(items)
                following = response.links.get("next", {}).get("url")
                page += 1
                if following:
                    self.http.page()
                    response = self._call("GET", following)  # TrackerHttp refuses a link to another origin
                    continue
                total = _int(response.headers.get("X-Total-Count"))
                if not self.gitea or not items or (total is not None and count >= total):
                    return
                self.http.page()
                response = self._call("GET", path, params={**params, "per_page": PAGE, "limit": PAGE, "page": page})

    def check(self) -> None:
        """Reachable, a GitHub/Gitea API, the project exists and the token is accepted."""
        data = self._object(self._call("GET", self._repo()))
        if "full_name" not in data and "name" not in data:
            raise Permanent(f"{self.name} at {self.url} did not answer like a GitHub or Gitea API; check the URL.")

    def login(self) -> str:
        if self._login is None:
            self._login = str(self._object(self._call("GET", "user")).get("login", ""))
        return self._login

    # --- labels -------------------------------------------------------------------------------
    def _label_ids(self, names: Sequence[str]) -> list[Any]:
        """Make sure the labels exist (creating the missing ones once); GitHub takes names, Gitea ids. Names
        match without regard to case, as on GitHub, so an existing ``sev1`` is used rather than duplicated."""
        labels = self._known_labels(refresh=False)
        for name in names:
            if name.casefold() in labels:
                continue
            colour = LABEL_COLOURS.get(name, "5319e7")
            try:
                made = self._object(self._call("POST", self._repo("/labels"), json={
                    "name": name, "color": f"#{colour}" if self.gitea else colour}))
                labels[name.casefold()] = (str(made.get("name") or name), _int(made.get("id")) or 0)
            except Permanent:  # 422: someone made it meanwhile
                labels = self._known_labels(refresh=True)
                if name.casefold() not in labels:
                    raise Permanent(f"{self.name}: cannot create the label '{name}' in {self.project}; "
                                    f"create it by hand or give the token write access to issues.") from None
        found = [labels[n.casefold()] for n in names]
        return [label_id for _, label_id in found] if self.gitea else [label_name for label_name, _ in found]

    def _known_labels(self, refresh: bool) -> dict[str, tuple[str, int]]:
        if self._labels is None or refresh:
            self._labels = {str(item["name"]).casefold(): (str(item["name"]), _int(item.get("id")) or 0)
                            for item in self._pages(self._repo("/labels"), {}) if item.get("name")}
        return self._labels

    @staticmethod
    def _field_labels(severity: str, phase: str) -> list[str]:
        labels = [INCIDENT_LABEL]
        if severity:
            labels.append(severity.upper())
        if phase:
            labels.append(PHASE_PREFIX + phase.lower())
        return labels

    # --- the interface ------------------------------------------------------------------------
    def prepare_create(self) -> str | None:
        return None  # no server tokens: the relay waits out settle_seconds and looks for the marker

    def _body(self, meta: dict[str, Any]) -> str:
        roles = meta.get("roles") or "none assigned"
        lines = [f"<!-- cockpit-incident {_marker_json(meta)} -->",
                 f"**{meta.get('ref', '')}** · impact {meta.get('impact', '?')} · scope {meta.get('scope', '?')}",
                 "", f"Severity: {meta.get('severity', '?')} — {meta.get('severity_reason', '')}".rstrip(" —"),
                 f"Roles: {roles}", "",
                 "_Kept in sync by Incident Cockpit: change severity and phase with the labels; "
                 "timeline entries are the comments._"]
        return "\n".join(lines)

    def create_incident(self, fields: dict[str, Any], token: str | None) -> str:
        del token
        severity, phase = str(fields.get("severity") or ""), str(fields.get("phase") or "")
        meta = {"id": str(fields.get("id", "")), "ref": str(fields.get("ref") or ""),
                "impact": str(fields.get("impact") or ""), "scope": str(fields.get("scope") or ""),
                "severity": severity.upper(), "phase": phase.upper(), "roles": "",
                "severity_reason": str(fields.get("severity_reason") or "")}
        labels = self._label_ids(self._field_labels(severity, phase))
        made = self._object(self._call("POST", self._repo("/issues"), json={
            "title": str(fields.get("title") or "(untitled incident)"), "body": self._body(meta), "labels": labels}))
        return self._field(made, "number")

    def _incident_issues(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"labels": INCIDENT_LABEL, "state": "all", "sort": "updated", "direction": "asc"}
        if self.gitea:
            params["type"] = "issues"  # Gitea lists pull requests too unless told (on GitHub `type` means else)
        if since is not None:
            params["since"] = _stamp(since)
        for issue in self._pages(self._repo("/issues"), params):
            if "pull_request" not in issue:
                yield issue

    def find_incident(self, cockpit_uuid: str) -> str | None:
        numbers = [number for issue in self._incident_issues()
                   if issue_marker(issue).get("id") == cockpit_uuid
                   and (number := _int(issue.get("number"))) is not None]
        return str(min(numbers)) if numbers else None

    def find_entry(self, remote_incident: str, cockpit_uuid: str) -> str | None:
        for comment in self._pages(self._repo(f"/issues/{remote_incident}/comments"), {}):
            match = ENTRY_MARKER.match(str(comment.get("body") or ""))
            if match and match["id"] == cockpit_uuid and comment.get("id") is not None:
                return str(comment["id"])
        return None

    def add_entry(self, remote_incident: str, entry: dict[str, Any], token: str | None) -> str:
        del token
        body = f"<!-- cockpit-entry {entry.get('id', '')} -->\n{entry_content(entry)}"
        made = self._object(self._call("POST", self._repo(f"/issues/{remote_incident}/comments"), json={"body": body}))
        return self._field(made, "id")

    def _field(self, made: dict[str, Any], key: str) -> str:
        if made.get(key) is None:
            raise Permanent(f"{self.name} answered a create without its {key}; check the URL points at the API.")
        return str(made[key])

    def update_fields(self, remote_incident: str, fields: dict[str, Any]) -> None:
        issue = self._object(self._call("GET", self._repo(f"/issues/{remote_incident}")))
        meta = issue_marker(issue)
        severity, phase = apply_changes(meta, fields, *label_fields(issue))
        others = [name for name in _label_names(issue) if not _ours(name)]
        wanted = self._field_labels(severity, phase) + others
        self._call("PUT", self._repo(f"/issues/{remote_incident}/labels"), json={"labels": self._label_ids(wanted)})
        self._call("PATCH", self._repo(f"/issues/{remote_incident}"), json={"body": self._body(meta)})

    # --- pull ---------------------------------------------------------------------------------
    def pull(self, since: datetime | None, known: KnownIds | None = None) -> Pulled:
        del known  # the repository-wide comment listing already brings only what changed
        with self.http.reading("the changed issues and comments"):
            return self._pull(since)

    def _pull(self, since: datetime | None) -> Pulled:
        result = Pulled()
        issues = {number: issue for issue in self._incident_issues(since)
                  if (number := _int(issue.get("number"))) is not None}
        comments: dict[int, list[dict[str, Any]]] = {}
        params: dict[str, Any] = {"sort": "updated", "direction": "asc"}
        if since is not None:
            params["since"] = _stamp(since)
        for comment in self._pages(self._repo("/issues/comments"), params):
            number = _issue_number(comment)
            if number is not None:  # a comment updates its issue, so its issue is in the listing when it is ours
                comments.setdefault(number, []).append(comment)
        by_incident: dict[str, list[int]] = {}
        for number, issue in issues.items():
            uuid = str(issue_marker(issue).get("id") or "")
            by_incident.setdefault(uuid or f"#{number}", []).append(number)
        if since is not None:
            self._add_older_twins(since, issues, by_incident)
        for uuid, numbers in by_incident.items():
            numbers.sort()
            if len(numbers) > 1 and not uuid.startswith("#"):
                self._sweep_issues(numbers, issues)
            entries: list[RemoteEntry] = []
            for number in numbers:
                entries.extend(self._entries(number, self._sweep_comments(comments.get(number, [])), result))
            try:
                result.incidents.append(self._remote(issues[numbers[0]], entries))
            except ValueError as exc:
                result.problems.append(RemoteProblem("incident", str(numbers[0]), f"issue #{numbers[0]}", str(exc),
                                                     uuid if not uuid.startswith("#") else ""))
        return result

    def _add_older_twins(self, since: datetime, issues: dict[int, dict[str, Any]],
                         by_incident: dict[str, list[int]]) -> None:
        """An issue created in this window may be the late twin of an older one (a create that landed after its
        retry made another): bring the older issues with the same marker in, so the sweep and the merge see
        both and every cockpit keeps the same one (the lowest number)."""
        fresh = {str(issue_marker(issue).get("id") or "") for issue in issues.values()
                 if (_time(issue.get("created_at")) or since) >= since}
        fresh.discard("")
        if not fresh:
            return
        for issue in self._incident_issues():
            number, uuid = _int(issue.get("number")), str(issue_marker(issue).get("id") or "")
            if number is not None and uuid in fresh and number not in issues:
                issues[number] = issue
                by_incident.setdefault(uuid, []).append(number)

    def _sweep_issues(self, numbers: list[int], issues: dict[int, dict[str, Any]]) -> None:
        """The same incident created twice (a create that landed after its retry): keep the first issue, close
        the others with a pointer to it. Their comments still merge, so nothing is lost."""
        keep = numbers[0]
        for number in numbers[1:]:
            issue = issues[number]
            if issue.get("state") == "closed" and DUPLICATE_LABEL in _label_names(issue):
                continue  # swept already
            try:
                self._call("POST", self._repo(f"/issues/{number}/comments"), json={
                    "body": f"{SWEEP_MARKER}\nDuplicate of #{keep}: created twice by a retried request; "
                            "closed by Incident Cockpit."})
                self._call("PATCH", self._repo(f"/issues/{number}"), json={"state": "closed"})
                self._call("POST", self._repo(f"/issues/{number}/labels"),
                           json={"labels": self._label_ids([DUPLICATE_LABEL])})
                self.swept += 1
            except Permanent:
                continue  # no right to close it: the merge still treats it as one incident

    def _sweep_comments(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Comments carrying the same entry marker twice: keep the first, delete the later copies we wrote."""
        kept: dict[str, dict[str, Any]] = {}
        result = []
        for comment in sorted(items, key=lambda c: _int(c.get("id")) or 0):
            match = ENTRY_MARKER.match(str(comment.get("body") or ""))
            if match is None:
                result.append(comment)
                continue
            if match["id"] not in kept:
                kept[match["id"]] = comment
                result.append(comment)
                continue
            author = _login(comment.get("user"))
            try:
                if author and author == self.login():
                    self._call("DELETE", self._repo(f"/issues/comments/{comment['id']}"))
                    self.swept += 1
            except (Permanent, AuthFailed):
                pass  # cannot delete it: the merge still counts the entry once
        return result

    def _entries(self, number: int, comments: list[dict[str, Any]], result: Pulled) -> list[RemoteEntry]:
        entries = []
        for comment in comments:
            body = comment.get("body")
            if not isinstance(body, str):
                body = ""
            if body.startswith(SWEEP_MARKER):
                continue  # the cockpit's own note on a duplicate issue
            remote_id = _int(comment.get("id"))
            if remote_id is None:
                result.problems.append(RemoteProblem("entry", f"{number}:?{len(result.problems)}",
                                                     f"a comment on issue #{number}", "it has no usable id"))
                continue
            created = _time(comment.get("created_at")) or datetime.now(UTC)
            author = _login(comment.get("user")) or self.name
            match = ENTRY_MARKER.match(body)
            entry_id = match["id"] if match else remote_entry_id(self.identity, str(remote_id))
            legacy = () if match else (remote_entry_id(self.name, str(remote_id)),)
            content = body[match.end():] if match else body
            kind, at, text, hlc, facts = "note", created, content, None, {}
            parsed = parse_entry_content(content) if match else None
            if parsed is not None:
                kind, author, at, text, hlc, facts = (parsed.kind, parsed.author, parsed.at, parsed.text, parsed.hlc,
                                                      parsed.facts)
            entries.append(RemoteEntry(id=entry_id, remote_id=str(remote_id), at=at, author=author, kind=kind,
                                       text=text, hlc=hlc, facts=facts, legacy_ids=legacy))
        return entries

    def _remote(self, issue: dict[str, Any], entries: list[RemoteEntry]) -> RemoteIncident:
        meta = issue_marker(issue)
        severity, phase = label_fields(issue)
        changed_at = _time(issue.get("updated_at")) or datetime.now(UTC)
        changed_by = ""
        number = _int(issue.get("number"))
        if number is None:
            raise ValueError("it has no issue number")
        if (severity, phase) != (meta.get("severity", ""), meta.get("phase", "")):
            changed_at, changed_by = self._label_change(number, changed_at)
        return RemoteIncident(
            remote_id=str(number), cockpit_uuid=_meta_text(meta, "id"), ref=_meta_text(meta, "ref"),
            title=_meta_text(issue, "title"),
            fields={"severity": severity, "phase": phase, **{name: _meta_text(meta, name) for name in (
                "impact", "scope", "roles", "severity_reason")}},
            changed_at=changed_at, changed_by=changed_by, entries=entries)

    def _label_change(self, number: int, fallback: datetime) -> tuple[datetime, str]:
        """Who changed a severity or phase label on the web, and when: the latest such event of the issue
        (GitHub: ``/events``; Gitea and Forgejo: ``/timeline``). Without it, the issue's own stamp."""
        latest_at: datetime | None = None
        who = ""
        try:
            for event in self._pages(self._repo(f"/issues/{number}/{'timeline' if self.gitea else 'events'}"), {}):
                label = event.get("label")
                name = str(label.get("name", "")) if isinstance(label, dict) else ""
                kind = event.get("type") if self.gitea else event.get("event")
                at = _time(event.get("created_at"))
                if (kind in ("label", "labeled", "unlabeled") and _ours(name) and name != INCIDENT_LABEL
                        and at is not None and (latest_at is None or at >= latest_at)):
                    latest_at, who = at, _login(event.get("user") if self.gitea else event.get("actor"))
        except Permanent:
            return fallback, ""
        return (latest_at or fallback), who

def _ours(label: str) -> bool:
    folded = label.casefold()
    return (label.upper() in SEVERITIES or folded.startswith(PHASE_PREFIX)
            or folded in (INCIDENT_LABEL, DUPLICATE_LABEL))


def label_fields(issue: dict[str, Any]) -> tuple[str, str]:
    """Severity and phase from the issue's labels (see ``marked.label_fields``)."""
    return labels_to_fields(_label_names(issue))


def _label_names(issue: dict[str, Any]) -> list[str]:
    labels = issue.get("labels")
    return [str(label.get("name", "")) for label in (labels if isinstance(labels, list) else [])
            if isinstance(label, dict)]


def issue_marker(issue: dict[str, Any]) -> dict[str, Any]:
    return hidden_data(str(issue.get("body") or ""), INCIDENT_MARKER)


def _login(user: Any) -> str:
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _issue_number(comment: dict[str, Any]) -> int | None:
    match = re.search(r"/issues/(\d+)$", str(comment.get("issue_url") or ""))
    return int(match.group(1)) if match else None


def _token_lacks_access(response: httpx.Response) -> bool:
    """A 403 about the token itself (missing scope, SSO not authorised) concerns every change: the tracker is
    paused until someone logs in again, instead of each change being refused one by one."""
    text = _error_text(response).lower()
    return "resource not accessible by" in text or "saml" in text or "x-github-sso" in response.headers


def _error_text(response: httpx.Response) -> str:
    try:
        data = loads(response.content)
    except ValueError:
        return ""
    return str(data.get("message", ""))[:200] if isinstance(data, dict) else ""
