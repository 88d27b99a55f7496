"""Opening the SQLite store safely, migrating it, and running read and write transactions.

* WAL journal, foreign keys on, ``synchronous=FULL`` (an acknowledged entry survives power loss).
* Writers take the write lock up front (``BEGIN IMMEDIATE``) so two processes never deadlock
  half-way through a use case; a lock held too long becomes ``StoreLocked`` with a plain sentence.
* Before anything touches a file, it is checked: it must be an SQLite file of a schema this
  release knows. A newer or foreign database is refused and left byte-for-byte unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.errors import ReadOnly, StoreConflict, StoreError, StoreLocked

if TYPE_CHECKING:  # the ORM is imported when something writes: reading needs only sqlite3
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

#: The newest migration. ``tests/unit/test_migrations.py`` checks it against alembic's head.
SCHEMA_HEAD = "0011_improve"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006_web", "0007_slo", "0008_sync", "0009_safe3am",
                   "0010_alerts", "0011_improve")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_BUSY_TIMEOUT_S = 5.0


def _sqlite_error(exc: BaseException) -> BaseException:
    """The sqlite3 exception under SQLAlchemy's wrapper (or the exception itself)."""
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def _folder_writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK)


def _read_only_folder(path: Path) -> StoreError:
    return StoreError(f"The folder {path.parent} is read-only, and SQLite needs to write beside {path.name} (its "
                      f"journal, and before an upgrade a backup copy); make the folder writable, or copy the "
                      f"database to a writable folder and point --db at it.")


def _why(path: Path, exc: BaseException) -> str:
    """What went wrong, from SQLite's error code or the OS errno, as the end of a sentence with what to do."""
    error = _sqlite_error(exc)
    name = str(getattr(error, "sqlite_errorname", "") or "")
    detail = str(error)
    code = getattr(error, "errno", None)
    if name == "SQLITE_FULL" or code == errno.ENOSPC:
        return f"the disk is full ({detail}); free some space and try again"
    if name.startswith("SQLITE_IOERR") or code in (errno.EIO, errno.EFBIG, errno.EDQUOT):
        return f"writing to the disk failed ({detail}); the disk may be full, over a quota or failing"
    if name.startswith("SQLITE_READONLY") or code == errno.EROFS:
        return f"it is read-only here ({detail}); fix its permissions or use another --db"
    if name in ("SQLITE_PERM", "SQLITE_AUTH", "SQLITE_CANTOPEN") or code in (errno.EACCES, errno.EPERM):
        return f"it cannot be opened for writing ({detail}); fix its permissions or use another --db"
    return detail


def explain(path: Path, exc: BaseException, doing: str = "used") -> StoreError:
    """Name what actually went wrong with the database file: a read-only folder or a full disk is not damage,
    and "restore it from a backup" is advice only for a damaged file."""
    error = _sqlite_error(exc)
    name = str(getattr(error, "sqlite_errorname", "") or "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreLocked(f"The database {path} is locked by another process; try again shortly.")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreError(f"The database {path} is damaged ({error}); restore it from a backup.")
    if (name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN"))
            or getattr(error, "errno", None) in (errno.EROFS, errno.EACCES)) and not _folder_writable(path):
        return _read_only_folder(path)
    return StoreError(f"The database {path} could not be {doing}: {_why(path, exc)}.")


def _busy_timeout() -> float:
    raw = os.environ.get("COCKPIT_BUSY_TIMEOUT")
    try:
        value = float(raw) if raw else DEFAULT_BUSY_TIMEOUT_S
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT_S
    return value if math.isfinite(value) and 0 <= value <= 3600 else DEFAULT_BUSY_TIMEOUT_S


def inspect_file(path: Path) -> str | None:
    """Check a database file before use; return its schema revision (None when new or empty)."""
    if path.exists() and not path.is_file():
        raise StoreError(f"{path} is a directory, not a database file; give --db a file path.")
    if not path.exists() or path.stat().st_size == 0:
        parent = path.parent
        if not parent.is_dir():
            raise StoreError(
                f"The folder {parent} does not exist; create it or give --db a path in an existing folder."
            )
        if not os.access(parent, os.W_OK):
            raise StoreError(f"Cannot create a database in {parent}: permission denied.")
        return None
    if not os.access(path, os.R_OK):
        raise StoreError(f"Cannot read {path}: permission denied; fix its permissions or use another --db.")
    # The header is checked by SQLite itself, never by opening the file here: closing any descriptor of
    # the file drops every POSIX lock this process holds on it, so another process would believe it is
    # the last user, checkpoint and delete the WAL under our open connections, and the store would
    # read a malformed image (see "How To Corrupt An SQLite Database File", section 2.2).
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=_busy_timeout())
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return None
            if "alembic_version" not in tables:
                raise StoreError(
                    f"{path} is an SQLite database but not an Incident Cockpit database; use another --db."
                )
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc):
            raise StoreLocked(f"The database {path} is locked by another process; try again shortly.") from None
        if "not a database" in str(exc):
            raise StoreError(
                f"{path} is not an SQLite database; point --db at a cockpit database or a new file."
            ) from None
        raise explain(path, exc, "opened") from None
    if row is None:
        return None
    revision = str(row[0])
    if revision not in KNOWN_REVISIONS:
        raise StoreError(
            f"{path} was written by a newer Incident Cockpit (schema {revision}); "
            "upgrade the cockpit to open it. The file was not changed."
        )
    if not os.access(path, os.W_OK):
        raise StoreError(f"Cannot write to {path}: permission denied; fix its permissions or use another --db.")
    return revision


