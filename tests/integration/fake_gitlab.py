"""An in-memory GitLab REST v4 API (docs.gitlab.com/api: issues, notes, resource label events, users, projects).

It answers in the documented shapes: a project addressed by its URL-encoded path (``projects/acme%2Fops``);
issues with ``iid``, ``state`` ``opened``/``closed``, ``labels`` as names (a label is made on first use);
``issue_type`` and ``severity`` on incidents; notes with ``system``; pagination by ``Link`` and ``X-Page``,
``X-Next-Page`` (empty on the last page), ``X-Total``; ``RateLimit-*`` headers on every answer; errors as
``{"message": "404 Project Not Found"}`` and ``401 Unauthorized``; ``PRIVATE-TOKEN`` or ``Authorization: Bearer``.
Timestamps carry milliseconds, as GitLab's do. Faults: see ``fake_api``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import httpx

from tests.integration.fake_api import ScriptedApi

API = "https://gitlab.example.com/api/v4"


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakeGitLab(ScriptedApi):
    project: str = "acme/ops"
    base: str = API
    tokens: dict[str, str] = field(default_factory=lambda: {"glpat-alice": "alice", "glpat-bob": "bob",
                                                            "glpat-carol": "carol"})
    rate_limit: int = 2000
    reset_in: float = 60.0  # seconds from now that RateLimit-Reset names
    search_works: bool = True  # False: a search finds nothing (an index that splits UUIDs, or lags behind)
    link_headers: bool = True  # False: pages say only X-Next-Page (as some listings and proxies do)
    used: int = 0
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    label_events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    _next: int = 100

    def _id(self) -> int:
        self._next += 1
        return self._next

    # --- what a person does in GitLab's web UI ------------------------------------------------
    def set_labels_by_hand(self, iid: int, names: list[str], user: str) -> None:
        with self._lock:
            self._set_labels(self.issues[iid], names, user)

    def note_by_hand(self, iid: int, body: str, user: str) -> dict[str, Any]:
        with self._lock:
            return self._note(iid, body, user)

    def notes_on(self, iid: int) -> list[dict[str, Any]]:
        return sorted((n for n in self.notes.values() if n["noteable_iid"] == iid and not n["system"]),
                      key=lambda n: n["id"])

    # --- shapes -------------------------------------------------------------------------------
    @staticmethod
    def _user(name: str) -> dict[str, Any]:
        return {"id": sum(map(ord, name)), "username": name, "name": name.title(), "state": "active",
                "avatar_url": None, "web_url": f"https://gitlab.example.com/{name}"}

    def _issue(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        iid = len(self.issues) + 1
        now = stamp()
        issue = {"id": self._id(), "iid": iid, "project_id": 7, "title": body.get("title", ""),
                 "description": body.get("description"), "state": "opened", "created_at": now, "updated_at": now,
                 "closed_at": None, "closed_by": None, "labels": [], "milestone": None, "assignees": [],
                 "author": self._user(user), "type": "INCIDENT" if body.get("issue_type") == "incident" else "ISSUE",
                 "issue_type": body.get("issue_type", "issue"), "user_notes_count": 0, "confidential": False,
                 "web_url": f"https://gitlab.example.com/{self.project}/-/issues/{iid}",
                 "severity": "UNKNOWN"}
        self.issues[iid] = issue
        self._set_labels(issue, _names(body.get("labels")), user)
        return issue

    def _set_labels(self, issue: dict[str, Any], names: list[str], user: str) -> None:
        before, after = issue["labels"], list(dict.fromkeys(names))
        now = stamp()
        for action, changed in (("add", [n for n in after if n not in before]),
                                ("remove", [n for n in before if n not in after])):
            for name in changed:
                self.label_events.setdefault(issue["iid"], []).append({
                    "id": self._id(), "user": self._user(user), "created_at": now, "resource_type": "Issue",
                    "resource_id": issue["id"], "label": {"id": sum(map(ord, name)), "name": name,
                                                          "color": "#6699cc", "description": None},
                    "action": action})
        issue["labels"] = sorted(after)
        issue["updated_at"] = now

    def _note(self, iid: int, body: str, user: str, system: bool = False) -> dict[str, Any]:
        now = stamp()
        note = {"id": self._id(), "type": None, "body": body, "attachment": None, "author": self._user(user),
                "created_at": now, "updated_at": now, "system": system, "noteable_id": self.issues[iid]["id"],
                "noteable_type": "Issue", "project_id": 7, "noteable_iid": iid, "resolvable": False,
                "confidential": False, "internal": False}
        self.notes[note["id"]] = note
        self.issues[iid]["user_notes_count"] += 0 if system else 1
        self.issues[iid]["updated_at"] = now
        return note

    # --- the server ---------------------------------------------------------------------------
    def _answer(self, status: int, data: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        limits = {"ratelimit-limit": str(self.rate_limit), "ratelimit-observed": str(self.used),
                  "ratelimit-remaining": str(max(0, self.rate_limit - self.used)),
                  "ratelimit-reset": str(int(time.time() + self.reset_in)), "content-type": "application/json"}
        return httpx.Response(status, content=b"" if data is None else json.dumps(data).encode(),
                              headers={**limits, **(headers or {})})

    def user_of(self, request: httpx.Request) -> str | None:
        token = request.headers.get("private-token")
        if token is None:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            token = token if scheme.lower() == "bearer" else ""
        return self.tokens.get(token)

    def unauthorised(self) -> httpx.Response:
        return self._answer(401, {"message": "401 Unauthorized"})

    def refusal(self, fault: Any, request: httpx.Request) -> httpx.Response | None:
        self.used += 1
        if self.used > self.rate_limit:  # GitLab: 429, sometimes without Retry-After; RateLimit-Reset says when
            return self._answer(429, {"message": "Retry later"})
        if isinstance(fault, tuple) and fault[0] == "429":
            return self._answer(429, {"message": "Retry later"}, {"retry-after": str(fault[1])})
        if isinstance(fault, tuple) and fault[0] == "status":
            return self._answer(fault[1], {"message": fault[2] if len(fault) > 2 else f"{fault[1]} Error"})
        return None

    def route(self, request: httpx.Request, user: str) -> httpx.Response:
        raw = request.url.raw_path.decode().split("?")[0]
        prefix = httpx.URL(self.base).path.rstrip("/")
        if not raw.startswith(prefix + "/"):
            return self._answer(404, {"error": "404 Not Found"})
        path = raw[len(prefix):]
        self.requests.append((request.method, unquote(path)))
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        body = json.loads(request.content) if request.content else {}
        if path == "/user":
            return self._answer(200, {**self._user(user), "email": f"{user}@example.com"})
        match = re.fullmatch(r"/projects/([^/]+)(/.*)?", path)
        if match is None:
            return self._answer(404, {"error": "404 Not Found"})
        if unquote(match[1]) != self.project:
            return self._answer(404, {"message": "404 Project Not Found"})
        rest = match[2] or ""
        if rest == "":
            return self._answer(200, {"id": 7, "path_with_namespace": self.project, "name": self.project.split("/")[-1],
                                      "issues_enabled": True, "visibility": "private"})
        if rest == "/issues" and request.method == "POST":
            if not body.get("title"):
                return self._answer(400, {"message": {"title": ["can't be blank"]}})
            return self._answer(201, self._issue(body, user))
        if rest == "/issues" and request.method == "GET":
            return self._page(request, self._listing(query), query)
        match = re.fullmatch(r"/issues/(\d+)(/notes|/resource_label_events)?(?:/(\d+))?", rest)
        if match is None or int(match[1]) not in self.issues:
            return self._answer(404, {"message": "404 Issue Not Found" if match else "404 Not Found"})
        issue, sub, item = self.issues[int(match[1])], match[2], match[3]
        if sub is None and request.method == "GET":
            return self._answer(200, issue)
        if sub is None and request.method == "PUT":
            return self._answer(200, self._edit(issue, body, user))
        if sub == "/notes" and item is None and request.method == "GET":
            notes = sorted((n for n in self.notes.values() if n["noteable_iid"] == issue["iid"]),
                           key=lambda n: n["id"], reverse=query.get("sort", "desc") == "desc")
            return self._page(request, notes, query)
        if sub == "/notes" and item is None and request.method == "POST":
            return self._answer(201, self._note(issue["iid"], body["body"], user))
        if sub == "/notes" and item is not None and request.method == "DELETE":
            note = self.notes.get(int(item))
            if note is None or note["noteable_iid"] != issue["iid"]:
                return self._answer(404, {"message": "404 Note Not Found"})
            if note["author"]["username"] != user:
                return self._answer(403, {"message": "403 Forbidden"})
            del self.notes[int(item)]
            return self._answer(204)
        if sub == "/resource_label_events" and request.method == "GET":
            return self._page(request, self.label_events.get(issue["iid"], []), query)
        return self._answer(405, {"message": "405 Method Not Allowed"})

    def _listing(self, query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = set(_names(query.get("labels")))
        state = {"opened": "opened", "closed": "closed"}.get(query.get("state", "all"))
        search = query.get("search", "")
        fields = ("description",) if query.get("in") == "description" else ("title", "description")
        items = [i for i in self.issues.values() if wanted <= set(i["labels"])
                 and (state is None or i["state"] == state) and i["updated_at"] >= query.get("updated_after", "")
                 and (not search or (self.search_works and any(search in str(i[f] or "") for f in fields)))]
        key = query.get("order_by", "created_at")
        items.sort(key=lambda i: (i[key], i["iid"]), reverse=query.get("sort", "desc") == "desc")
        return items

    def _edit(self, issue: dict[str, Any], body: dict[str, Any], user: str) -> dict[str, Any]:
        for key in ("title", "description"):
            if key in body:
                issue[key] = body[key]
        labels = _names(body["labels"]) if "labels" in body else list(issue["labels"])
        labels += [n for n in _names(body.get("add_labels")) if n not in labels]
        labels = [n for n in labels if n not in _names(body.get("remove_labels"))]
        self._set_labels(issue, labels, user)
        if body.get("state_event") == "close":
            issue.update({"state": "closed", "closed_at": stamp(), "closed_by": self._user(user)})
        issue["updated_at"] = stamp()
        return issue

    def _page(self, request: httpx.Request, items: list[Any], query: dict[str, str]) -> httpx.Response:
        size = min(int(query.get("per_page", 20)), 100)
        page = int(query.get("page", 1))
        pages = max(1, -(-len(items) // size))
        headers = {"x-page": str(page), "x-per-page": str(size), "x-total": str(len(items)),
                   "x-total-pages": str(pages), "x-prev-page": str(page - 1) if page > 1 else "",
                   "x-next-page": str(page + 1) if page < pages else ""}
        if page < pages and self.link_headers:
            url = request.url.copy_with(query=urlencode({**query, "page": str(page + 1)}).encode())
            headers["link"] = f'<{url}>; rel="next", <{url}>; rel="last"'
        return self._answer(200, items[(page - 1) * size: page * size], headers)


def _names(value: Any) -> list[str]:
    """Labels as GitLab takes them: a comma-separated string or a list."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]
