"""What only Jira has: ADF bodies edited in Jira's editor, severity in the priority or a custom field, the issue
type and project the settings name, and the API version chosen by the address."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope, Severity
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger
from cockpit.store.db import Store
from cockpit.sync.adapter import Misconfigured, Permanent
from cockpit.sync.jira import JiraAdapter, adf, adf_text
from cockpit.sync.marked import split_entry_id
from cockpit.sync.relay import Relay
from tests.integration.fake_jira import FakeJira

ENTRY = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000"


def relay_for(tmp_path: Path, name: str, server: FakeJira, secret: str, **options: str) -> tuple[IncidentService,
                                                                                                   Relay]:
    svc = IncidentService(Store.open(tmp_path / f"{name}.db"), name)
    adapter = JiraAdapter("jira", server.base, server.project, secret, transport=server.transport(), api=server.api,
                          **options)
    adapter.settle_seconds = 0
    return svc, Relay(svc, adapter)


def test_an_adf_entry_id_survives_being_moved_and_rewrapped_in_jiras_editor() -> None:
    body = adf(["[note] priya · 2026-12-01T10:00:00Z", "", "pgbouncer at 160/160", "second line"],
               f"cockpit-entry:{ENTRY}")
    assert split_entry_id(adf_text(body)) == (ENTRY, "[note] priya · 2026-12-01T10:00:00Z\n\npgbouncer at 160/160\n"
                                                     "second line")
    edited = copy.deepcopy(body)
    marker = edited["content"].pop()
    marker["content"][0]["marks"] = [{"type": "strong"}]  # someone made it bold and moved it to the top
    edited["content"].insert(0, marker)
    edited["content"][3] = {"type": "panel", "attrs": {"panelType": "info"}, "content": [edited["content"][3]]}
    entry_id, text = split_entry_id(adf_text(edited))
    assert entry_id == ENTRY and text == "[note] priya · 2026-12-01T10:00:00Z\n\npgbouncer at 160/160\nsecond line"
    # the id typed into the middle of a line: found, and only it is taken out
    assert split_entry_id(f"see cockpit-entry:{ENTRY} here") == (ENTRY, "see  here")
    assert split_entry_id(f"text\n{{color:#97a0af}}cockpit-entry:{ENTRY}{{color}}") == (ENTRY, "text")


@pytest.mark.parametrize("api", ["3", "2"])
def test_an_entry_edited_in_jira_keeps_its_id_and_arrives_once(api: str, tmp_path: Path) -> None:
    server = FakeJira(api=api, base="https://acme.atlassian.net" if api == "3" else "https://jira.example.com")
    secret = "alice@example.com:atok-alice" if api == "3" else "pat-alice"
    svc, relay = relay_for(tmp_path, "priya", server, secret)
    ref = svc.open_incident("Edited in Jira", Impact.DEGRADED, Scope.LT25).ref
    entry = svc.add_entry(ref, "the original words", "note")
    assert relay.run_once().errors == []
    [comment] = [c for c in server.comments_on(1) if "original" in str(c["body"])]
    if api == "3":
        comment["body"]["content"].insert(0, comment["body"]["content"].pop())  # the id moved to the top
    else:
        comment["body"] = comment["body"].replace("\n{color", " (edited)\n{color")
    other_svc, other = relay_for(tmp_path, "marcus", server, "bob@example.com:atok-bob" if api == "3" else "pat-bob")
    assert other.run_once().errors == []
    [arrived] = [e for e in other_svc.get(ref).timeline if "original" in e.text]
    assert arrived.id == entry.id and arrived.author == "priya"
    assert relay.run_once().errors == [] and len([e for e in svc.get(ref).timeline if "original" in e.text]) == 1


def test_severity_in_the_priority_and_phase_in_a_custom_field(tmp_path: Path) -> None:
    server = FakeJira()
    options = {"severity": "priority", "phase": "customfield_10042"}
    svc, relay = relay_for(tmp_path, "priya", server, "alice@example.com:atok-alice", **options)
    ref = svc.open_incident("Priority mapped", Impact.CORE_DOWN, Scope.LT25).ref  # SEV2, DETECT
    assert relay.run_once().errors == []
    fields = server.issues[1]["fields"]
    assert fields["priority"] == {"name": "High"} and fields["customfield_10042"] == {"value": "DETECT"}
    assert "SEV2" not in fields["labels"] and f"cockpit-{svc.get(ref).snapshot.id}" in fields["labels"]
    svc.set_phase(ref, Phase.TRIAGE)
    relay.run_once()
    assert server.issues[1]["fields"]["customfield_10042"] == {"value": "TRIAGE"}
    svc.override_severity(ref, Severity.SEV3, "one region")  # queued; meanwhile carol raises the priority
    server.set_field_by_hand(1, "priority", {"name": "Highest"}, user="carol")
    assert relay.run_once().errors == []
    assert svc.get(ref).snapshot.severity is Severity.SEV1
    [conflict] = Merger(svc, "jira").conflicts()
    assert "Carol set SEV1" in conflict.sentence


def test_settings_jira_does_not_know_are_named_and_nothing_is_lost(tmp_path: Path) -> None:
    server = FakeJira(issue_types=("Task", "Bug"))
    svc, relay = relay_for(tmp_path, "priya", server, "alice@example.com:atok-alice")
    with pytest.raises(Misconfigured, match=r"project OPS has no issue type 'Incident' \(its types: Task, Bug\)"):
        relay.adapter.check()
    svc.open_incident("Unknown type", Impact.DEGRADED, Scope.LT25)
    report = relay.run_once()
    assert report.dead == 0 and "Jira refused the settings" in report.errors[0] and "issuetype" in report.errors[0]
    fixed = JiraAdapter("jira", server.base, "OPS", "alice@example.com:atok-alice", transport=server.transport(),
                        issue_type="Task", severity="customfield_10099")
    with pytest.raises(Misconfigured, match="Jira has no field customfield_10099"):
        fixed.check()
    relay.adapter = JiraAdapter("jira", server.base, "OPS", "alice@example.com:atok-alice",
                                transport=server.transport(), issue_type="Task")
    relay.adapter.settle_seconds = 0  # the refused create was not applied: no earlier attempt to wait for
    assert relay.run_once().errors == [] and len(server.issues) == 1  # the queued change went out once fixed
    for bad, words in (("ops", "not a Jira project key"), ("", "not a Jira project key")):
        with pytest.raises(Permanent, match=words):
            JiraAdapter("jira", server.base, bad, "x")
    with pytest.raises(Permanent, match="severity must be labels or priority or a custom field id"):
        JiraAdapter("jira", server.base, "OPS", "x", severity="colour")


def test_the_api_version_follows_the_address_unless_told() -> None:
    assert JiraAdapter("j", "https://acme.atlassian.net", "OPS", "a@b:c").api == "3"
    assert JiraAdapter("j", "https://jira.example.com/", "OPS", "pat").api == "2"
    assert JiraAdapter("j", "https://jira.example.com/", "OPS", "pat", api="3").api == "3"


def test_data_center_comments_escape_brackets_and_read_back_exactly(tmp_path: Path) -> None:
    server = FakeJira(api="2", base="https://jira.example.com")
    svc, relay = relay_for(tmp_path, "priya", server, "pat-alice")
    ref = svc.open_incident("Brackets", Impact.DEGRADED, Scope.LT25).ref
    text = "[bold]not markup[/] \\[already escaped\\] ends in a backslash \\"
    entry = svc.add_entry(ref, text, "note")
    assert relay.run_once().errors == []
    [body] = [c["body"] for c in server.comments_on(1) if "not markup" in c["body"]]
    assert body.startswith("\\[note\\] priya") and "[note]" not in body.replace("\\[note\\]", "")
    other_svc, other = relay_for(tmp_path, "marcus", server, "pat-bob")
    assert other.run_once().errors == []
    [arrived] = [e for e in other_svc.get(ref).timeline if e.id == entry.id]
    assert arrived.text == text and arrived.kind == "note"
    server.comment_by_hand(1, "typed \\[by hand\\]", "carol")  # a person's own escapes are left as typed
    other.run_once()
    assert any(e.text == "typed \\[by hand\\]" for e in other_svc.get(ref).timeline)


def test_a_reply_that_quotes_the_cockpits_comment_is_a_note_of_its_own(tmp_path: Path) -> None:
    server = FakeJira()
    svc, relay = relay_for(tmp_path, "priya", server, "alice@example.com:atok-alice")
    ref = svc.open_incident("Quoted", Impact.DEGRADED, Scope.LT25).ref
    entry = svc.add_entry(ref, "rolled back v2.14.2", "action")
    assert relay.run_once().errors == []
    [ours] = [c for c in server.comments_on(1) if "rolled back" in adf_text(c["body"])]
    quote = {"type": "blockquote", "content": [ours["body"]["content"][-2], ours["body"]["content"][-1]]}
    reply = adf(["Did that help?"])
    reply["content"].insert(0, quote)  # Jira's editor copies the small id text along with the quote
    server.comment_by_hand(1, reply, "carol")
    assert relay.run_once().errors == []
    timeline = svc.get(ref).timeline
    assert [e.id for e in timeline].count(entry.id) == 1
    [theirs] = [e for e in timeline if "Did that help?" in e.text]
    assert theirs.author == "Carol" and theirs.kind == "note" and "rolled back v2.14.2" in theirs.text
    assert len(server.comments_on(1)) == 3  # nothing was deleted as a duplicate


def test_a_comment_past_jiras_size_limit_is_listed_as_failed_and_the_rest_goes_on(tmp_path: Path) -> None:
    server = FakeJira()
    svc, relay = relay_for(tmp_path, "priya", server, "alice@example.com:atok-alice")
    ref = svc.open_incident("Big log", Impact.DEGRADED, Scope.LT25).ref
    svc.add_entry(ref, "x" * 40_000, "note")
    report = relay.run_once()
    assert report.dead == 1 and "too long" in report.errors[0] and "32,767" in report.errors[0]
    other = IncidentService(Store.open(tmp_path / "other.db"), "lena")
    ref2 = other.open_incident("Next incident", Impact.DEGRADED, Scope.LT25).ref
    other.add_entry(ref2, "small note")
    assert Relay(other, relay.adapter).run_once().errors == []  # the tracker is not paused for it
