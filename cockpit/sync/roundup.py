"""Roundup (PyPI ``roundup``) over its REST API.

* Writes send ``X-Requested-With`` and the tracker's ``Origin`` (Roundup refuses them otherwise).
* Creates use Post-Once-Exactly: ``POST .../@poe`` gives a single-use link that the relay persists before
  using it, so a retried create can never make a second issue or message.
* Changes to an issue send ``If-Match`` with the ETag just read; a 412 is retried after a fresh read.
* A timeline entry is a ``msg``: its first line names the kind, author and time the cockpit recorded, and its
  ``cockpit_uuid`` carries the entry's id, so two cockpits merge the same entry once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from cockpit.service.merge import RemoteEntry, RemoteIncident, remote_entry_id, roles_text
from cockpit.sync.adapter import AuthFailed, KnownIds, Permanent, Retryable, Stale
from cockpit.sync.common import call, entry_content, parse_entry_content, raise_for, request_timeout

MSG_FIELDS = "content,author,creation,cockpit_uuid"
PAGE = 100  # items per listing request
ISSUE_FIELDS = ("title", "severity", "phase", "impact", "scope", "cockpit_uuid", "cockpit_ref", "severity_reason",
                "roles")


def _roundup_time(text: str) -> datetime:
    """Roundup's "2026-11-22.19:35:00" (UTC)."""
    return datetime.strptime(text[:19], "%Y-%m-%d.%H:%M:%S").replace(tzinfo=UTC)


