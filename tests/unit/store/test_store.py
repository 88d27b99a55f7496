"""The store: WAL, foreign keys, append-only timeline, atomic entry+outbox, safe opening."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from cockpit.domain.severity import Impact, Scope, Triggers
from cockpit.errors import StoreError, StoreLocked
from cockpit.service.incidents import IncidentService
from cockpit.store import db as store_db
from cockpit.store.db import SCHEMA_HEAD, Store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_uses_wal_and_foreign_keys(store: Store, db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"), store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin) "
            "VALUES ('e1', 'no-such-incident', 1, '2026-01-01T00:00:00.000000Z', 'note', 'a', 't', '{}', 'local')"))


def test_timeline_is_append_only(svc: IncidentService, db_path: Path) -> None:
    snap = svc.open_incident("Disk full", Impact.DEGRADED, Scope.LT25)
    raw = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE timeline_entry SET text = 'rewritten'")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        raw.execute("DELETE FROM timeline_entry")
    raw.close()
    assert len(svc.get(snap.ref).timeline) == 1


def test_entry_and_outbox_row_commit_together(svc: IncidentService, db_path: Path) -> None:
    snap = svc.open_incident("Disk full", Impact.DEGRADED, Scope.LT25)
    entry = svc.add_entry(snap.ref, "df -h shows 97% on /var/log", "note")
    raw = sqlite3.connect(db_path)  # a second connection sees both, committed
    row = raw.execute("SELECT op, payload FROM outbox_op WHERE entity_id = ?", (entry.id,)).fetchone()
    raw.close()
    assert row is not None and row[0] == "add_entry"
    assert "97% on /var/log" in row[1]


def test_a_failed_use_case_leaves_nothing_behind(svc: IncidentService, db_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    snap = svc.open_incident("Disk full", Impact.DEGRADED, Scope.LT25)

    def broken_enqueue(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(svc, "enqueue_in", broken_enqueue)
    with pytest.raises(RuntimeError):
        svc.add_entry(snap.ref, "this must not be half-written")
    raw = sqlite3.connect(db_path)
    texts = [r[0] for r in raw.execute("SELECT text FROM timeline_entry")]
    raw.close()
    assert not any("half-written" in t for t in texts)


def test_schema_head_matches_the_migrations() -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(store_db.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    assert script.get_current_head() == SCHEMA_HEAD
    assert [r.revision for r in reversed(list(script.walk_revisions()))] == list(store_db.KNOWN_REVISIONS)


def test_a_database_from_the_first_schema_upgrades_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        store_db.upgrade(conn, "0001")
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute(
        "INSERT INTO incident VALUES ('01900000-0000-7000-8000-000000000001', 'ABCD2345', 'Old outage', "
        "'[\"orders-db\"]', 'core-down', 'all', '{}', 1, 'SEV1 because: core function down × all users (matrix)', "
        "0, 'RESPOND', 'olga', '2025-01-02T03:04:05.000000Z', NULL, '2025-01-02T03:10:00.000000Z', NULL, NULL, "
        "NULL, '2025-01-02T03:10:00.000000Z', '')")
    raw.execute(
        "INSERT INTO timeline_entry VALUES ('01900000-0000-7000-8000-0000000000e1', "
        "'01900000-0000-7000-8000-000000000001', 100, '2025-01-02T03:04:05.000000Z', 'note', 'olga', "
        "'written by schema 0001', '{}', 'local')")
    raw.execute("INSERT INTO role_assignment VALUES ('r1', '01900000-0000-7000-8000-000000000001', 'ic', "
                "'olga', 'olga', '2025-01-02T03:05:00.000000Z', NULL)")
    raw.commit()
    raw.close()

    store = Store.open(path)
    assert sqlite3.connect(path).execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
    detail = IncidentService(store, "newbie").get("ABCD")
    assert detail.snapshot.title == "Old outage"
    assert detail.snapshot.commander == "olga"
    assert [e.text for e in detail.timeline] == ["written by schema 0001"]
    # the new tables exist and the old copy was kept beside the file
    assert sqlite3.connect(path).execute("SELECT count(*) FROM page").fetchone()[0] == 0
    assert (tmp_path / "old.db.schema-0001.bak").exists()
    # and the upgraded store is fully usable
    IncidentService(store, "newbie").add_entry("ABCD", "written after the upgrade")
    assert len(IncidentService(store, "newbie").get("ABCD").timeline) == 2


def test_a_database_from_a_newer_schema_is_refused_unchanged(store: Store, db_path: Path) -> None:
    store.close()
    raw = sqlite3.connect(db_path)
    raw.execute("UPDATE alembic_version SET version_num = '9999'")
    raw.commit()
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    before = digest(db_path)
    with pytest.raises(StoreError, match="newer Incident Cockpit"):
        Store.open(db_path)
    assert digest(db_path) == before


@pytest.mark.parametrize("content", [b"hello, I am a text file\n", b"\x00\x01\x02" * 100])
def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store.open(path)
    assert path.read_bytes() == content


def test_a_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE songs (title TEXT)")
    raw.commit()
    raw.close()
    before = digest(path)
    with pytest.raises(StoreError, match="not an Incident Cockpit database"):
        Store.open(path)
    assert digest(path) == before


def test_a_damaged_database_gives_a_plain_error(svc: IncidentService, store: Store, db_path: Path) -> None:
    for i in range(200):
        svc.open_incident(f"Incident number {i} " + "x" * 150, Impact.DEGRADED, Scope.LT25)
    store.close()
    raw = sqlite3.connect(db_path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    data = bytearray(db_path.read_bytes())
    for offset in range(4096 * 2, len(data) - 4096, 4096):
        data[offset:offset + 64] = b"\xff" * 64
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"damaged|not a database"):
        reopened = Store.open(db_path)
        IncidentService(reopened, "alice").list_incidents(include_closed=True)


def test_a_directory_or_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "missing" / "cockpit.db")


def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    store = Store.open(path)
    assert IncidentService(store, "a").list_incidents() == []


def test_a_locked_database_waits_then_says_so(svc: IncidentService, db_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    snap = svc.open_incident("Disk full", Impact.DEGRADED, Scope.LT25, Triggers())
    monkeypatch.setenv("COCKPIT_BUSY_TIMEOUT", "0.3")
    locked_svc = IncidentService(Store.open(db_path), "bob")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreLocked, match="busy"):
            locked_svc.add_entry(snap.ref, "blocked")
        # reading still works while another process writes (WAL)
        assert locked_svc.get(snap.ref).snapshot.title == "Disk full"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    locked_svc.add_entry(snap.ref, "after the lock")
    assert [e.text for e in svc.get(snap.ref).timeline][-1] == "after the lock"


def test_opening_a_store_keeps_the_locks_this_process_already_holds(store: Store, db_path: Path) -> None:
    """Opening a second store on the same file (the TUI, the sync loop and tests all do) must not release
    the first one's SQLite locks; if it did, another process closing would checkpoint and delete the WAL
    under our connection, and the next read would find a malformed image (seen in the chaos test)."""
    import subprocess
    import sys

    with store.engine.connect() as conn:  # a pooled connection now holds its shared lock on the file
        conn.execute(text("SELECT count(*) FROM sqlite_master")).fetchall()
    Store.open(db_path).close()
    writer = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('CREATE TABLE IF NOT EXISTS scratch (x)')\n"
        "c.commit()\n"
        "c.close()\n"
    )
    subprocess.run([sys.executable, "-c", writer, str(db_path)], check=True)
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists(), "the other process thought it was the last user and removed the WAL"


def test_a_unique_constraint_failure_is_named_as_a_clash_not_as_damage(svc: IncidentService, store: Store) -> None:
    from cockpit.store.models import Incident

    ref = svc.open_incident("Holds its reference", Impact.DEGRADED, Scope.LT25).ref
    existing = svc.get(ref).snapshot
    with pytest.raises(StoreError) as raised, store.write() as session:
        session.add(Incident(id="00000000-0000-7000-8000-000000000001", ref_key=ref.removeprefix("INC-"),
                             title="twin", services=[], impact="degraded", scope="lt25", triggers={}, severity=3,
                             severity_reason="x", phase="DETECT", declared_by="x", declared_at=existing.declared_at,
                             updated_at=existing.declared_at))
    message = str(raised.value)
    assert "clashes with a record" in message and "UNIQUE" in message and "nothing was changed" in message
    assert "damaged" not in message and "backup" not in message
    assert svc.get(ref).snapshot.title == "Holds its reference"  # and the database is fine
