"""An in-memory Jira REST API: Cloud v3 (``/rest/api/3``, Basic email:api-token, ADF bodies, ``/search/jql`` with
``nextPageToken``/``isLast``) or Data Center v2 (``/rest/api/2``, Bearer personal access token, plain-text bodies,
``/search`` with ``startAt``/``maxResults``/``total``), in the documented shapes (developer.atlassian.com: issues,
comments, issue properties, changelog, myself, project, field).

Issues: ``{"id", "key", "self", "fields": {...}, "properties": {...}}`` when ``properties=`` asks for them; create
answers ``201 {"id", "key", "self"}``, edits ``204``; errors are ``{"errorMessages": [...], "errors": {field: why}}``
(400 for an unknown project, issue type or field); a 401 for a bad login. Timestamps are Jira's
``2026-12-01T13:45:00.123+0000``. JQL: the clauses the cockpit sends (``project =``, ``labels =``,
``updated >= "-Nm"``, ``ORDER BY``); anything else is a 400, as a parse error would be. Faults: see ``fake_api``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

from cockpit.sync.jira import adf, adf_text
from tests.integration.fake_api import ScriptedApi

TEXT_LIMIT = 32767  # the most characters a text field (a comment) may hold
SEARCH_PAGE = 50  # Jira may return fewer than maxResults asks for: the adapter must page


def stamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass
class FakeJira(ScriptedApi):
    api: str = "3"
    project: str = "OPS"
    issue_types: tuple[str, ...] = ("Task", "Bug", "Incident")
    custom_fields: tuple[str, ...] = ("customfield_10042",)
    base: str = "https://acme.atlassian.net"
    # Cloud: "email:api-token" -> account; Data Center: a personal access token -> user name
    logins: dict[str, str] = field(default_factory=lambda: {
        "alice@example.com:atok-alice": "alice", "bob@example.com:atok-bob": "bob", "pat-alice": "alice",
        "pat-bob": "bob", "carol@example.com:atok-carol": "carol"})
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    histories: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    _next: int = 10000

    def _id(self) -> int:
        self._next += 1
        return self._next

    # --- what a person does in Jira's web UI --------------------------------------------------
    def comment_by_hand(self, number: int, text: str | dict[str, Any], user: str) -> dict[str, Any]:
        """A comment written in Jira's editor: text (one paragraph a line on Cloud) or an ADF document as is."""
        with self._lock:
            body: Any = adf(text.split("\n")) if self.api == "3" and isinstance(text, str) else text
            return self._comment(number, body, user)

    def set_labels_by_hand(self, number: int, labels: list[str], user: str) -> None:
        with self._lock:
            self._change(self.issues[number], {"labels": labels}, user)

    def set_field_by_hand(self, number: int, name: str, value: Any, user: str) -> None:
        with self._lock:
            self._change(self.issues[number], {name: value}, user)

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return sorted((c for c in self.comments.values() if c["_issue"] == number), key=lambda c: int(c["id"]))

    def comment_texts(self, number: int) -> list[str]:
        return [adf_text(c["body"]) if isinstance(c["body"], dict) else c["body"] for c in self.comments_on(number)]

    # --- shapes -------------------------------------------------------------------------------
    def _user(self, name: str) -> dict[str, Any]:
        if self.api == "3":
            return {"self": f"{self.base}/rest/api/3/user?accountId=acc-{name}", "accountId": f"acc-{name}",
                    "displayName": name.title(), "active": True, "accountType": "atlassian"}
        return {"self": f"{self.base}/rest/api/2/user?username={name}", "name": name, "key": f"JIRAUSER-{name}",
                "displayName": name.title(), "active": True}

    def _issue(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        number = len(self.issues) + 1
        issue_id = self._id()
        now = stamp()
        fields = dict(body["fields"])
        fields.pop("project")
        issue = {"id": str(issue_id), "key": f"{self.project}-{number}",
                 "self": f"{self.base}/rest/api/{self.api}/issue/{issue_id}",
                 "fields": {"labels": [], "priority": {"name": "Medium", "id": "3"}, **fields,
                            "issuetype": {"name": body["fields"]["issuetype"]["name"]},
                            "status": {"name": "To Do"}, "created": now, "updated": now, "reporter": self._user(user)},
                 "_properties": {p["key"]: p["value"] for p in body.get("properties") or []}}
        self.issues[number] = issue
        return issue

    def _change(self, issue: dict[str, Any], fields: dict[str, Any], user: str) -> None:
        items = []
        for name, value in fields.items():
            before = issue["fields"].get(name)
            if value == before:
                continue
            items.append({"field": name, "fieldId": name, "fieldtype": "custom" if name.startswith("customfield")
                          else "jira", "fromString": _shown(before), "toString": _shown(value)})
            issue["fields"][name] = value
        now = stamp()
        if items:
            self.histories.setdefault(self._number(issue["key"]), []).append({
                "id": str(self._id()), "author": self._user(user), "created": now, "items": items})
        issue["fields"]["updated"] = now

    def _comment(self, number: int, body: Any, user: str) -> dict[str, Any]:
        comment_id = self._id()
        now = stamp()
        comment = {"self": f"{self.base}/rest/api/{self.api}/issue/{self.issues[number]['id']}/comment/{comment_id}",
                   "id": str(comment_id), "author": self._user(user), "body": body, "updateAuthor": self._user(user),
                   "created": now, "updated": now, "jsdPublic": True, "_issue": number}
        self.comments[comment_id] = comment
        self.issues[number]["fields"]["updated"] = now
        return comment

    def _number(self, key: str) -> int:
        return int(key.rpartition("-")[2])

    def _view(self, issue: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        view = {k: v for k, v in issue.items() if not k.startswith("_")}
        wanted = [f for f in query.get("fields", "").split(",") if f]
        if wanted:
            view["fields"] = {k: v for k, v in issue["fields"].items() if k in wanted}
        if "properties" in query:
            view["properties"] = {k: v for k, v in issue["_properties"].items()
                                  if k in query["properties"].split(",")}
        if query.get("expand") == "changelog":
            histories = self.histories.get(self._number(issue["key"]), [])
            view["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                                 "histories": histories}
        return view

    # --- the server ---------------------------------------------------------------------------
    @staticmethod
    def _answer(status: int, data: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.Response(status, content=b"" if data is None else json.dumps(data).encode(),
                              headers={"content-type": "application/json;charset=UTF-8", **(headers or {})})

    @classmethod
    def _error(cls, status: int, messages: list[str], errors: dict[str, str] | None = None) -> httpx.Response:
        return cls._answer(status, {"errorMessages": messages, "errors": errors or {}})

    def user_of(self, request: httpx.Request) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic" and self.api == "3":
            try:
                return self.logins.get(base64.b64decode(value).decode())
            except ValueError:
                return None
        if scheme.lower() == "bearer" and self.api == "2" and ":" not in value:
            return self.logins.get(value)
        return None

    def unauthorised(self) -> httpx.Response:
        return self._error(401, ["You are not authenticated. Authentication required to perform this operation."])

    def refusal(self, fault: Any, request: httpx.Request) -> httpx.Response | None:
        if isinstance(fault, tuple) and fault[0] == "429":
            return self._answer(429, {"errorMessages": ["Rate limit exceeded."]},
                                {"retry-after": str(fault[1]), "x-ratelimit-limit": "100",
                                 "x-ratelimit-remaining": "0", "x-ratelimit-reset": stamp()})
        if isinstance(fault, tuple) and fault[0] == "status":
            return self._error(fault[1], [fault[2] if len(fault) > 2 else "Internal server error"])
        return None

    def route(self, request: httpx.Request, user: str) -> httpx.Response:
        prefix = f"/rest/api/{self.api}"
        path = request.url.path
        if not path.startswith(prefix + "/"):
            return self._answer(404, None)
        path = path[len(prefix):]
        method = request.method
        self.requests.append((method, path))
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        body = json.loads(request.content) if request.content else {}
        if path == "/myself":
            return self._answer(200, {**self._user(user), "emailAddress": f"{user}@example.com", "timeZone": "UTC"})
        if path == f"/project/{self.project}":
            return self._answer(200, {"id": "10000", "key": self.project, "name": "Operations", "issueTypes": [
                {"id": str(10001 + i), "name": name, "subtask": False} for i, name in enumerate(self.issue_types)]})
        if path.startswith("/project/"):
            return self._error(404, [f"No project could be found with key '{path[9:]}'."])
        if path == "/field":
            return self._answer(200, [{"id": "summary", "name": "Summary", "custom": False},
                                      *({"id": f, "name": f"Field {f}", "custom": True} for f in self.custom_fields)])
        if path == "/issue" and method == "POST":
            return self._create(body, user)
        if path == ("/search/jql" if self.api == "3" else "/search") and method == "GET":
            return self._search(query)
        match = re.fullmatch(r"/issue/([A-Z][A-Z0-9_]*-\d+)(/comment(?:/(\d+))?|/properties/([\w.-]+))?", path)
        number = self._number(match[1]) if match else 0
        if match is None or number not in self.issues or not match[1].startswith(self.project + "-"):
            return self._error(404, ["Issue does not exist or you do not have permission to see it."])
        issue = self.issues[number]
        if match[2] is None:
            if method == "GET":
                return self._answer(200, self._view(issue, query))
            if method == "PUT":
                return self._edit(issue, body, user)
        elif match[4] is not None and method == "PUT":
            existed = match[4] in issue["_properties"]
            issue["_properties"][match[4]] = body
            return self._answer(200 if existed else 201)
        elif match[3] is None and method == "GET":
            items = self.comments_on(number)
            start, size = int(query.get("startAt", 0)), min(int(query.get("maxResults", 5000)), 100)
            return self._answer(200, {"startAt": start, "maxResults": size, "total": len(items),
                                      "comments": [self._public(c) for c in items[start:start + size]]})
        elif match[3] is None and method == "POST":
            if (self.api == "3") != isinstance(body.get("body"), dict):
                return self._error(400, [], {"comment": "Comment body is not valid!"})
            text = adf_text(body["body"]) if isinstance(body["body"], dict) else str(body["body"])
            if len(text) > TEXT_LIMIT:  # jira.text.field.character.limit, 32,767 by default and on Cloud
                return self._error(400, [], {"comment": f"The entered text is too long. It exceeds the allowed "
                                                        f"limit of {TEXT_LIMIT:,} characters."})
            return self._answer(201, self._public(self._comment(number, body["body"], user)))
        elif match[3] is not None and method == "DELETE":
            comment = self.comments.get(int(match[3]))
            if comment is None or comment["_issue"] != number:
                return self._error(404, ["Can not find a comment for the id."])
            if comment["author"] != self._user(user):
                return self._error(403, ["You do not have the permission to delete this comment."])
            del self.comments[int(match[3])]
            return self._answer(204)
        return self._error(405, ["Method not allowed."])

    @staticmethod
    def _public(comment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in comment.items() if not k.startswith("_")}

    def _bad_fields(self, fields: dict[str, Any]) -> dict[str, str]:
        errors = {}
        for name in fields:
            if name.startswith("customfield_") and name not in self.custom_fields:
                errors[name] = (f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown.")
        if "description" in fields and (self.api == "3") != isinstance(fields["description"], dict):
            errors["description"] = "Operation value must be an Atlassian Document." if self.api == "3" \
                else "Operation value must be a string"
        return errors

    def _create(self, body: dict[str, Any], user: str) -> httpx.Response:
        fields = body.get("fields") or {}
        errors = self._bad_fields(fields)
        if (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "Specify a valid project ID or key"
        if (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "Specify a valid issue type"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        if errors:
            return self._error(400, [], errors)
        issue = self._issue(body, user)
        return self._answer(201, {"id": issue["id"], "key": issue["key"], "self": issue["self"]})

    def _edit(self, issue: dict[str, Any], body: dict[str, Any], user: str) -> httpx.Response:
        fields = dict(body.get("fields") or {})
        if errors := self._bad_fields(fields):
            return self._error(400, [], errors)
        for operation in (body.get("update") or {}).get("labels", []):
            labels = list(fields.get("labels", issue["fields"]["labels"]))
            if "add" in operation and operation["add"] not in labels:
                labels.append(operation["add"])
            if "remove" in operation:
                labels = [x for x in labels if x != operation["remove"]]
            fields["labels"] = labels
        self._change(issue, fields, user)
        return self._answer(204)

    def _search(self, query: dict[str, str]) -> httpx.Response:
        jql, _, order = query.get("jql", "").partition(" ORDER BY ")
        items = list(self.issues.values())
        for clause in jql.split(" AND "):
            if match := re.fullmatch(r'(project|labels) = "([^"]*)"', clause.strip()):
                if match[1] == "project":
                    if match[2] != self.project:
                        return self._error(400, [f"The value '{match[2]}' does not exist for the field 'project'."])
                    continue
                items = [i for i in items if match[2] in i["fields"]["labels"]]
            elif match := re.fullmatch(r'updated >= "-(\d+)m"', clause.strip()):
                cutoff = stamp(datetime.now(UTC) - timedelta(minutes=int(match[1])))
                items = [i for i in items if i["fields"]["updated"] >= cutoff]
            else:
                return self._error(400, [f"Error in the JQL Query: the clause '{clause}' is not understood here."])
        if order.strip() == "updated ASC":
            items.sort(key=lambda i: (i["fields"]["updated"], int(i["id"])))
        size = min(int(query.get("maxResults", 50)), SEARCH_PAGE)
        if self.api == "3":
            start = int(query.get("nextPageToken", "tok-0")[4:])
            chunk = [self._view(i, query) for i in items[start:start + size]]
            last = start + size >= len(items)
            return self._answer(200, {"issues": chunk, "isLast": last,
                                      **({} if last else {"nextPageToken": f"tok-{start + size}"})})
        start = int(query.get("startAt", 0))
        return self._answer(200, {"startAt": start, "maxResults": size, "total": len(items),
                                  "issues": [self._view(i, query) for i in items[start:start + size]]})


def _shown(value: Any) -> str | None:
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, dict):
        return str(value.get("value") or value.get("name") or "")
    return None if value is None else str(value)


