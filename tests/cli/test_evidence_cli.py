"""``cockpit note REF -`` / ``--file`` (evidence), ``--local-only`` and the config's redaction patterns."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from cockpit.domain.evidence import MAX_EVIDENCE_BYTES
from tests.conftest import run_cli


def opened(db: Path) -> str:
    result = run_cli("incident", "open", "Pods crash-looping", "--impact", "degraded", "--scope", "lt25", db=db)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def queued(db: Path) -> int:
    with sqlite3.connect(db) as raw:
        return int(raw.execute("SELECT count(*) FROM outbox_op").fetchone()[0])


def timeline(db: Path, ref: str) -> list[dict[str, object]]:
    return json.loads(run_cli("incident", "show", ref, "--json", db=db).stdout)["timeline"]


def test_piped_text_becomes_an_evidence_entry_with_its_hash_and_without_colour(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = opened(db)
    piped = "\x1b[1mNAME\x1b[0m     READY\n\x1b[31mapi-1\x1b[0m    0/1\r\nweb-1    1/1\n"
    result = run_cli("note", ref, "-", db=db, input_text=piped)
    digest = hashlib.sha256(piped.encode()).hexdigest()
    assert result.returncode == 0, result.stderr
    assert "Added evidence at" in result.stdout and f"sha256 {digest}" in result.stdout
    entry = timeline(db, ref)[-1]
    assert entry["kind"] == "evidence" and entry["sha256"] == digest
    assert entry["text"] == "NAME     READY\napi-1    0/1\nweb-1    1/1"


def test_a_file_longer_than_the_cap_is_cut_at_a_line_end_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = opened(db)
    line = "x" * 99 + "\n"  # 100 bytes a line
    body = line * (MAX_EVIDENCE_BYTES // 100 + 50)  # 2,671 lines: 267,100 bytes
    path = tmp_path / "events.txt"
    path.write_text(body, encoding="utf-8")
    result = run_cli("note", ref, "--file", str(path), db=db)
    assert result.returncode == 0, result.stderr
    # 262,144 bytes hold 2,621 whole lines (262,100 bytes); the 2,622nd is cut off
    assert "Cut: kept the first 262,100 of 267,100 bytes (256 KiB at most)" in result.stderr
    entry = timeline(db, ref)[-1]
    text = str(entry["text"])
    assert text.count("x" * 99) == 2621
    assert text.endswith("[cut by the cockpit: kept the first 262,100 of 267,100 bytes; "
                         "the SHA-256 is of the whole input]")
    assert entry["sha256"] == hashlib.sha256(body.encode()).hexdigest()
    shown = run_cli("incident", "show", ref, db=db).stdout
    assert "… 2,619 more lines (--json shows them)" in shown  # 2,621 lines + the cut line - 3 shown


def test_binary_or_empty_input_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = opened(db)
    before = len(timeline(db, ref))
    binary = tmp_path / "core.gz"
    binary.write_bytes(b"\x1f\x8b\x08\x01\xff\xfe")
    result = run_cli("note", ref, "--file", str(binary), db=db)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"The file {binary} is not UTF-8 text (byte 0x8b at byte 1); nothing was added" in result.stderr
    nul = run_cli("note", ref, "-", db=db, input_text="abc\x00def")
    assert "holds binary data (a NUL byte at byte 3)" in nul.stderr
    empty = run_cli("note", ref, "-", db=db, input_text="\n\n")
    assert "Standard input is empty; nothing was added." in empty.stderr
    missing = run_cli("note", ref, "--file", str(tmp_path / "nope.txt"), db=db)
    assert missing.returncode != 0 and "nope.txt cannot be read" in missing.stderr
    both = run_cli("note", ref, "text", "--file", str(binary), db=db)
    assert "Give the entry's text, '-' to read standard input, or --file PATH (one of them)." in both.stderr
    assert len(timeline(db, ref)) == before


def test_evidence_is_shown_literally_in_show(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = opened(db)
    run_cli("note", ref, "-", db=db, input_text="[bold red]boom[/] \x07bell\x1b]0;title\x07\n")
    shown = run_cli("incident", "show", ref, db=db).stdout
    assert "[bold red]boom[/] \\x07bell" in shown and "\x07" not in shown and "\x1b" not in shown


def test_local_only_is_marked_and_queues_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = opened(db)
    before = queued(db)
    result = run_cli("note", ref, "--local-only", "--json", "Customer 4411 is on the call", db=db)
    assert json.loads(result.stdout)["local_only"] is True
    assert queued(db) == before  # no outbox row at all
    run_cli("note", ref, "An ordinary note", db=db)
    assert queued(db) == before + 1
    shown = run_cli("incident", "show", ref, db=db).stdout
    assert "⌂ Customer 4411 is on the call" in shown and "(local only: never sent to a tracker)" in shown


def test_a_bad_redaction_pattern_in_the_config_names_its_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("responder:\n  name: priya\nredact_patterns:\n  customer: 'CUST-(\\d{6}'\n", encoding="utf-8")
    result = run_cli("incident", "list", db=tmp_path / "c.db", env={"COCKPIT_CONFIG": str(config)})
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"{config}:4:13: redact_patterns.customer: is not a regular expression" in result.stderr
