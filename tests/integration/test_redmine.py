"""The Redmine adapter against a real Redmine (Debian's package, started once per session on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope, Severity
from cockpit.sync.adapter import AuthFailed, Misconfigured
from cockpit.sync.entry_text import ENTRY_MARKER
from cockpit.sync.marked import incident_marker
from cockpit.sync.redmine import RedmineAdapter
from tests.conftest import run_cli
from tests.integration.cockpits import REDMINE_OPTIONS, redmine_cockpit
from tests.integration.redmine_server import PROJECT, RedmineServer


def issue_of(server: RedmineServer, issue_id: str) -> dict[str, object]:
    with server.client() as client:
        return dict(client.get(f"issues/{issue_id}.json", params={"include": "journals"}).json()["issue"])


def test_an_incident_its_entries_and_fields_land_in_redmine(redmine: RedmineServer, tmp_path: Path) -> None:
    priya = redmine_cockpit(tmp_path, redmine)
    ref = priya.svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.LT25, commander="priya").ref  # SEV2
    priya.svc.add_entry(ref, "pgbouncer at 160/160", "note")
    priya.svc.set_phase(ref, Phase.TRIAGE)
    report = priya.relay.run_once()
    assert report.errors == [] and report.pushed >= 5
    detail = priya.svc.get(ref)
    remote = priya.relay.adapter.find_incident(detail.snapshot.id)
    assert remote is not None
    issue = issue_of(redmine, remote)
    assert issue["subject"] == "Checkout 500s" and issue["tracker"] == {"id": redmine.tracker_id, "name": "Incident"}
    fields = {f["name"]: f["value"] for f in issue["custom_fields"]}  # type: ignore[attr-defined]
    assert fields == {"Severity": "SEV2", "Phase": "TRIAGE"}
    marker = incident_marker(str(issue["description"]))
    assert marker["id"] == detail.snapshot.id and marker["ref"] == ref and marker["roles"] == "ic: priya"
    notes = [str(j["notes"]) for j in issue["journals"] if j["notes"]]  # type: ignore[attr-defined]
    carried = [match["id"] for note in notes if (match := ENTRY_MARKER.match(note))]
    assert sorted(carried) == sorted(e.id for e in detail.timeline)  # every entry once, as a note with its marker
    assert any("pgbouncer at 160/160" in note for note in notes)
    with redmine.client() as client:  # CommonMark hides the markers on the issue's page
        page = client.get(f"issues/{remote}").text
    assert "cockpit-entry" not in page and "pgbouncer at 160/160" in page
    assert priya.relay.run_once().pushed == 0  # nothing sent twice


def test_notes_and_field_changes_made_in_redmine_are_pulled(redmine: RedmineServer, tmp_path: Path) -> None:
    priya = redmine_cockpit(tmp_path, redmine)
    ref = priya.svc.open_incident("Search slow", Impact.DEGRADED, Scope.LT25).ref
    priya.relay.run_once()
    remote = priya.relay.adapter.find_incident(priya.svc.get(ref).snapshot.id)
    hostile = "[bold red]not markup[/] \x1b[2J from the web"
    with redmine.client("bob") as client:  # bob works in Redmine's web UI: a note, then SEV1
        assert client.put(f"issues/{remote}.json", json={"issue": {"notes": hostile}}).status_code == 204
        assert client.put(f"issues/{remote}.json", json={"issue": {"custom_fields": [
            {"id": redmine.severity_field, "value": "SEV1"}]}}).status_code == 204
    pulled = priya.relay.run_once()
    assert pulled.errors == [] and pulled.pulled == 1
    detail = priya.svc.get(ref)
    entry = detail.timeline[-1]
    assert entry.text == hostile and entry.author == "Bob Tester" and entry.kind == "note"
    assert detail.snapshot.severity is Severity.SEV1
    assert priya.relay.run_once().pulled == 0  # a re-pull changes nothing
    shown = run_cli("incident", "show", ref, db=priya.db, env=priya.env).stdout
    assert "[bold red]not markup[/]" in shown and "\x1b" not in shown


def test_without_custom_fields_severity_and_phase_travel_in_the_hidden_block(redmine: RedmineServer,
                                                                             tmp_path: Path) -> None:
    plain = {"tracker": "Bug"}
    priya = redmine_cockpit(tmp_path, redmine, options=plain)
    ref = priya.svc.open_incident("Disk full", Impact.CORE_DOWN, Scope.ALL).ref
    priya.svc.set_phase(ref, Phase.TRIAGE)
    assert priya.relay.run_once().errors == []
    marcus = redmine_cockpit(tmp_path, redmine, "marcus", "bob", options=plain)
    marcus.relay.adapter.page_size = 1  # type: ignore[attr-defined]  # every issue on its own page
    assert marcus.relay.run_once().errors == []
    theirs = marcus.svc.get(ref).snapshot
    assert (theirs.title, theirs.severity, theirs.phase) == ("Disk full", priya.svc.get(ref).snapshot.severity,
                                                             Phase.TRIAGE)
    remote = marcus.relay.adapter.find_incident(theirs.id)
    issue = issue_of(redmine, str(remote))
    assert issue["tracker"]["name"] == "Bug"  # type: ignore[index]
    assert incident_marker(str(issue["description"]))["phase"] == "TRIAGE"


def test_a_create_that_landed_twice_is_read_as_one_incident(redmine: RedmineServer, tmp_path: Path) -> None:
    priya = redmine_cockpit(tmp_path, redmine)
    ref = priya.svc.open_incident("Twice", Impact.DEGRADED, Scope.LT25).ref
    priya.relay.run_once()
    adapter = priya.relay.adapter
    incident = priya.svc.get(ref).snapshot
    first = adapter.find_incident(incident.id)
    twin = adapter.create_incident({"id": incident.id, "ref": ref, "title": "Twice", "severity": "SEV3"}, None)
    adapter.add_entry(twin, {"id": "0" * 8 + "-0000-4000-8000-" + "0" * 12, "kind": "note", "author": "priya",
                             "at": "2026-12-01T10:00:00Z", "text": "written on the twin"}, None)
    assert first is not None and int(twin) > int(first) and adapter.find_incident(incident.id) == first
    marcus = redmine_cockpit(tmp_path, redmine, "marcus", "bob")
    assert marcus.relay.run_once().errors == []
    texts = [e.text for e in marcus.svc.get(ref).timeline]
    assert "written on the twin" in texts and len(texts) == len(set(e.id for e in marcus.svc.get(ref).timeline))
    # priya, who pulled before the twin appeared, reads it as the same incident and keeps writing to the first
    assert priya.relay.run_once().errors == []
    assert "written on the twin" in [e.text for e in priya.svc.get(ref).timeline]
    priya.svc.add_entry(ref, "after the twin")
    assert priya.relay.run_once().pushed == 1
    assert any("after the twin" in str(j["notes"]) for j in redmine.journals(first))
    assert not any("after the twin" in str(j["notes"]) for j in redmine.journals(twin))


@pytest.mark.parametrize(("url_tail", "project", "options", "error", "words"), [
    ("", "nope", REDMINE_OPTIONS, Misconfigured, "no project 'nope'"),
    ("", PROJECT, {"tracker": "Outage"}, Misconfigured, "has no tracker 'Outage' (it has: Bug, Incident)"),
    ("", PROJECT, {"severity_field": "Sev"}, Misconfigured, "has no custom field 'Sev' (it has: Severity, Phase)"),
    ("not-redmine/", PROJECT, {}, Misconfigured, "did not answer like a Redmine"),
])
def test_bad_settings_are_one_clear_sentence(redmine: RedmineServer, url_tail: str, project: str,
                                             options: dict[str, str], error: type[Exception], words: str) -> None:
    adapter = RedmineAdapter("rm", redmine.url + url_tail, project, redmine.keys["alice"], options)
    with pytest.raises(error) as raised:
        adapter.check()
    adapter.close()
    message = str(raised.value)
    assert words in message and "\n" not in message and redmine.keys["alice"] not in message


def test_a_wrong_key_is_refused_and_never_printed_and_nothing_is_lost(redmine: RedmineServer, tmp_path: Path) -> None:
    wrong = "0123456789abcdef0123456789abcdef01234567"
    adapter = RedmineAdapter("rm", redmine.url, PROJECT, wrong)
    with pytest.raises(AuthFailed, match="refused the API key"):
        adapter.check()
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "COCKPIT_TRACKER_TOKEN_RM": wrong}
    db = tmp_path / "c.db"
    added = run_cli("tracker", "add", "rm", "--kind", "redmine", "--url", redmine.url, "--project", PROJECT,
                    "--option", "tracker=Incident", env=env, db=db)
    assert added.returncode == 0, added.stderr
    run_cli("incident", "open", "x", "--impact", "cosmetic", "--scope", "all", env=env, db=db)
    bad = run_cli("sync", "--once", env=env, db=db)
    assert bad.returncode == 7 and "refused the API key (401)" in bad.stdout and "Traceback" not in bad.stderr
    assert wrong not in bad.stdout + bad.stderr
    status = json.loads(run_cli("sync", "status", "--json", env=env, db=db).stdout)
    assert status[0]["summary"] == "login needed" and status[0]["queued"] == 2  # nothing lost
    good = {**env, "COCKPIT_TRACKER_TOKEN_RM": redmine.keys["alice"]}
    once = run_cli("sync", "--once", env=good, db=db)
    assert once.returncode == 0 and "pushed 2" in once.stdout, once.stdout + once.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert redmine.keys["alice"].encode() not in path.read_bytes(), path


def test_login_checks_the_key_and_the_settings_first(redmine: RedmineServer, tmp_path: Path) -> None:
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "XDG_DATA_HOME": str(tmp_path / "keyring-home"),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    db = tmp_path / "c.db"
    login = ("tracker", "login", "rm", "--allow-plaintext-keyring")
    assert run_cli("tracker", "add", "rm", "--kind", "redmine", "--url", redmine.url, "--project", PROJECT,
                   "--option", "tracker=Outage", env=env, db=db).returncode == 0
    refused = run_cli(*login, env=env, db=db, input_text="0123456789abcdef0123456789abcdef01234567\n")
    assert refused.returncode == 7 and "refused that secret" in refused.stderr and "Traceback" not in refused.stderr
    saved = run_cli(*login, env=env, db=db, input_text=redmine.keys["bob"] + "\n")
    assert saved.returncode == 0 and "has no tracker 'Outage' (it has: Bug, Incident)" in saved.stderr, saved.stderr
    assert redmine.keys["bob"] not in saved.stdout + saved.stderr
