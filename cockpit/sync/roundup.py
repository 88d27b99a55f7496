"""Roundup (PyPI ``roundup``) over its REST API.

* Every request goes through ``TrackerHttp`` (``cockpit.sync.http``): only to the tracker's own origin, with
  bounded answers and bounded pulls.
* Writes send ``X-Requested-With`` and the tracker's ``Origin`` (Roundup refuses them otherwise).
* Creates use Post-Once-Exactly: ``POST .../@poe`` gives a single-use link that the relay persists before
  using it, so a retried create can never make a second issue or message. A refused link (expired after 30
  minutes, used, or taken by another login) raises ``TokenRefused`` once the adapter has looked for the entry.
* Changes to an issue send ``If-Match`` with the ETag just read; a 412 is retried after a fresh read.
* A timeline entry is a ``msg``: its first line names the kind, author, time and clock stamp the cockpit
  recorded, and its ``cockpit_uuid`` carries the entry's id, so two cockpits merge the same entry once.
* Reading is defensive: an issue or message that cannot be read (wrong types, no id, an impossible time) is
  reported as a problem of its own and the rest of the pull goes on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from cockpit.domain.ids import tracker_identity
from cockpit.service.merge import Pulled, RemoteEntry, RemoteIncident, RemoteProblem, remote_entry_id, roles_text
from cockpit.sync.adapter import AuthFailed, KnownIds, Misconfigured, Permanent, Stale, TokenRefused
from cockpit.sync.answers import loads, raise_for, read_json, request_seconds
from cockpit.sync.entry_text import entry_content, parse_entry_content
from cockpit.sync.http import Limits, TrackerHttp
from cockpit.textsafe import is_number_text, one_line

MSG_FIELDS = "content,author,creation,cockpit_uuid"
PAGE = 100  # items per listing request
ISSUE_FIELDS = ("title", "severity", "phase", "impact", "scope", "cockpit_uuid", "cockpit_ref", "severity_reason",
                "roles")
PULLED_FIELDS = ("severity", "phase", "impact", "scope", "roles", "severity_reason")


class BadRecord(ValueError):
    """One issue or message that cannot be read; the pull reports it and goes on."""


def _roundup_time(text: Any) -> datetime:
    """Roundup's "2026-11-22.19:35:00" (UTC)."""
    if not isinstance(text, str):
        raise BadRecord(f"its time is not a time ({type(text).__name__})")
    try:
        return datetime.strptime(text[:19], "%Y-%m-%d.%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise BadRecord(f"its time {one_line(text)[:30]!r} is not a time") from None


def _text(value: Any, what: str) -> str:
    """A string field of a record: missing is empty, anything but a string or number is a bad record."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRecord(f"its {what} is a {type(value).__name__}, not text")
    return str(value)


def _item_id(item: Any, what: str) -> str:
    """The id of a listed item: a string or number of digits (Roundup's ids are numbers)."""
    raw = item.get("id") if isinstance(item, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, str | int) or not is_number_text(str(raw)) or len(str(raw)) > 18:
        raise BadRecord(f"a {what} without a usable id ({one_line(repr(raw))[:30]})")
    return str(raw)


class RoundupAdapter:
    def __init__(self, name: str, url: str, user: str, password: str,
                 transport: httpx.BaseTransport | None = None, limits: Limits | None = None) -> None:
        self.name = name
        self.url = url if url.endswith("/") else url + "/"
        parts = urlsplit(self.url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.identity = tracker_identity("roundup", self.url)
        self.user = user
        self.http = TrackerHttp(name, self.url + "rest/data/", auth=(user, password), transport=transport,
                                limits=limits, headers={"X-Requested-With": "rest", "Origin": self.origin,
                                                        "Referer": self.url, "Accept": "application/json"})
        self.client = self.http.client
        self._user_id: str | None = None
        self.page_size = PAGE
        self.settle_seconds = 0.0  # Post-Once-Exactly makes retries safe at once
        #: How long an attempt the client gave up on may still land: a refused token is replaced only after it.
        self.in_flight_seconds = 3 * request_seconds() + 5
        self.paced = 0  # how often the adapter waited for the rate limit to refill
        self._usernames: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    def cancel(self) -> None:
        self.http.cancel()

    # --- HTTP with error classes -------------------------------------------------------------
    def _pace(self, response: httpx.Response) -> None:
        """Stay under the tracker's rate limit: when its budget runs out, wait for it to refill instead of
        running into 429s (Roundup reports X-RateLimit-Remaining and -Reset on every answer)."""
        try:
            remaining = float(response.headers["X-RateLimit-Remaining"])
            reset = float(response.headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return
        if remaining < 1 and math.isfinite(reset):
            self.paced += 1
            self.http.pause(min(max(reset, 0.0), 60.0))

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._checked(method, path, self.http.request(method, path, **kwargs))

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = read_json(response, self.name)
        except ValueError:
            raise Misconfigured(f"{self.name}: {self.url} did not answer like a Roundup tracker (not JSON); the "
                                f"tracker URL looks wrong: check it with `cockpit tracker list`") from None
        if not isinstance(data, dict) or "data" not in data:
            raise Misconfigured(f"{self.name}: {self.url} did not answer like a Roundup tracker; the tracker URL "
                                f"looks wrong: check it with `cockpit tracker list`")
        body = data["data"]
        return body if isinstance(body, dict) else {"value": body}

    def check(self) -> None:
        """Reachable, a Roundup tracker, and the credentials work."""
        self._json(self._call("GET", "user", params={"username": self.user}))

    def user_id(self) -> str:
        if self._user_id is None:
            found = self._json(self._call("GET", "user", params={"username": self.user}))
            items = [i for i in _list(found.get("collection")) if isinstance(i, dict)]
            if not items:
                raise AuthFailed(f"{self.name}: user '{self.user}' not found")
            try:
                self._user_id = _item_id(items[0], "user")
            except BadRecord as exc:
                raise Permanent(f"{self.name}: the answer about user '{self.user}' is unreadable ({exc})") from None
        return self._user_id

    def username(self, user_id: str) -> str:
        if user_id not in self._usernames:
            try:
                data = self._json(self._call("GET", f"user/{user_id}"))
            except Permanent:  # an account that cannot be read: the record still merges, named by its id
                self._usernames[user_id] = user_id
                return user_id
            attributes = data.get("attributes") if isinstance(data.get("attributes"), dict) else {}
            name = attributes.get("username") if isinstance(attributes, dict) else None
            self._usernames[user_id] = str(name) if isinstance(name, str) and name else user_id
        return self._usernames[user_id]

    # --- the interface ----------------------------------------------------------------------
    def prepare_create(self) -> str | None:
        return None  # the relay asks for a per-class token through prepare_token

    def prepare_token(self, klass: str) -> str:
        data = self._json(self._call("POST", f"{klass}/@poe", json={}))  # without a body Roundup waits forever
        link = data.get("link")
        if not isinstance(link, str) or not link:
            raise Permanent(f"{self.name}: no Post-Once-Exactly link returned")
        return str(self.http.pinned(link))  # a link to anywhere else is refused now, before it is saved

    def _post_once(self, klass: str, token: str | None, payload: dict[str, Any]) -> str:
        if token is not None:
            response = self.http.request("POST", token, json=payload)
            if _token_refused(response):
                raise TokenRefused(f"{self.name}: its create token was refused ({response.status_code} "
                                   f"{one_line(_error_text(response))[:120]})")
        response = self._call("POST", token or klass, json=payload) if token is None else self._checked(
            "POST", token, response)
        try:
            return _item_id(self._json(response), "created item")
        except BadRecord as exc:
            raise Permanent(f"{self.name}: the answer to a create is unreadable ({exc})") from None

    def _checked(self, method: str, path: str, response: httpx.Response) -> httpx.Response:
        """The checks of ``_call`` on an answer already in hand."""
        self._pace(response)
        if response.status_code == 404 and not _roundup_error(response):
            raise Misconfigured(self._wrong_url())
        raise_for(self.name, method, path, response, _error_text(response),
                  f"run `cockpit tracker login {self.name}`")
        return response

    def _wrong_url(self) -> str:
        return (f"{self.name}: {self.url} answered 404 Not Found where Roundup's REST API should be: the tracker URL "
                f"looks wrong. Check that {self.url}rest/ opens in a browser, then `cockpit tracker add {self.name} "
                f"--kind roundup --url URL` fixes it.")

    def create_incident(self, fields: dict[str, Any], token: str | None) -> str:
        values = {
            "title": fields.get("title"), "severity": fields.get("severity"), "phase": fields.get("phase"),
            "impact": fields.get("impact"), "scope": fields.get("scope"),
            "cockpit_uuid": fields.get("id"), "cockpit_ref": fields.get("ref"),
            "severity_reason": fields.get("severity_reason"),
        }
        payload = {k: str(v) for k, v in values.items() if v}  # Roundup refuses empty strings on create
        try:
            return self._post_once("issue", token, payload)
        except TokenRefused:
            found = self.find_incident(str(fields.get("id", "")))  # an earlier attempt with it may have landed
            if found is None:
                raise
            return found

    def find_incident(self, cockpit_uuid: str) -> str | None:
        data = self._json(self._call("GET", "issue", params={"cockpit_uuid:": cockpit_uuid}))
        for item in _list(data.get("collection")):
            try:
                return _item_id(item, "issue")
            except BadRecord:
                continue
        return None

    def find_entry(self, remote_incident: str, cockpit_uuid: str) -> str | None:
        del remote_incident  # messages carry the UUID themselves
        data = self._json(self._call("GET", "msg", params={"cockpit_uuid:": cockpit_uuid}))
        for item in _list(data.get("collection")):
            try:
                return _item_id(item, "message")
            except BadRecord:
                continue
        return None

    def add_entry(self, remote_incident: str, entry: dict[str, Any], token: str | None) -> str:
        try:
            msg = self._post_once("msg", token, {"content": entry_content(entry), "author": self.user_id(),
                                                 "cockpit_uuid": entry.get("id", "")})
        except TokenRefused:
            msg = self.find_entry(remote_incident, str(entry.get("id", ""))) or ""
            if not msg:
                raise
        self._attach(remote_incident, msg)
        return msg

    def _read_issue(self, remote_id: str) -> tuple[dict[str, Any], str]:
        response = self._call("GET", f"issue/{remote_id}")
        data = self._json(response)
        etag = response.headers.get("ETag") or str(data.get("@etag", ""))
        attributes = data.get("attributes")
        return (attributes if isinstance(attributes, dict) else {}), etag

    def _attach(self, remote_incident: str, msg: str) -> None:
        for _ in range(3):
            attributes, etag = self._read_issue(remote_incident)
            linked = [link for link in map(_safe_link_id, _list(attributes.get("messages"))) if link]
            if msg in linked:
                return
            try:
                self._call("PATCH", f"issue/{remote_incident}", headers={"If-Match": etag},
                           json={"@op": "add", "messages": [msg]})
                return
            except Stale:
                continue
        raise Stale(f"{self.name}: issue {remote_incident} kept changing while attaching a message")

    def update_fields(self, remote_incident: str, fields: dict[str, Any]) -> None:
        values = {k: (v if isinstance(v, str) else _roles_text(v) if k == "roles" else str(v))
                  for k, v in fields.items() if k in ISSUE_FIELDS}
        if not values:
            return
        for _ in range(3):
            _, etag = self._read_issue(remote_incident)
            try:
                self._call("PUT", f"issue/{remote_incident}", headers={"If-Match": etag}, json=values)
                return
            except Stale:
                continue
        raise Stale(f"{self.name}: issue {remote_incident} kept changing")

    # --- pull ---------------------------------------------------------------------------------
    def pull(self, since: datetime | None, known: KnownIds | None = None) -> Pulled:
        params: dict[str, Any] = {"@fields": ",".join([*ISSUE_FIELDS, "activity", "actor", "messages"]),
                                  "@sort": "activity"}
        if since is not None:
            params["activity"] = f"{since.astimezone(UTC):%Y-%m-%d.%H:%M:%S};"
        result = Pulled()
        with self.http.reading("the changed issues"):
            issues: list[tuple[str, dict[str, Any]]] = []
            for item in self._collection("issue", params):
                try:
                    issues.append((_item_id(item, "issue"), item))
                except BadRecord as exc:
                    result.problems.append(RemoteProblem("incident", f"?{len(result.problems)}", "an issue",
                                                         str(exc)))
            linked: dict[str, str] = {}  # message id -> issue id
            for issue_id, issue in issues:
                for link in _list(issue.get("messages")):
                    try:
                        linked[_link_id(link)] = issue_id
                    except BadRecord as exc:
                        result.problems.append(RemoteProblem("entry", f"{issue_id}:?", f"a message on issue {issue_id}",
                                                             str(exc)))
            messages = self._messages(since, set(linked), known, result) if linked else {}
            for issue_id, issue in issues:
                try:
                    result.incidents.append(self._remote(issue_id, issue, messages, result))
                except BadRecord as exc:
                    result.problems.append(RemoteProblem("incident", issue_id, f"issue {issue_id}", str(exc),
                                                         _uuid_of(issue)))
        return result

    def _collection(self, klass: str, params: dict[str, Any]) -> Iterator[Any]:
        page = 1
        while True:
            self.http.page()
            data = self._json(self._call("GET", klass, params={**params, "@page_size": self.page_size,
                                                               "@page_index": page}))
            items = _list(data.get("collection"))
            yield from items
            if len(items) < self.page_size:
                return
            page += 1

    def _messages(self, since: datetime | None, wanted: set[str], known: KnownIds | None,
                  result: Pulled) -> dict[str, dict[str, Any]]:
        """The messages of the changed issues, a page of 100 per request: those created in the window come in
        one listing; older ones attached since (a create whose attach was interrupted) are read one by one,
        unless this cockpit already has them."""
        params: dict[str, Any] = {"@fields": MSG_FIELDS, "@verbose": 3, "@sort": "id"}
        if since is not None:
            params["creation"] = f"{since.astimezone(UTC):%Y-%m-%d.%H:%M:%S};"
        found: dict[str, dict[str, Any]] = {}
        for item in self._collection("msg", params):
            try:
                msg_id = _item_id(item, "message")
            except BadRecord as exc:
                result.problems.append(RemoteProblem("entry", f"?{len(result.problems)}", "a message", str(exc)))
                continue
            if msg_id in wanted:
                found[msg_id] = item
        missing = wanted - found.keys()
        if known is not None and since is not None:
            missing -= known(missing)
        for msg_id in sorted(missing, key=int):
            try:
                attributes = self._json(self._call("GET", f"msg/{msg_id}", params={
                    "@verbose": 3, "@fields": MSG_FIELDS})).get("attributes")
            except Permanent as exc:  # one message that cannot be read does not stop the pull
                result.problems.append(RemoteProblem("entry", msg_id, f"message {msg_id}", f"unreadable: {exc}"))
                continue
            if isinstance(attributes, dict):
                found[msg_id] = attributes
        return found

    def _remote(self, issue_id: str, item: dict[str, Any], messages: dict[str, dict[str, Any]],
                result: Pulled) -> RemoteIncident:
        attributes = item  # the collection answer carries the requested @fields inline
        if attributes.get("messages") is not None and not isinstance(attributes.get("messages"), list):
            raise BadRecord(f"its messages are a {type(attributes.get('messages')).__name__}, not a list")
        entries = []
        for link in _list(attributes.get("messages")):
            msg_id = _safe_link_id(link)
            if msg_id not in messages:
                continue
            try:
                entries.append(self._entry(msg_id, messages[msg_id]))
            except BadRecord as exc:
                result.problems.append(RemoteProblem("entry", msg_id, f"message {msg_id} on issue {issue_id}",
                                                     str(exc), _uuid_of(attributes)))
        actor = attributes.get("actor")
        actor_id = _text(actor.get("id") if isinstance(actor, dict) else actor, "actor")
        activity = attributes.get("activity")
        return RemoteIncident(
            remote_id=issue_id, cockpit_uuid=_text(attributes.get("cockpit_uuid"), "cockpit id"),
            ref=_text(attributes.get("cockpit_ref"), "reference"), title=_text(attributes.get("title"), "title"),
            fields={k: _text(attributes.get(k), k) for k in PULLED_FIELDS},
            changed_at=_roundup_time(activity) if activity else datetime.now(UTC),
            changed_by=self.username(actor_id) if is_number_text(actor_id) else "", entries=entries,
        )

    def _entry(self, msg_id: str, msg: dict[str, Any]) -> RemoteEntry:
        content = msg.get("content")
        if isinstance(content, dict):
            content = content.get("data")
        content = _text(content, "content")
        author_link = msg.get("author")
        author_name = _text(author_link.get("username"), "author") if isinstance(author_link, dict) else ""
        author_id = _text(author_link.get("id") if isinstance(author_link, dict) else author_link, "author")
        date = msg.get("creation")
        at = _roundup_time(date) if date else datetime.now(UTC)
        if not author_name:  # asked of the tracker only when the message did not name its author
            author_name = self.username(author_id) if is_number_text(author_id) else self.name
        kind, author, text = "note", author_name, content
        hlc, facts = None, {}
        parsed = parse_entry_content(content)
        if parsed is not None:
            kind, author, at, text, hlc, facts = parsed.kind, parsed.author, parsed.at, parsed.text, parsed.hlc, \
                parsed.facts
        marker = _text(msg.get("cockpit_uuid"), "cockpit id")
        legacy = () if marker else (remote_entry_id(self.name, msg_id),)
        entry_id = marker or remote_entry_id(self.identity, msg_id)
        return RemoteEntry(id=entry_id, remote_id=msg_id, at=at, author=author, kind=kind, text=text, hlc=hlc,
                           facts=facts, legacy_ids=legacy)


def _list(value: Any) -> list[Any]:
    """A JSON list from the tracker, or nothing when it sent something else."""
    return value if isinstance(value, list) else []


def _link_id(link: Any) -> str:
    return _item_id(link, "link") if isinstance(link, dict) else _item_id({"id": link}, "link")


def _safe_link_id(link: Any) -> str:
    try:
        return _link_id(link)
    except BadRecord:
        return ""


def _uuid_of(item: Any) -> str:
    value = item.get("cockpit_uuid") if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


def _roles_text(value: Any) -> str:
    return roles_text(value) if isinstance(value, dict) else str(value)


def _token_refused(response: httpx.Response) -> bool:
    """Roundup's answer to an expired, used or foreign Post-Once-Exactly link: 400 "POE token '…' not valid"
    (a link that is gone altogether: 404/410 in Roundup's JSON)."""
    if response.status_code in (404, 410):
        return _roundup_error(response)
    return response.status_code in (400, 403) and "token" in _error_text(response).lower()


def _roundup_error(response: httpx.Response) -> bool:
    """Whether a 4xx answer is Roundup's own JSON error (a known path, an unknown item) rather than a page from
    something that is not Roundup's REST API."""
    try:
        data = loads(response.content)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("error"), dict)


def _error_text(response: httpx.Response) -> str:
    try:
        data = loads(response.content)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("msg", ""))[:200]
    return ""
