"""The read path without the ORM, and the short write path: the same rows and answers as the ORM's, one list of
column names (checked against the models), and no SQLAlchemy imported by reading."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import JSON, Boolean

from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import NotFound, ReadOnly, StoreError
from cockpit.service.incidents import IncidentService
from cockpit.store import models
from cockpit.store.db import Store
from cockpit.store.schema import TABLES
from cockpit.store.types import UTCDateTime
from tests.conftest import ROOT, FakeClock

MODELS = {model.__tablename__: model for model in (models.Incident, models.TimelineEntry, models.RoleAssignment,
                                                   models.OutboxOp, models.SloReading, models.IncidentBudget,
                                                   models.Shift, models.Page, models.ActionItemRow,
                                                   models.HandoffRow, models.AlertLogRow)}


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_the_plain_path_names_every_column_of_the_model_with_its_kind(table: object) -> None:
    from cockpit.store.schema import Table

    assert isinstance(table, Table)
    columns = MODELS[table.name].__table__.columns  # type: ignore[attr-defined]
    assert set(table.columns) == {c.name for c in columns}
    assert table.times == {c.name for c in columns if isinstance(c.type, UTCDateTime)}
    assert table.documents == {c.name for c in columns if isinstance(c.type, JSON)}
    assert table.flags == {c.name for c in columns if isinstance(c.type, Boolean)}


def test_an_unknown_column_is_refused_when_the_statement_is_built() -> None:
    with pytest.raises(KeyError, match="incident has no column nonsense"):
        TABLES[0].select(("id", "nonsense"))


def _rows(db: Path, table: str, order: str) -> list[dict[str, object]]:
    raw = sqlite3.connect(db)
    raw.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in raw.execute(f"SELECT * FROM {table} ORDER BY {order}")]
    finally:
        raw.close()


def test_a_note_by_the_short_path_writes_the_rows_the_orm_path_writes(svc: IncidentService, clock: FakeClock,
                                                                     db_path: Path) -> None:
    snap = svc.open_incident("Checkout slow", Impact.DEGRADED, Scope.LT25)
    clock.advance(minutes=1)
    short = svc.add_entry(snap.ref, "Rolled back v2.14.2", "status")
    with svc.store.write() as session:  # the same entry through the ORM's append_in
        incident = svc.find_in(session, snap.ref)
        orm = svc.append_in(session, incident, "status", "Rolled back v2.14.2", clock.now)
    entries = {r["id"]: r for r in _rows(db_path, "timeline_entry", "hlc")}
    first, second = entries[short.id], entries[orm.id]
    assert {k: v for k, v in first.items() if k not in ("id", "hlc")} == \
        {k: v for k, v in second.items() if k not in ("id", "hlc")}
    assert second["hlc"] > first["hlc"] == short.hlc  # type: ignore[operator]
    outbox = {r["entity_id"]: r for r in _rows(db_path, "outbox_op", "seq")}
    one, two = outbox[short.id], outbox[orm.id]
    assert {k: v for k, v in one.items() if k not in ("seq", "id", "entity_id", "payload")} == \
        {k: v for k, v in two.items() if k not in ("seq", "id", "entity_id", "payload")}
    p1, p2 = json.loads(str(one["payload"])), json.loads(str(two["payload"]))
    assert (p1.pop("id"), p1.pop("hlc")) == (short.id, short.hlc)
    assert (p2.pop("id"), p2.pop("hlc")) == (orm.id, orm.hlc)
    assert p1 == p2 == {"at": "2026-11-18T14:01:00+00:00", "kind": "status", "author": "alice",
                        "text": "Rolled back v2.14.2", "data": {}}
    detail = svc.get(snap.ref)  # a status update restarts the check-in countdown, by either path
    assert detail.snapshot.last_update_at == clock.now
    assert [e.id for e in detail.timeline][-2:] == [short.id, orm.id]


def test_the_kept_stamp_is_not_trusted_after_another_connection_wrote(svc: IncidentService, db_path: Path) -> None:
    snap = svc.open_incident("Checkout slow", Impact.DEGRADED, Scope.LT25)
    first = svc.add_entry(snap.ref, "one")
    second = svc.add_entry(snap.ref, "two")  # the kept stamp: still after the first
    assert second.hlc > first.hlc
    far = second.hlc + 10_000_000  # another cockpit process writes an entry stamped far ahead
    raw = sqlite3.connect(db_path)
    raw.execute("INSERT INTO timeline_entry (id, incident_id, hlc, at, kind, author, text, data, origin) "
                "VALUES ('other', ?, ?, '2026-11-18T14:00:00.000000Z', 'note', 'bob', 'x', '{}', 'local')",
                (snap.id, far))
    raw.commit()
    raw.close()
    third = svc.add_entry(snap.ref, "three")
    assert third.hlc > far
    assert [e.text for e in svc.get(snap.ref).timeline][-4:] == ["one", "two", "x", "three"]


def test_a_game_day_kept_local_gets_no_outbox_row_by_the_short_path(svc: IncidentService, db_path: Path) -> None:
    snap = svc.open_incident("Drill", Impact.DEGRADED, Scope.LT25, kind="exercise", to_tracker=False)
    entry = svc.add_entry(snap.ref, "step one")
    assert entry.id not in {r["entity_id"] for r in _rows(db_path, "outbox_op", "seq")}


def test_the_short_path_refuses_an_unknown_incident_and_a_read_only_store(svc: IncidentService,
                                                                           db_path: Path) -> None:
    snap = svc.open_incident("Checkout slow", Impact.DEGRADED, Scope.LT25)
    with pytest.raises(NotFound):
        svc.add_entry("ZZZZ", "lost?")
    svc.store.refuse_writes("read-only here")
    with pytest.raises(ReadOnly, match="read-only here"):
        svc.add_entry(snap.ref, "lost?")
    assert [e.kind for e in svc.get(snap.ref).timeline] == ["declared"]


def test_plain_reads_refuse_to_write(store: Store) -> None:
    with pytest.raises(StoreError, match="attempt to write a readonly database"), store.plain() as conn:
        conn.execute("DELETE FROM store_meta")


def test_list_orders_open_incidents_by_severity_then_activity(svc: IncidentService, clock: FakeClock) -> None:
    low = svc.open_incident("Disk high", Impact.COSMETIC, Scope.ONE_USER)
    clock.advance(minutes=1)
    high = svc.open_incident("Checkout down", Impact.CORE_DOWN, Scope.ALL, commander="priya")
    clock.advance(minutes=1)
    done = svc.open_incident("Old one", Impact.DEGRADED, Scope.LT25)
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE):
        svc.set_phase(done.ref, phase)
    clock.advance(minutes=1)
    svc.add_entry(low.ref, "newest activity")
    assert [s.ref for s in svc.list_incidents()] == [high.ref, low.ref]
    everything = svc.list_incidents(include_closed=True)
    assert [s.ref for s in everything] == [high.ref, low.ref, done.ref]
    assert everything[0].commander == "priya" and everything[1].commander is None
    assert [s.ref for s in svc.list_incidents(limit=1)] == [high.ref]


def _imports_sqlalchemy(code: str) -> bool:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('sqlalchemy' in sys.modules)"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return out.strip().splitlines()[-1] == "True"


def test_reading_commands_and_the_screen_do_not_import_the_orm(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    svc = IncidentService(Store.open(db), "alice")
    ref = svc.open_incident("Checkout slow", Impact.DEGRADED, Scope.LT25).ref
    svc.store.close()
    run = "from cockpit.cli.main import cli\ncli.main({}, standalone_mode=False)"
    for args in (["incident", "list"], ["incident", "show", ref], ["incident", "show", ref, "--json"],
                 ["note", ref, "a note takes the short path"]):
        assert not _imports_sqlalchemy(run.format(["--db", str(db), *args])), args
    assert not _imports_sqlalchemy("import cockpit.tui.app, cockpit.tui.screens.incident, "
                                   "cockpit.tui.screens.incidents")
    assert _imports_sqlalchemy(run.format(["--db", str(db), "incident", "phase", ref, "triage"]))  # other writes do


def test_a_new_database_has_exactly_the_schema_the_migrations_make(tmp_path: Path) -> None:
    """A new file gets the statements the migrations produce (taken once per process) instead of a run of every
    migration; tables, indexes, triggers and the schema version are the same as a migrated file's."""
    import sqlite3

    from cockpit.store.db import SCHEMA_HEAD, Store

    migrated = Store(tmp_path / "migrated.db")
    migrated.migrate(None)
    migrated.close()
    Store.open(tmp_path / "new.db").close()

    def schema(path: Path) -> tuple[object, ...]:
        conn = sqlite3.connect(path)
        try:
            return (sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()),
                    conn.execute("SELECT version_num FROM alembic_version").fetchall(),
                    conn.execute("PRAGMA journal_mode").fetchone())
        finally:
            conn.close()

    made = schema(tmp_path / "new.db")
    assert made == schema(tmp_path / "migrated.db")
    assert made[1] == [(SCHEMA_HEAD,)] and made[2] == ("wal",)
    assert {row[0] for row in made[0]} == {"table", "index", "trigger"}  # type: ignore[union-attr]


