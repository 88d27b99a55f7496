"""The store says what actually happened (issue #17, items 8 and 9): a read-only folder or a full disk is named as
such, never "the database is damaged; restore it from a backup", and an upgrade that cannot go ahead leaves the
database as it was and no empty or partial backup beside it.

These are process-level behaviours (exit codes, file permissions, a disk that fills up), so they run the real
command in a child process: permissions apply to root too under ``setpriv`` (see ``without_root_powers``), and a
full disk is a real one, a 512 KiB tmpfs mounted in a private mount namespace (``unshare``), or, where that is not
possible, a file-size limit (RLIMIT_FSIZE) on the child, which makes each write past the limit fail with EFBIG.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cockpit.store import db as store_db
from tests.conftest import ROOT, run_cli, without_root_powers

INCIDENT_ID = "01900000-0000-7000-8000-000000000001"


def old_database(path: Path, entries: int = 300) -> Path:
    """A database of the first schema (0001), about 150 KB, as an old release left it."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        store_db.upgrade(conn, "0001")
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute(
        f"INSERT INTO incident VALUES ('{INCIDENT_ID}', 'ABCD2345', 'Old outage', '[\"orders-db\"]', 'core-down', "
        "'all', '{}', 1, 'SEV1 because: core function down × all users (matrix)', 0, 'RESPOND', 'olga', "
        "'2025-01-02T03:04:05.000000Z', NULL, '2025-01-02T03:10:00.000000Z', NULL, NULL, NULL, "
        "'2025-01-02T03:10:00.000000Z', '')")
    for i in range(entries):
        raw.execute("INSERT INTO timeline_entry VALUES (?, ?, ?, '2025-01-02T03:04:05.000000Z', 'note', 'olga', ?, "
                    "'{}', 'local')", (f"01900000-0000-7000-8000-{i:012d}", INCIDENT_ID, 100 + i,
                                       f"entry {i} " + "x" * 400))
    raw.commit()
    raw.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plain_sentence(stderr: str) -> None:
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr and "a bug" not in stderr
    assert "damaged" not in stderr and "restore it from a backup" not in stderr


def test_a_current_database_in_a_read_only_folder_says_the_folder_is_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "cockpit.db"
    assert run_cli("incident", "open", "x", "--impact", "cosmetic", "--scope", "all", db=db).returncode == 0
    before = digest(db)
    folder.chmod(0o555)
    try:
        result = run_cli("incident", "list", db=db, prefix=without_root_powers())
    finally:
        folder.chmod(0o755)
    assert result.returncode == 5, result.stderr
    plain_sentence(result.stderr)
    assert f"folder {folder} is read-only" in result.stderr and "--db" in result.stderr
    assert digest(db) == before


def test_upgrading_in_a_read_only_folder_changes_nothing_and_leaves_no_backup(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = old_database(folder / "cockpit.db")
    before = digest(db)
    folder.chmod(0o555)
    try:
        result = run_cli("incident", "list", db=db, prefix=without_root_powers())
    finally:
        folder.chmod(0o755)
    assert result.returncode == 5, result.stderr
    plain_sentence(result.stderr)
    assert f"folder {folder} is read-only" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["cockpit.db"]
    assert digest(db) == before


def test_upgrading_past_a_file_size_limit_changes_nothing_and_leaves_no_backup(tmp_path: Path) -> None:
    db = old_database(tmp_path / "cockpit.db")
    before = digest(db)
    limit = db.stat().st_size // 2  # the backup copy cannot be written in full

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([sys.executable, "-m", "cockpit", "--db", str(db), "incident", "list"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT, preexec_fn=limited,
                            env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")})
    assert result.returncode == 5, result.stderr
    plain_sentence(result.stderr)
    assert "backup" in result.stderr and "not changed" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("cockpit.db")) == ["cockpit.db"]
    assert digest(db) == before


FULL_DISK = textwrap.dedent("""
    import hashlib, json, os, subprocess, sys
    mount, db_source, size_k = sys.argv[1], sys.argv[2], sys.argv[3]
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_k}k", "tmpfs", mount], check=True)
    db = os.path.join(mount, "cockpit.db")
    with open(db_source, "rb") as src, open(db, "wb") as dst:
        dst.write(src.read())
    free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    with open(os.path.join(mount, "filler"), "wb") as filler:  # leave room for half a copy of the database
        filler.write(b"f" * max(0, free - os.path.getsize(db) // 2))
    before = hashlib.sha256(open(db, "rb").read()).hexdigest()
    result = subprocess.run([sys.executable, "-m", "cockpit", "--db", db, "incident", "list"],
                            capture_output=True, text=True, timeout=60)
    after = hashlib.sha256(open(db, "rb").read()).hexdigest()
    print(json.dumps({"code": result.returncode, "stderr": result.stderr, "unchanged": before == after,
                      "files": sorted(os.listdir(mount))}))
""")


def test_upgrading_on_a_full_disk_changes_nothing_and_leaves_no_backup(tmp_path: Path) -> None:
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-Urm", "true"],
                                                         capture_output=True).returncode != 0:
        pytest.skip("no private mount namespace here (unshare -Urm) for a small tmpfs")
    source = old_database(tmp_path / "old.db")
    mount = tmp_path / "small-disk"
    mount.mkdir()
    probe = subprocess.run(["unshare", "-Urm", sys.executable, "-c", FULL_DISK, str(mount), str(source), "512"],
                           capture_output=True, text=True, timeout=120, cwd=ROOT,
                           env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")})
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    assert seen["code"] == 5, seen
    plain_sentence(seen["stderr"])
    assert "disk is full" in seen["stderr"] and "not changed" in seen["stderr"]
    assert seen["files"] == ["cockpit.db", "filler"] and seen["unchanged"], seen