def _configure_connection(dbapi_conn: sqlite3.Connection, _record: Any = None) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _begin)
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(_busy_timeout() * 1000)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    _to_wal(cursor)
    cursor.close()


def _to_wal(cursor: sqlite3.Cursor) -> None:
    """``PRAGMA journal_mode = WAL`` (persistent; a no-op once set). The first connection to a new file makes the
    switch, which needs the file to itself, and SQLite answers "locked" at once rather than waiting on the busy
    timeout: retried within that timeout, so cockpits opening one new file together all open it."""
    import time

    deadline = time.monotonic() + _busy_timeout()
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def _query_only(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA query_only = ON")


def _begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("cockpit_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


class Store:
    """The open database. Create with ``Store.open(path)``.

    Two ways in: ``plain()`` (the standard library's sqlite3, for the read path: the first frame and the
    read-only commands never import the ORM) and ``read()``/``write()`` (SQLModel sessions; the engine, and
    with it SQLAlchemy, is made on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine: Engine | None = None
        self._write_engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []  # plain read connections, reused across threads
        self._idle_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None  # the short path's one write connection
        self._writer_lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None  # (data_version, newest hlc) after the short path's last write
        self.refusal: str | None = None

    @classmethod
    def open(cls, path: Path | str) -> Store:
        path = Path(path).expanduser()
        revision = inspect_file(path)
        store = cls(path)
        if revision is None:  # no tables yet (a file another cockpit is making has none until it commits)
            store.create()
        elif revision != SCHEMA_HEAD:
            store.migrate(revision)
        return store

    def create(self) -> None:
        """Make a new database at the newest schema: the statements the migrations produce (taken once per
        process, see ``fresh_schema``) in one transaction, instead of running every migration for each new file.
        A file another process filled meanwhile is left to the migrations' own checks."""
        try:
            statements = fresh_schema()
        except (StoreError, OSError):  # no scratch space (a full or read-only temp folder): migrate the file itself
            self.migrate(None)
            return
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, timeout=_busy_timeout())
            _configure_connection(conn)
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                conn.execute("ROLLBACK")
                conn.close()
                conn = None
                revision = inspect_file(self.path)
                if revision != SCHEMA_HEAD:
                    self.migrate(revision)
                return
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (SCHEMA_HEAD,))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise explain(self.path, exc, "created") from None
        finally:
            if conn is not None:
                conn.close()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, made (and SQLAlchemy imported) the first time something asks for it."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    from sqlalchemy import create_engine, event

                    engine = create_engine(f"sqlite:///{self.path}", connect_args={"timeout": _busy_timeout()})
                    event.listen(engine, "connect", _configure_connection)
                    event.listen(engine, "begin", _begin)
                    if self.refusal is not None:
                        event.listen(engine, "connect", _query_only)
                    self._write_engine = engine.execution_options(cockpit_write=True)
                    self._engine = engine
        return self._engine

    def prepare(self) -> None:
        """Import the ORM and make the engine now (in a worker after the first frame: the first write is quick)."""
        from cockpit.store.orm_import import import_orm

        import_orm()
        from cockpit.store import models  # noqa: F401

        _ = self.engine

    def migrate(self, revision: str | None) -> None:
        backup: Path | None = None
        if revision is not None:
            if not _folder_writable(self.path):  # no backup, no journal: refuse before touching anything
                raise _read_only_folder(self.path)
            backup = self._backup(revision)
        from sqlalchemy.exc import DatabaseError

        try:
            with self.engine.connect() as conn:
                upgrade(conn, SCHEMA_HEAD)
        except (DatabaseError, sqlite3.DatabaseError, OSError) as exc:
            if _is_lock_error(exc):
                raise StoreLocked(
                    f"The database {self.path} is locked by another process; try again shortly."
                ) from None
            problem = explain(self.path, exc, "upgraded")
            if backup is not None and not isinstance(problem, StoreLocked):
                problem = type(problem)(f"{problem.message} A copy from before the upgrade is kept at {backup}.")
            raise problem from None

    def _backup(self, revision: str) -> Path:
        """Keep a copy of the database as it was before an upgrade, beside it. The copy is written under a
        temporary name and renamed once complete, so a full disk or a read-only folder never leaves an empty or
        partial backup that looks like a good one."""
        target = self.path.with_name(f"{self.path.name}.schema-{revision}.bak")
        partial = target.with_name(f"{target.name}.partial")
        leftovers = (partial, partial.with_name(f"{partial.name}-journal"))
        try:
            for leftover in leftovers:  # from an attempt killed half-way: never mistaken for a good backup
                leftover.unlink(missing_ok=True)
            source = sqlite3.connect(str(self.path))
            try:
                dest = sqlite3.connect(str(partial))
                try:
                    source.backup(dest)
                finally:
                    dest.close()
            finally:
                source.close()
            os.replace(partial, target)
        except (sqlite3.Error, OSError) as exc:
            for leftover in leftovers:
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)
            if _is_lock_error(exc):
                raise StoreLocked(f"The database {self.path} is locked by another process; try again shortly.") \
                    from None
            raise StoreError(f"Before upgrading {self.path} the cockpit keeps a backup copy beside it, and it "
                             f"could not be written: {_why(self.path, exc)}. The database was not changed.") from None
        return target

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        with self._writer_lock:
            if self._writer is not None:
                idle.append(self._writer)
                self._writer, self._stamp = None, None
        for conn in idle:
            conn.close()
        if self._engine is not None:
            self._engine.dispose()

    def refuse_writes(self, reason: str) -> None:
        """From now on every write transaction raises ``ReadOnly(reason)``, and SQLite itself refuses to write on
        every connection (``PRAGMA query_only``): the cockpit served to a browser is read-only."""
        self.refusal = reason
        if self._engine is not None:
            from sqlalchemy import event

            event.listen(self._engine, "connect", _query_only)
            self._engine.dispose()  # pooled connections were opened without it

    @contextmanager
    def plain(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on a plain sqlite3 connection (a consistent snapshot; never blocks writers). The
        connection refuses to write (``PRAGMA query_only``)."""
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = sqlite3.connect(self.path, timeout=_busy_timeout(), check_same_thread=False)
                _configure_connection(conn)
                conn.execute("PRAGMA query_only = ON")
            conn.execute("BEGIN")
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise self._plain_error(exc) from None
        try:
            yield conn
        except sqlite3.Error as exc:
            conn.close()
            raise self._plain_error(exc) from None
        except BaseException:
            self._release(conn, "ROLLBACK")
            raise
        self._release(conn, "COMMIT")

    def _release(self, conn: sqlite3.Connection, end: str) -> None:
        try:
            conn.execute(end)
        except sqlite3.Error:
            conn.close()
            return
        with self._idle_lock:
            self._idle.append(conn)

    @contextmanager
    def plain_write(self) -> Iterator[PlainWrite]:
        """The short write path (an entry and its outbox row): plain statements on one sqlite3 connection, the
        write lock taken first (``BEGIN IMMEDIATE``), everything committed or nothing."""
        if self.refusal is not None:
            raise ReadOnly(self.refusal)
        with self._writer_lock:
            try:
                if self._writer is None:
                    self._writer = sqlite3.connect(self.path, timeout=_busy_timeout(), check_same_thread=False)
                    _configure_connection(self._writer)
                    self._stamp = None
                conn = self._writer
                conn.execute("BEGIN IMMEDIATE")
                version = int(conn.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise self._plain_error(exc) from None
            # the newest stamp is kept from the last write while no other connection has committed since
            last = self._stamp[1] if self._stamp is not None and self._stamp[0] == version else None
            write = PlainWrite(conn, last)
            try:
                yield write
                conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._plain_error(exc) from None
                raise
            self._stamp = (version, write.newest) if write.newest is not None else None

    def _plain_error(self, exc: sqlite3.Error) -> StoreError:
        if isinstance(exc, sqlite3.OperationalError) and _is_lock_error(exc):
            return self._busy()
        if isinstance(exc, sqlite3.IntegrityError):
            return self._conflict(exc)
        return explain(self.path, exc)

    def _conflict(self, orig: object) -> StoreConflict:
        """Not damage: a change that clashes with what the file already holds."""
        return StoreConflict(f"The change clashes with a record the database {self.path} already holds "
                             f"({orig}); nothing was changed and the database is fine.", str(orig))

    def _busy(self) -> StoreLocked:
        return StoreLocked(f"The database {self.path} is busy: another cockpit process held it for more than "
                           f"{_busy_timeout():g} s. Try again; nothing was changed.")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction: a consistent snapshot, never blocks writers (WAL)."""
        from sqlmodel import Session

        with self._guard(), Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: takes the write lock first, commits everything or nothing."""
        if self.refusal is not None:
            raise ReadOnly(self.refusal)
        from sqlmodel import Session

        _ = self.engine
        with self._guard(), Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _guard(self) -> Iterator[None]:
        from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

        try:
            yield
        except OperationalError as exc:
            if _is_lock_error(exc):
                raise self._busy() from None
            raise explain(self.path, exc) from None
        except IntegrityError as exc:
            raise self._conflict(exc.orig) from None
        except DatabaseError as exc:
            raise explain(self.path, exc) from None


class PlainWrite:
    """One short write transaction: its connection, and the newest timeline stamp when the store knows it without
    asking (``max(hlc)`` is read only when another connection has written since)."""

    def __init__(self, conn: sqlite3.Connection, newest: int | None) -> None:
        self.conn = conn
        self.newest = newest

    def last_hlc(self) -> int:
        if self.newest is None:
            self.newest = int(self.conn.execute("SELECT coalesce(max(hlc), 0) FROM timeline_entry").fetchone()[0])
        return self.newest


_fresh: tuple[str, ...] | None = None
_fresh_lock = threading.Lock()


def fresh_schema() -> tuple[str, ...]:
    """The statements that make a database at ``SCHEMA_HEAD``: read from a scratch database the migrations built,
    once per process. The migrations stay the one source of truth; a new file just needs no alembic run."""
    global _fresh
    with _fresh_lock:
        if _fresh is None:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="cockpit-schema-") as folder:
                scratch = Store(Path(folder) / "schema.db")
                try:
                    scratch.migrate(None)
                finally:
                    scratch.close()
                conn = sqlite3.connect(Path(folder) / "schema.db")
                try:
                    rows = conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                                        "'sqlite_%' ORDER BY rowid").fetchall()
                finally:
                    conn.close()
            _fresh = tuple(str(row[0]) for row in rows)
        return _fresh


def upgrade(conn: Connection, revision: str) -> None:
    """Run the alembic migrations up to ``revision`` on an open connection."""
    import logging

    from alembic import command
    from alembic.config import Config

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines ("Running upgrade ...") are noise here
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)