class RoundupAdapter:
    def __init__(self, name: str, url: str, user: str, password: str,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.url = url if url.endswith("/") else url + "/"
        parts = urlsplit(self.url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.user = user
        self.client = httpx.Client(base_url=self.url + "rest/data/", auth=(user, password), timeout=request_timeout(),
                                   headers={"X-Requested-With": "rest", "Origin": self.origin,
                                            "Referer": self.url, "Accept": "application/json"},
                                   transport=transport)
        self._user_id: str | None = None
        self.page_size = PAGE
        self.settle_seconds = 0.0  # Post-Once-Exactly makes retries safe at once
        self.paced = 0  # how often the adapter waited for the rate limit to refill
        self._usernames: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    # --- HTTP with error classes -------------------------------------------------------------
    def _pace(self, response: httpx.Response) -> None:
        """Stay under the tracker's rate limit: when its budget runs out, wait for it to refill instead of
        running into 429s (Roundup reports X-RateLimit-Remaining and -Reset on every answer)."""
        try:
            remaining = float(response.headers["X-RateLimit-Remaining"])
            reset = float(response.headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return
        if remaining < 1:
            self.paced += 1
            time.sleep(min(max(reset, 0.0), 60.0))

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = call(self.client, self.name, method, path, **kwargs)
        self._pace(response)
        raise_for(self.name, method, path, response, _error_text(response),
                  f"run `cockpit tracker login {self.name}`")
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise Permanent(f"{self.name} did not answer like a Roundup tracker (not JSON); check the URL") from None
        if not isinstance(data, dict) or "data" not in data:
            raise Permanent(f"{self.name} did not answer like a Roundup tracker; check the URL")
        body = data["data"]
        return body if isinstance(body, dict) else {"value": body}

    def check(self) -> None:
        """Reachable, a Roundup tracker, and the credentials work."""
        self._json(self._call("GET", "user", params={"username": self.user}))

    def user_id(self) -> str:
        if self._user_id is None:
            found = self._json(self._call("GET", "user", params={"username": self.user}))
            items = [i for i in found.get("collection", []) if isinstance(i, dict)]
            if not items:
                raise AuthFailed(f"{self.name}: user '{self.user}' not found")
            self._user_id = str(items[0]["id"])
        return self._user_id

    def username(self, user_id: str) -> str:
        if user_id not in self._usernames:
            data = self._json(self._call("GET", f"user/{user_id}"))
            self._usernames[user_id] = str(data.get("attributes", {}).get("username", user_id))
        return self._usernames[user_id]

    # --- the interface ----------------------------------------------------------------------
    def prepare_create(self) -> str | None:
        return None  # the relay asks for a per-class token through prepare_token

    def prepare_token(self, klass: str) -> str:
        data = self._json(self._call("POST", f"{klass}/@poe", json={}))  # without a body Roundup waits forever
        link = str(data.get("link", ""))
        if not link:
            raise Permanent(f"{self.name}: no Post-Once-Exactly link returned")
        return link

    def _post_once(self, klass: str, token: str | None, payload: dict[str, Any]) -> str:
        target = token or f"{klass}"
        try:
            response = self._call("POST", target, json=payload)
        except Permanent:
            if token is None:
                raise
            return ""  # the link was used already: an earlier attempt landed; the caller looks it up
        return str(self._json(response)["id"])

    def create_incident(self, fields: dict[str, Any], token: str | None) -> str:
        values = {
            "title": fields.get("title"), "severity": fields.get("severity"), "phase": fields.get("phase"),
            "impact": fields.get("impact"), "scope": fields.get("scope"),
            "cockpit_uuid": fields.get("id"), "cockpit_ref": fields.get("ref"),
            "severity_reason": fields.get("severity_reason"),
        }
        payload = {k: str(v) for k, v in values.items() if v}  # Roundup refuses empty strings on create
        remote = self._post_once("issue", token, payload)
        if not remote:
            found = self.find_incident(str(fields.get("id", "")))
            if found is None:
                raise Retryable(f"{self.name}: create not visible yet")
            return found
        return remote

    def find_incident(self, cockpit_uuid: str) -> str | None:
        data = self._json(self._call("GET", "issue", params={"cockpit_uuid:": cockpit_uuid}))
        for item in data.get("collection", []):
            return str(item["id"])
        return None

    def find_entry(self, remote_incident: str, cockpit_uuid: str) -> str | None:
        del remote_incident  # messages carry the UUID themselves
        data = self._json(self._call("GET", "msg", params={"cockpit_uuid:": cockpit_uuid}))
        for item in data.get("collection", []):
            return str(item["id"])
        return None

    def add_entry(self, remote_incident: str, entry: dict[str, Any], token: str | None) -> str:
        msg = self._post_once("msg", token, {"content": entry_content(entry), "author": self.user_id(),
                                             "cockpit_uuid": entry.get("id", "")})
        if not msg:
            msg = self.find_entry(remote_incident, str(entry.get("id", ""))) or ""
            if not msg:
                raise Retryable(f"{self.name}: message not visible yet")
        self._attach(remote_incident, msg)
        return msg

    def _read_issue(self, remote_id: str) -> tuple[dict[str, Any], str]:
        response = self._call("GET", f"issue/{remote_id}")
        data = self._json(response)
        etag = response.headers.get("ETag") or str(data.get("@etag", ""))
        return data.get("attributes", {}), etag

    def _attach(self, remote_incident: str, msg: str) -> None:
        for _ in range(3):
            attributes, etag = self._read_issue(remote_incident)
            linked = [str(m["id"]) if isinstance(m, dict) else str(m) for m in attributes.get("messages", [])]
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

    def pull(self, since: datetime | None, known: KnownIds | None = None) -> Sequence[RemoteIncident]:
        params: dict[str, Any] = {"@fields": ",".join([*ISSUE_FIELDS, "activity", "actor", "messages"]),
                                  "@sort": "activity"}
        if since is not None:
            params["activity"] = f"{since.astimezone(UTC):%Y-%m-%d.%H:%M:%S};"
        issues = list(self._collection("issue", params))
        linked = {_link_id(link) for issue in issues for link in issue.get("messages") or []}
        messages = self._messages(since, linked, known) if linked else {}
        return [self._remote(issue, messages) for issue in issues]

    def _collection(self, klass: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            data = self._json(self._call("GET", klass, params={**params, "@page_size": self.page_size,
                                                               "@page_index": page}))
            items = [item for item in data.get("collection", []) if isinstance(item, dict)]
            yield from items
            if len(items) < self.page_size:
                return
            page += 1

    def _messages(self, since: datetime | None, wanted: set[str], known: KnownIds | None) -> dict[str, dict[str, Any]]:
        """The messages of the changed issues, a page of 100 per request: those created in the window come in
        one listing; older ones attached since (a create whose attach was interrupted) are read one by one,
        unless this cockpit already has them."""
        params: dict[str, Any] = {"@fields": MSG_FIELDS, "@verbose": 3, "@sort": "id"}
        if since is not None:
            params["creation"] = f"{since.astimezone(UTC):%Y-%m-%d.%H:%M:%S};"
        found = {str(item["id"]): item for item in self._collection("msg", params) if str(item["id"]) in wanted}
        missing = wanted - found.keys()
        if known is not None and since is not None:
            missing -= known(missing)
        for msg_id in sorted(missing, key=int):
            found[msg_id] = self._json(self._call("GET", f"msg/{msg_id}", params={
                "@verbose": 3, "@fields": MSG_FIELDS})).get("attributes", {})
        return found

    def _remote(self, item: dict[str, Any], messages: dict[str, dict[str, Any]]) -> RemoteIncident:
        issue_id = str(item["id"])
        attributes = item  # the collection answer carries the requested @fields inline
        entries = [self._entry(msg_id, messages[msg_id]) for msg_id in
                   (_link_id(link) for link in attributes.get("messages") or []) if msg_id in messages]
        actor = attributes.get("actor")
        actor_id = str(actor["id"]) if isinstance(actor, dict) else str(actor or "")
        activity = attributes.get("activity") or ""
        return RemoteIncident(
            remote_id=issue_id, cockpit_uuid=str(attributes.get("cockpit_uuid") or ""),
            ref=str(attributes.get("cockpit_ref") or ""), title=str(attributes.get("title") or ""),
            fields={k: str(attributes.get(k) or "") for k in ("severity", "phase", "impact", "scope", "roles")},
            changed_at=_roundup_time(activity) if activity else datetime.now(UTC),
            changed_by=self.username(actor_id) if actor_id else "", entries=entries,
        )

    def _entry(self, msg_id: str, msg: dict[str, Any]) -> RemoteEntry:
        content = msg.get("content") or ""
        if isinstance(content, dict):
            content = content.get("data") or ""
        content = str(content)
        author_link = msg.get("author")
        author_name = str(author_link.get("username") or "") if isinstance(author_link, dict) else ""
        author_id = str(author_link["id"]) if isinstance(author_link, dict) else str(author_link or "")
        date = str(msg.get("creation") or "")
        at = _roundup_time(date) if date else datetime.now(UTC)
        kind, author, text = "note", author_name or (self.username(author_id) if author_id else self.name), content
        parsed = parse_entry_content(content)
        if parsed is not None:
            kind, author, at, text = parsed
        entry_id = str(msg.get("cockpit_uuid") or "") or remote_entry_id(self.name, msg_id)
        return RemoteEntry(id=entry_id, remote_id=msg_id, at=at, author=author, kind=kind, text=text)


def _link_id(link: Any) -> str:
    return str(link["id"]) if isinstance(link, dict) else str(link)


def _roles_text(value: Any) -> str:
    return roles_text(value) if isinstance(value, dict) else str(value)


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("msg", ""))[:200]
    return ""
