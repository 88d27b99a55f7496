"""The trackers without an idempotency key (GitHub, GitLab, Jira Cloud, Jira Data Center) behind one test harness,
so each adapter test runs against every kind: how to build the in-memory API and an adapter on it, what a person
does in the tracker's web UI, and where the adapter writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from cockpit.sync.adapter import TrackerAdapter
from cockpit.sync.github import GitHubAdapter
from cockpit.sync.gitlab import GitLabAdapter
from cockpit.sync.jira import JiraAdapter
from tests.integration.fake_api import ScriptedApi
from tests.integration.fake_github import FakeGitHub
from tests.integration.fake_gitlab import FakeGitLab
from tests.integration.fake_jira import FakeJira


@dataclass
class Kind:
    name: str
    make: Callable[[], ScriptedApi]
    secrets: dict[str, str]  # person -> the secret their cockpit logs in with
    tick: float = 0.01  # how far apart two changes must be for the tracker to order them (GitHub: whole seconds)

    def adapter(self, server: ScriptedApi, who: str = "alice", settle: float = 0.0, secret: str | None = None,
                url: str | None = None, transport: httpx.BaseTransport | None = None, real_http: bool = False,
                name: str = "t", **options: Any) -> TrackerAdapter:
        """An adapter on the in-memory API (through its MockTransport, or over real HTTP: ``real_http``, when
        the API is served on 127.0.0.1)."""
        secret = self.secrets.get(who, "wrong") if secret is None else secret
        transport = None if real_http else transport or server.transport()
        adapter: TrackerAdapter
        if isinstance(server, FakeGitHub):
            project = options.pop("project", f"{server.owner}/{server.repo}")
            adapter = GitHubAdapter(name, url or server.base, project, secret, transport=transport, write_interval=0)
        elif isinstance(server, FakeGitLab):
            adapter = GitLabAdapter(name, url or server.base, options.pop("project", server.project), secret,
                                    transport=transport, **options)
        else:
            assert isinstance(server, FakeJira)
            adapter = JiraAdapter(name, url or server.base, options.pop("project", server.project), secret,
                                  transport=transport, api=server.api, **options)
        adapter.settle_seconds = settle
        return adapter

    # --- the tracker's state, and its web UI -----------------------------------------------------
    @staticmethod
    def issues(server: ScriptedApi) -> list[dict[str, Any]]:
        """Every issue, in order of creation."""
        return [server.issues[n] for n in sorted(server.issues)]  # type: ignore[attr-defined]

    @staticmethod
    def labels(server: ScriptedApi, number: int) -> set[str]:
        issue = server.issues[number]  # type: ignore[attr-defined]
        if isinstance(server, FakeGitHub):
            return {label["name"] for label in issue["labels"]}
        return set(issue["labels"] if isinstance(server, FakeGitLab) else issue["fields"]["labels"])

    @staticmethod
    def comments(server: ScriptedApi, number: int) -> list[str]:
        """The comment texts on an issue, as the web UI shows them (without system notes)."""
        if isinstance(server, FakeGitHub):
            return [c["body"] for c in server.comments_on(number)]
        if isinstance(server, FakeGitLab):
            return [n["body"] for n in server.notes_on(number)]
        assert isinstance(server, FakeJira)
        return server.comment_texts(number)

    @staticmethod
    def comment_by_hand(server: ScriptedApi, number: int, text: str, user: str) -> None:
        if isinstance(server, FakeGitHub):
            server.comment_by_hand(number, text, user)
        elif isinstance(server, FakeGitLab):
            server.note_by_hand(number, text, user)
        else:
            assert isinstance(server, FakeJira)
            server.comment_by_hand(number, text, user)

    @staticmethod
    def set_labels_by_hand(server: ScriptedApi, number: int, labels: list[str], user: str) -> None:
        """Replace the cockpit-managed labels, keeping the incident's own (``cockpit``, ``cockpit-<uuid>``)."""
        keep = [x for x in Kind.labels(server, number) if x.startswith("cockpit")]
        if isinstance(server, FakeGitHub | FakeGitLab):
            server.set_labels_by_hand(number, keep + labels, user)
        else:
            assert isinstance(server, FakeJira)
            server.set_labels_by_hand(number, keep + labels, user)

    @staticmethod
    def closed_or_marked(server: ScriptedApi, number: int) -> bool:
        """Swept as a duplicate: GitHub and GitLab close it; Jira (whose workflows differ) labels it."""
        issue = server.issues[number]  # type: ignore[attr-defined]
        if isinstance(server, FakeGitHub):
            return issue["state"] == "closed" and "cockpit:duplicate" in Kind.labels(server, number)
        if isinstance(server, FakeGitLab):
            return issue["state"] == "closed" and "cockpit-duplicate" in issue["labels"]
        return "cockpit-duplicate" in issue["fields"]["labels"]

    @staticmethod
    def create_path(server: ScriptedApi) -> str:
        if isinstance(server, FakeGitHub):
            return f"{server.repo_path}/issues"
        if isinstance(server, FakeGitLab):
            return f"{httpx.URL(server.base).path}/projects/{server.project}/issues"
        assert isinstance(server, FakeJira)
        return f"/rest/api/{server.api}/issue"

    @staticmethod
    def comment_path(server: ScriptedApi, number: int) -> str:
        issues = Kind.create_path(server)
        if isinstance(server, FakeJira):
            return f"{issues}/{server.project}-{number}/comment"
        return f"{issues}/{number}/{'notes' if isinstance(server, FakeGitLab) else 'comments'}"


KINDS = {
    "github": Kind("github", FakeGitHub, {"alice": "tok-alice", "bob": "tok-bob", "carol": "tok-carol"}, tick=1.1),
    "gitlab": Kind("gitlab", FakeGitLab, {"alice": "glpat-alice", "bob": "glpat-bob", "carol": "glpat-carol"}),
    "jira-cloud": Kind("jira-cloud", lambda: FakeJira(api="3"),
                       {"alice": "alice@example.com:atok-alice", "bob": "bob@example.com:atok-bob"}),
    "jira-dc": Kind("jira-dc", lambda: FakeJira(api="2", base="https://jira.example.com"),
                    {"alice": "pat-alice", "bob": "pat-bob"}),
}
