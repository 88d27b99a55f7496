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
