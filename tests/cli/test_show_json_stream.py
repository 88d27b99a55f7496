"""``incident show --json`` is written piece by piece (issue #19): the text is exactly the one document
``emit_json`` would print, escapes, late entries and ``--tail`` included."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cockpit.cli import incidents as cli_incidents
from cockpit.cli.common import emit_json
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from tests.conftest import run_cli


def _whole(detail: object, tail: int | None) -> str:
    data = cli_incidents._show_json(detail)  # type: ignore[arg-type]
    if tail is not None:
        data["timeline"] = data["timeline"][-tail:] if tail else []
    runner = CliRunner()
    with runner.isolation() as (out, _err, _in):
        emit_json(data)
        return out.getvalue().decode()


def _streamed(detail: object, tail: int | None) -> str:
    timeline = detail.timeline  # type: ignore[attr-defined]
    runner = CliRunner()
    with runner.isolation() as (out, _err, _in):
        cli_incidents._stream_show_json(detail, timeline if tail is None else timeline[-tail:] if tail else [])  # type: ignore[arg-type]
        return out.getvalue().decode()


@pytest.mark.parametrize("tail", [None, 0, 1, 3])
def test_the_streamed_document_is_the_whole_document(svc: IncidentService, db_path: Path, tail: int | None) -> None:
    snap = svc.open_incident("Checkout «500s»", Impact.DEGRADED, Scope.LT25, commander="priya")
    svc.add_entry(snap.ref, 'quotes " and \\ backslash, é, 日本, emoji 🔥, bidi \u202e, tab\there')
    svc.add_entry(snap.ref, "an escape \x1b[31m red \x1b[0m and a bell \x07")
    svc.add_entry(snap.ref, "kept here: jo@example.com", local_only=True)  # local facts travel in the document
    svc.add_entry(snap.ref, "paged dba@example.com and ops@example.com from 10.0.0.1")
    from cockpit.domain.evidence import EvidenceReader

    reader = EvidenceReader()
    reader.feed(b"line one\nline two\n")
    svc.add_evidence(snap.ref, reader.finish("stdin"))
    raw = sqlite3.connect(db_path)  # an entry that arrived late, as sync writes it
    raw.execute("INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin, "
                "arrived_late_at) VALUES ('late', ?, 1, '2026-11-18T13:59:00.000000Z', 'note', 'bob', 'late one', "
                "'{}', 'remote', '2026-11-18T14:00:00.500000Z')", (snap.id,))
    raw.commit()
    raw.close()
    detail = svc.get(snap.ref)
    streamed = _streamed(detail, tail)
    assert streamed == _whole(detail, tail)
    assert len(json.loads(streamed)["timeline"]) == (len(detail.timeline) if tail is None else tail)


def test_many_entries_are_written_in_chunks_and_read_back_in_order(svc: IncidentService, db_path: Path) -> None:
    snap = svc.open_incident("Long", Impact.DEGRADED, Scope.LT25)
    newest = svc.get(snap.ref).timeline[-1].hlc
    raw = sqlite3.connect(db_path)
    raw.executemany("INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin) "
                    "VALUES (?, ?, ?, '2026-11-18T14:00:00.000000Z', 'note', 'a', ?, '{}', 'local')",
                    [(f"e{i:05d}", snap.id, newest + 1 + i, f"n{i}") for i in range(4500)])
    raw.commit()
    raw.close()
    detail = svc.get(snap.ref)
    assert _streamed(detail, None) == _whole(detail, None)
    shown = run_cli("incident", "show", snap.ref, "--json", db=db_path)
    assert shown.returncode == 0
    texts = [e["text"] for e in json.loads(shown.stdout)["timeline"]]
    assert texts[0].startswith("Incident declared") and texts[1:] == [f"n{i}" for i in range(4500)]


@pytest.mark.parametrize("tail", [None, 0, 2, 50])
def test_the_store_rows_write_the_whole_document(svc: IncidentService, db_path: Path, tail: int | None) -> None:
    """``show --json`` writes the store's rows (no ``Entry`` built): the same text, local facts, escapes, a late
    entry, an entry whose data another cockpit wrote oddly, and ``--tail`` included."""
    snap = svc.open_incident("Checkout «500s»", Impact.DEGRADED, Scope.LT25, commander="priya")
    svc.add_entry(snap.ref, "an escape \x1b[31m red \x1b[0m, bidi \u202e, DEL \x7f, C1 \x85, é 日本 🔥")
    svc.add_entry(snap.ref, "kept here: jo@example.com", local_only=True)
    svc.add_entry(snap.ref, "paged dba@example.com and ops@example.com from 10.0.0.1")
    from cockpit.domain.evidence import EvidenceReader

    reader = EvidenceReader()
    reader.feed(b"line one\nline two\n")
    svc.add_evidence(snap.ref, reader.finish("stdin"))
    raw = sqlite3.connect(db_path)
    raw.executemany("INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin, "
                    "arrived_late_at) VALUES (?, ?, ?, ?, 'note', 'bob', ?, ?, 'remote', ?)", [
                        ("late", snap.id, 1, "2026-11-18T13:59:00.000000Z", "late one", "{}",
                         "2026-11-18T14:00:00.500000Z"),
                        ("odd", snap.id, 2, "2026-11-18T13:59:30.250000Z", "odd data",
                         '{"local_only": 1, "redacted": [1], "sha256": 7}', None),
                        ("list", snap.id, 3, "2026-11-18T13:59:40.000000Z", "a list", "[1, 2]", None)])
    raw.commit()
    raw.close()
    detail = svc.get(snap.ref)
    runner = CliRunner()
    with runner.isolation() as (out, _err, _in), svc.streamed(snap.ref, tail) as (head, rows):
        cli_incidents._stream_rows(head, rows)
        streamed = out.getvalue().decode()
    assert streamed == _whole(detail, tail)
    shown = json.loads(streamed)["timeline"]
    expected = detail.timeline if tail is None else detail.timeline[-tail:] if tail else []
    assert [e["id"] for e in shown] == [e.id for e in expected]
    if tail is None:  # ordered by stamp: the late entry and the odd ones first; odd data read as the TUI reads it
        assert [(e["id"], e.get("local_only"), e.get("redacted"), e.get("sha256")) for e in shown[:3]] == \
            [("late", None, None, None), ("odd", True, None, None), ("list", None, None, None)]
        assert shown[0]["arrived_late_at"] == "2026-11-18T14:00:00.500000Z" and shown[0]["at"] == "2026-11-18T13:59:00Z"


@pytest.mark.parametrize("stored", ["2026-11-18T13:59:00.000000Z", "2026-11-18T13:59:00.500000Z",
                                    "2026-11-18T13:59:00.000001Z", "2026-11-18T13:59:00Z",
                                    "2026-11-18T14:59:00.250000+01:00", "0999-01-02T03:04:05.000000Z"])
def test_a_stored_time_is_written_as_iso_writes_it(stored: str) -> None:
    from cockpit.cli.common import iso, iso_stored
    from cockpit.store.schema import from_db_time

    assert iso_stored(stored) == iso(from_db_time(stored))