def test_cockpits_making_the_same_new_database_at_once_make_it_once(tmp_path: Path) -> None:
    import threading

    from cockpit.service.incidents import IncidentService
    from cockpit.store.db import Store

    path, errors, stores = tmp_path / "race.db", [], []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            stores.append(Store.open(path))
        except Exception as exc:  # the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(stores) == 4
    from cockpit.domain.severity import Impact, Scope

    IncidentService(stores[0], "a").open_incident("one", Impact.DEGRADED, Scope.LT25)
    assert [i.title for i in IncidentService(stores[3], "b").list_incidents()] == ["one"]
    for store in stores:
        store.close()


def test_processes_making_the_same_new_database_at_once_all_open_it(tmp_path: Path) -> None:
    """Real processes, each with its schema statements already taken, open one new file at the same instant,
    twenty times over: none is told the file is locked (SQLite does not wait on its busy timeout for the switch
    to WAL, which the first connection to a new file makes while another may hold it)."""
    script = (
        "import sys, threading\n"
        "from pathlib import Path\n"
        "from cockpit.errors import StoreError\n"
        "from cockpit.store.db import Store, fresh_schema\n"
        "fresh_schema()\n"
        "sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.readline()\n"
        "for n in range(20):\n"
        "    path = Path(sys.argv[1]) / f'{n}.db'\n"
        "    try:\n"
        "        Store.open(path).close()\n"
        "    except StoreError as exc:\n"
        "        print('failed', n, exc)\n"
        "    print('done', n, flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    children = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(3)]
    outputs: list[list[str]] = [[] for _ in children]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for _ in range(20):
        for child in children:  # all three start the same file together
            assert child.stdin is not None
            child.stdin.write("\n")
            child.stdin.flush()
        for index, child in enumerate(children):
            assert child.stdout is not None
            while not (line := child.stdout.readline()).startswith("done"):
                outputs[index].append(line)
    for child in children:
        child.communicate(timeout=60)
    assert outputs == [[], [], []]
    for n in range(20):
        Store.open(tmp_path / f"{n}.db").close()  # a complete database at the newest schema
