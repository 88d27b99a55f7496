"""An in-memory GitHub Issues API (and its Gitea flavour) behind ``httpx.MockTransport``.

GitHub cannot run here, so this fixture answers in the documented response shapes of the REST API
(docs.github.com/rest/issues: issues, comments, labels, events; pagination by ``Link`` header; rate-limit
headers on every answer, 403/429 when a limit is hit) and keeps state like the real service does, so tests
can drive two cockpits against it. Gitea (``/api/v1``) differs where the adapter must: label ids instead of
names on create, the ``token`` auth scheme, ``#rrggbb`` colours, ``/timeline`` instead of ``/events``, page sizes
capped at 50, and no ``Link`` header on the label and repository-comment listings (``X-Total-Count`` only).
On GitHub, ``type`` on the issue listing filters by issue type name (none here), as documented.

Scripted faults: see ``fake_api`` (and ``"secondary"``: 403 with Retry-After).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from tests.integration.fake_api import ScriptedApi

API = "https://api.github.com"


def stamp(moment: float | None = None) -> str:
    return datetime.fromtimestamp(moment if moment is not None else time.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeGitHub(ScriptedApi):
    owner: str = "acme"
    repo: str = "incidents"
    tokens: dict[str, str] = field(default_factory=lambda: {"tok-alice": "alice", "tok-bob": "bob",
                                                            "tok-carol": "carol"})
    gitea: bool = False
    renamed_from: str | None = None  # an old "owner/repo": answered with 301 to the new one, as GitHub does
    rate_limit: int = 5000
    reset_in: float = 3600.0
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    used: int = 0
    _next: int = 1

    @property
    def base(self) -> str:
        return "https://gitea.example.com/api/v1" if self.gitea else API

    @property
    def repo_path(self) -> str:
        return f"/repos/{self.owner}/{self.repo}"

    def _id(self) -> int:
        self._next += 1
        return self._next

    # --- the web UI, for tests: what a person does on github.com --------------------------------
    def set_labels_by_hand(self, number: int, names: list[str], user: str) -> None:
        with self._lock:
            issue = self.issues[number]
            before = {label["name"] for label in issue["labels"]}
            issue["labels"] = [self._label(n) for n in names]
            now = stamp()
            for name in sorted(set(names) - before):
                self._event(number, "labeled", name, user, now)
            for name in sorted(before - set(names)):
                self._event(number, "unlabeled", name, user, now)
            issue["updated_at"] = now

    def comment_by_hand(self, number: int, body: str, user: str) -> dict[str, Any]:
        with self._lock:
            return self._comment(number, body, user)

    def incident_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if any(lb["name"] == "cockpit" for lb in i["labels"])]

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return sorted((c for c in self.comments.values() if c["_issue"] == number), key=lambda c: c["id"])

    # --- shapes ---------------------------------------------------------------------------
    def _label(self, name: str, color: str = "ededed") -> dict[str, Any]:
        """Label names are unique without regard to case, as on GitHub."""
        name = next((known for known in self.labels if known.casefold() == name.casefold()), name)
        if name not in self.labels:
            label_id = self._id()
            self.labels[name] = {"id": label_id, "node_id": f"LA_{label_id}",
                                 "url": f"{self.base}{self.repo_path}/labels/{name}", "name": name,
                                 "color": color.lstrip("#"), "default": False, "description": None}
        return self.labels[name]

    def _event(self, number: int, kind: str, label: str, user: str, at: str) -> None:
        event_id = self._id()
        self.events.setdefault(number, []).append({
            "id": event_id, "node_id": f"LE_{event_id}", "url": f"{self.base}{self.repo_path}/issues/events/{event_id}",
            "actor": {"login": user, "id": 1, "type": "User"}, "event": kind, "commit_id": None,
            "created_at": at, "label": {"name": label, "color": self.labels[label]["color"]}})

    def _issue(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        number = len(self.issues) + 1
        now = stamp()
        names = [self._label_name(x) for x in body.get("labels", [])]
        issue = {"id": self._id(), "node_id": f"I_{number}", "url": f"{self.base}{self.repo_path}/issues/{number}",
                 "html_url": f"https://github.com/{self.owner}/{self.repo}/issues/{number}", "number": number,
                 "state": "open", "state_reason": None, "title": body.get("title", ""), "body": body.get("body"),
                 "user": {"login": user, "id": 1, "type": "User"}, "labels": [self._label(n) for n in names],
                 "assignees": [], "comments": 0, "created_at": now, "updated_at": now, "closed_at": None,
                 "author_association": "MEMBER", "locked": False}
        self.issues[number] = issue
        for name in names:
            self._event(number, "labeled", name, user, now)
        return issue

    def _label_name(self, value: Any) -> str:
        if self.gitea:
            if not isinstance(value, int):
                raise ValueError("Gitea takes label ids")
            return next(name for name, label in self.labels.items() if label["id"] == value)
        if not isinstance(value, str):
            raise ValueError("GitHub takes label names")
        return value

    def _comment(self, number: int, body: str, user: str) -> dict[str, Any]:
        comment_id = self._id() * 1000
        now = stamp()
        comment = {"id": comment_id, "node_id": f"IC_{comment_id}",
                   "url": f"{self.base}{self.repo_path}/issues/comments/{comment_id}",
                   "html_url": f"https://github.com/{self.owner}/{self.repo}/issues/{number}#issuecomment-{comment_id}",
                   "body": body, "user": {"login": user, "id": 1, "type": "User"}, "created_at": now,
                   "updated_at": now, "issue_url": f"{self.base}{self.repo_path}/issues/{number}",
                   "author_association": "MEMBER", "_issue": number}
        self.comments[comment_id] = comment
        self.issues[number]["comments"] += 1
        self.issues[number]["updated_at"] = now
        return comment

    # --- the server -------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"x-ratelimit-limit": str(self.rate_limit), "x-ratelimit-remaining": str(max(0, self.rate_limit
                - self.used)), "x-ratelimit-reset": str(int(time.time() + self.reset_in)),
                "x-ratelimit-used": str(self.used), "x-ratelimit-resource": "core",
                "content-type": "application/json; charset=utf-8"}

    def _answer(self, status: int, data: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        content = b"" if data is None else json.dumps(data).encode()
        return httpx.Response(status, content=content, headers={**self._headers(), **(headers or {})})

    def user_of(self, request: httpx.Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != ("token" if self.gitea else "bearer"):
            return None
        return self.tokens.get(token)

    def unauthorised(self) -> httpx.Response:
        return self._answer(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})

    def refusal(self, fault: Any, request: httpx.Request) -> httpx.Response | None:
        self.used += 1
        if self.used > self.rate_limit:
            return self._answer(403, {"message": "API rate limit exceeded for user ID 1. If you reach out to "
                                      "GitHub Support for help, please include the request ID.",
                                      "documentation_url": "https://docs.github.com/rest/rate-limit"})
        if fault == "secondary":
            return self._answer(403, {"message": "You have exceeded a secondary rate limit. Please wait a few "
                                      "minutes before you try again."}, {"retry-after": "60"})
        if isinstance(fault, tuple) and fault[0] == "429":
            return self._answer(429, {"message": "Too Many Requests"}, {"retry-after": str(fault[1])})
        if isinstance(fault, tuple) and fault[0] == "status":
            return self._answer(fault[1], {"message": fault[2] if len(fault) > 2 else "Server Error"})
        return None

    def route(self, request: httpx.Request, user: str) -> httpx.Response:
        return self._route(request, user)

    def _route(self, request: httpx.Request, user: str) -> httpx.Response:
        method = request.method
        path = request.url.path
        prefix = "/api/v1" if self.gitea else ""
        if not path.startswith(prefix):
            return self._answer(404, {"message": "Not Found"})
        path = path[len(prefix):]
        self.requests.append((method, path))
        old_path = f"/repos/{self.renamed_from}"
        if self.renamed_from and (path == old_path or path.startswith(old_path + "/")):
            moved = request.url.copy_with(path=prefix + self.repo_path + path[len(f"/repos/{self.renamed_from}"):])
            status = 301 if method == "GET" else 307  # GitHub repeats writes to a moved repository with a 307
            return self._answer(status, {"message": "Moved Permanently", "url": str(moved)}, {"location": str(moved)})
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        body = json.loads(request.content) if request.content else {}
        if path == "/user":
            return self._answer(200, {"login": user, "id": 1, "type": "User"})
        if not path.startswith(self.repo_path):
            return self._answer(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        rest = path[len(self.repo_path):]
        if rest == "":
            return self._answer(200, {"id": 7, "name": self.repo, "full_name": f"{self.owner}/{self.repo}",
                                      "owner": {"login": self.owner}, "has_issues": True, "private": True})
        if rest == "/labels" and method == "GET":
            return self._page(request, list(self.labels.values()), query, link=not self.gitea)
        if rest == "/labels" and method == "POST":
            if any(known.casefold() == body["name"].casefold() for known in self.labels):
                return self._answer(422, {"message": "Validation Failed", "errors": [
                    {"resource": "Label", "code": "already_exists", "field": "name"}]})
            if self.gitea != str(body.get("color", "")).startswith("#"):
                return self._answer(422, {"message": "Validation Failed: color"})
            return self._answer(201, self._label(body["name"], body.get("color", "ededed")))
        if rest == "/issues" and method == "POST":
            try:
                return self._answer(201, self._issue(body, user))
            except (ValueError, StopIteration):
                return self._answer(422, {"message": "Validation Failed: labels"})
        if rest == "/issues" and method == "GET":
            wanted = set(filter(None, query.get("labels", "").split(",")))
            items = [i for i in self.issues.values()
                     if wanted <= {lb["name"] for lb in i["labels"]}
                     and (query.get("state", "open") == "all" or i["state"] == query.get("state", "open"))
                     and i["updated_at"] >= query.get("since", "")
                     and (self.gitea or "type" not in query)]  # GitHub: `type` is an issue type name; none here
            items.sort(key=lambda i: (i["updated_at"], i["number"]))
            return self._page(request, items, query)
        if rest == "/issues/comments" and method == "GET":
            items = [c for c in self.comments.values() if c["updated_at"] >= query.get("since", "")]
            items.sort(key=lambda c: (c["updated_at"], c["id"]))
            return self._page(request, [self._public(c) for c in items], query, link=not self.gitea)
        match = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if match and method == "DELETE":
            comment = self.comments.get(int(match[1]))
            if comment is None:
                return self._answer(404, {"message": "Not Found"})
            if comment["user"]["login"] != user:
                return self._answer(403, {"message": "Must have admin rights to Repository."})
            del self.comments[int(match[1])]
            self.issues[comment["_issue"]]["comments"] -= 1
            return self._answer(204)
        match = re.fullmatch(r"/issues/(\d+)(/comments|/labels|/events|/timeline)?", rest)
        if match is None or int(match[1]) not in self.issues:
            return self._answer(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        number, sub = int(match[1]), match[2]
        issue = self.issues[number]
        if sub is None and method == "GET":
            return self._answer(200, issue)
        if sub is None and method == "PATCH":
            for key in ("title", "body", "state"):
                if key in body:
                    issue[key] = body[key]
            issue["updated_at"] = stamp()
            return self._answer(200, issue)
        if sub == "/comments" and method == "GET":
            return self._page(request, [self._public(c) for c in self.comments_on(number)], query)
        if sub == "/comments" and method == "POST":
            return self._answer(201, self._public(self._comment(number, body["body"], user)))
        if sub == "/events" and method == "GET" and not self.gitea:
            return self._page(request, self.events.get(number, []), query)
        if sub == "/timeline" and method == "GET" and self.gitea:
            timeline = [{"id": e["id"], "type": "label", "user": e["actor"], "created_at": e["created_at"],
                         "label": e["label"], "body": "1" if e["event"] == "labeled" else ""}
                        for e in self.events.get(number, [])]
            return self._page(request, timeline, query)
        if sub == "/labels" and method in ("PUT", "POST"):
            try:
                names = [self._label_name(x) for x in body.get("labels", [])]
            except (ValueError, StopIteration):
                return self._answer(422, {"message": "Validation Failed: labels"})
            before = {lb["name"] for lb in issue["labels"]}
            after = set(names) if method == "PUT" else before | set(names)
            now = stamp()
            issue["labels"] = [self._label(n) for n in sorted(after)]
            for name in sorted(after - before):
                self._event(number, "labeled", name, user, now)
            for name in sorted(before - after):
                self._event(number, "unlabeled", name, user, now)
            issue["updated_at"] = now
            return self._answer(200, issue["labels"])
        return self._answer(404, {"message": "Not Found"})

    @staticmethod
    def _public(comment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in comment.items() if not k.startswith("_")}

    def _page(self, request: httpx.Request, items: list[Any], query: dict[str, str],
              link: bool = True) -> httpx.Response:
        size = min(int(query.get("limit", 30)), 50) if self.gitea else int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * size: page * size]
        headers = {"x-total-count": str(len(items))} if self.gitea else {}
        if link and page * size < len(items):
            following = {**query, "page": str(page + 1)}
            url = request.url.copy_with(query=urlencode(following).encode())
            headers["link"] = f'<{url}>; rel="next", <{url}>; rel="last"'
        return self._answer(200, chunk, headers)
