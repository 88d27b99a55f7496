"""``cockpit export`` / ``cockpit import`` through the real entry point: byte-identical round trip, every id and
stamp kept, clear refusals with file:line."""

from __future__ import annotations

import json
from pathlib import Path

from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope
from cockpit.service.aftercare import Aftercare
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from tests.conftest import FakeClock, run_cli

FILES = ["action_items.jsonl", "decisions.jsonl", "incident.jsonl", "incident.md", "postmortem.jsonl",
         "roles.jsonl", "timeline.jsonl"]


def finished_incident(db: Path) -> str:
    """A small incident taken from declaration to resolution, with roles, a decision and an action item."""
    clock = FakeClock()
    svc = IncidentService(Store.open(db), "priya", clock=clock)
    ref = svc.open_incident("Checkout 500s | after [b]deploy[/b]", Impact.CORE_DOWN, Scope.GT25,
                            services=["checkout-api"], commander="priya").ref
    clock.advance(minutes=2)
    svc.assign_role(ref, Role.OPS, "kwame")
    svc.add_entry(ref, "pgbouncer at 160/160\n# not a heading\n| not | a table |", "note")
    from cockpit.domain.lifecycle import Phase

    for phase in (Phase.TRIAGE, Phase.RESPOND):
        clock.advance(minutes=3)
        svc.set_phase(ref, phase)
    svc.add_entry(ref, "Roll back v2.14.2", "decision")
    clock.advance(minutes=10)
    svc.set_phase(ref, Phase.MITIGATE)
    svc.set_root_cause(ref, "Missing index on orders.saved_cart_ref")
    clock.advance(minutes=20)
    svc.set_phase(ref, Phase.RESOLVE)
    Aftercare(svc).add_action("Add the index check to CI", query=ref, owner="kwame", deadline="2026-12-01")
    svc.store.close()
    return ref


def test_export_import_export_is_byte_identical(tmp_path: Path) -> None:
    source, target = tmp_path / "a.db", tmp_path / "b.db"
    ref = finished_incident(source)
    first, second = tmp_path / "first", tmp_path / "second"
    done = run_cli("export", ref, str(first), db=source)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Exported {ref} (11 entries) to ")
    assert sorted(p.name for p in first.iterdir()) == FILES
    imported = run_cli("import", str(first), db=target)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        f"Imported {ref}: 11 entries, 2 role assignments, 1 action items.",
        "13 changes queued for the tracker (looked for there first).", ref]
    again = run_cli("export", ref, str(second), db=target)
    assert again.returncode == 0, again.stderr
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # every id and stamp kept
    a = json.loads(run_cli("incident", "show", ref, "--json", db=source).stdout)
    b = json.loads(run_cli("incident", "show", ref, "--json", db=target).stdout)
    assert a == b
    # stable: one object a line, keys sorted, the timeline in its order, a newline at the end
    lines = (first / "timeline.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["hlc"] for r in records] == sorted(r["hlc"] for r in records)
    assert all(list(r) == sorted(r) for r in records)
    assert (first / "timeline.jsonl").read_bytes().endswith(b"}\n")
    decisions = [json.loads(line) for line in (first / "decisions.jsonl").read_text().splitlines()]
    assert [d["text"] for d in decisions] == ["Roll back v2.14.2", "Root cause: Missing index on orders.saved_cart_ref"]
    markdown = (first / "incident.md").read_text(encoding="utf-8")
    assert markdown.startswith(f"# {ref}: Checkout 500s \\| after [b]deploy[/b]\n")
    assert "> pgbouncer at 160/160\n> # not a heading\n> | not | a table |" in markdown
    assert "| AI-1 | prevent | P1 | kwame | 2026-12-01 | open | Add the index check to CI |" in markdown
    sections = [json.loads(line)["section"] for line in (first / "postmortem.jsonl").read_text().splitlines()]
    assert sections[:3] == ["title", "date", "severity"]


def test_import_refuses_an_incident_already_here(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ref = finished_incident(db)
    run_cli("export", ref, str(tmp_path / "out"), db=db)
    refused = run_cli("import", str(tmp_path / "out"), db=db)
    assert refused.returncode != 0
    assert refused.stderr == f"error: This cockpit already has {ref}; nothing was imported.\n"


def test_import_refuses_malformed_files_with_file_and_line(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ref = finished_incident(db)
    out = tmp_path / "out"
    run_cli("export", ref, str(out), db=db)
    target = tmp_path / "b.db"
    timeline = out / "timeline.jsonl"
    original = timeline.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)

    def refused(text: str) -> str:
        timeline.write_text(text, encoding="utf-8")
        result = run_cli("import", str(out), db=target)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        return result.stderr.strip()

    assert refused("".join(lines[:2]) + "{not json\n") == \
        f"error: {timeline}:3:2: not JSON (Expecting property name enclosed in double quotes)."
    record = json.loads(lines[1])
    assert refused(lines[0] + json.dumps({**record, "hlc": "12"}) + "\n") == \
        f"error: {timeline}:2: hlc: must be a whole number."
    assert refused(lines[0] + json.dumps({**record, "at": "yesterday"}) + "\n") == \
        f"error: {timeline}:2: at: 'yesterday' is not a time."
    del record["text"]
    assert refused(lines[0] + json.dumps(record) + "\n") == f"error: {timeline}:2: text: missing."
    assert refused("[1, 2]\n") == f"error: {timeline}:1: each line is one JSON object."
    timeline.write_text(original, encoding="utf-8")
    (out / "roles.jsonl").unlink()
    missing = run_cli("import", str(out), db=target)
    assert missing.stderr.startswith(f"error: {out / 'roles.jsonl'}: missing; an export folder holds")
    # nothing half-imported
    listed = run_cli("incident", "list", "--all", "--json", db=target)
    assert json.loads(listed.stdout) == []


def test_an_imported_incident_queues_no_local_only_entry_and_nothing_unredacted(tmp_path: Path) -> None:
    """Import queues the incident for the tracker by the same rule as typing it: a local-only entry gets no outbox
    row, and every other entry goes out redacted (once queued unredacted, local-only entries included)."""
    import sqlite3

    source, target = tmp_path / "a.db", tmp_path / "b.db"
    ref = finished_incident(source)
    assert run_cli("note", ref, "--local-only", "customer called: jo@example.com", db=source).returncode == 0
    assert run_cli("note", ref, "paged dba@example.com about 10.0.3.4", db=source).returncode == 0
    assert run_cli("export", ref, str(tmp_path / "out"), db=source).returncode == 0
    imported = run_cli("import", str(tmp_path / "out"), db=target)
    assert imported.returncode == 0, imported.stderr
    assert "14 changes queued for the tracker" in imported.stdout  # 12 shared entries + create + fields
    with sqlite3.connect(target) as db:
        payloads = "\n".join(row[0] for row in db.execute("SELECT payload FROM outbox_op"))
    assert "jo@example.com" not in payloads and "customer called" not in payloads
    assert "dba@example.com" not in payloads and "10.0.3.4" not in payloads
    assert "paged [email] about [ip]" in payloads


def test_import_refuses_json_the_parser_cannot_follow_with_file_and_line(tmp_path: Path) -> None:
    """An export file edited or made elsewhere: a line nested past the parser's depth (Python raises
    RecursionError, which printed a raw traceback) or a number of over 4,300 digits (a ValueError that is not a
    JSONDecodeError: "an unexpected problem (a bug)") is refused at its file and line, nothing imported."""
    db = tmp_path / "a.db"
    out = tmp_path / "out"
    run_cli("export", finished_incident(db), str(out), db=db)
    timeline = out / "timeline.jsonl"
    first = timeline.read_text(encoding="utf-8").splitlines(keepends=True)[0]
    target = tmp_path / "b.db"
    for line in ("[" * 100_000, '{"hlc": ' + "9" * 5000 + "}"):
        timeline.write_text(first + line + "\n", encoding="utf-8")
        result = run_cli("import", str(out), db=target)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith(f"error: {timeline}:2: not JSON that can be read ("), result.stderr
    assert json.loads(run_cli("incident", "list", "--all", "--json", db=target).stdout) == []
