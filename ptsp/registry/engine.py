"""Database connections for the registry: URL handling, SQLite set-up, transactions, error wrapping.

SQLite: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for every writing transaction (the driver's
own transaction handling is switched off; it let 8 processes take 1,638 duplicate numbers out of
2,000). PostgreSQL: READ COMMITTED with row locks (``SELECT ... FOR UPDATE``) taken by the store,
plus transaction-scoped advisory locks for the migration and for per-application idempotency.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]
from .errors import MigrationError, RegistryError, StorageError

BUSY_TIMEOUT_MS = 30_000
_LOCK_NAMESPACE = 0x50545350  # "PTSP": first key of the two-key advisory locks


def normalize_url(url: str | Path) -> URL:
    """``sqlite:///x.sqlite``, ``postgresql+psycopg://...`` or a plain file path (SQLite)."""
    text = str(url)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        parsed = make_url(text)
    except exc.ArgumentError as e:
        raise StorageError(f"cannot parse registry database URL: {e}") from e
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StorageError(
            f"unsupported registry database {parsed.drivername!r}: use sqlite:///FILE or "
            "postgresql+psycopg://USER@HOST/DB"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StorageError(
            "an in-memory SQLite registry would lose every number: give a file, sqlite:///FILE"
        )
    return parsed


def create_engine(url: str | Path) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return sa.create_engine(parsed, pool_pre_ping=True)


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def _short(e: BaseException) -> str:
    """The first line of the database's own message (these messages reach the office pages:
    never a Python type name)."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip().splitlines()
    return text[0] if text else "no message from the database"


@contextmanager
def guard(action: str) -> Iterator[None]:
    """Turn SQLAlchemy/DBAPI exceptions into ``StorageError`` naming what was being done."""
    try:
        yield
    except RegistryError:
        raise
    except exc.IntegrityError as e:
        raise StorageError(f"{action}: the database refused the write ({_short(e)})") from e
    except exc.OperationalError as e:
        raise StorageError(f"{action}: database unavailable or locked ({_short(e)})") from e
    except exc.SQLAlchemyError as e:
        raise StorageError(f"{action}: {_short(e)}") from e


@contextmanager
def _sqlite_queue(engine: Engine, action: str = "writing") -> Iterator[None]:
    """Queue SQLite writers of this machine on an OS lock beside the database file.

    SQLite's busy handler polls with growing sleeps, so eight busy writers spent most of their
    time asleep; a blocking ``flock`` hands the turn over at once. ``BEGIN IMMEDIATE`` still
    guarantees correctness for writers that do not use the lock file.
    """
    path = engine.url.database
    if fcntl is None or not path:
        yield
        return
    try:
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise StorageError(f"{action}: cannot open the lock file {path}.lock beside the "
                           f"database ({e.strerror or e})") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as e:
            raise StorageError(f"{action}: cannot lock {path}.lock ({e.strerror or e})") from e
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def write(engine: Engine, action: str) -> Iterator[Connection]:
    """One writing transaction, committed on success.

    Every registry write appends to the one audit chain, so writes are serialized anyway; they
    queue up front, in FIFO order, instead of piling onto the counter and audit-head rows:
    PostgreSQL takes a transaction-scoped advisory lock first, SQLite a file lock and then
    ``BEGIN IMMEDIATE``. The row locks taken inside stay as the correctness guarantee.
    """
    if is_sqlite(engine):
        with guard(action), _sqlite_queue(engine, action), engine.begin() as conn:
            yield conn
        return
    with guard(action), engine.begin() as conn:
        advisory_lock(conn, "ptsp.registry.write")
        yield conn


@contextmanager
def read(engine: Engine, action: str) -> Iterator[Connection]:
    with guard(action), engine.connect() as conn:
        if is_sqlite(conn):
            conn = conn.execution_options(sqlite_begin="DEFERRED")
        yield conn
        conn.rollback()


def lock_key(text: str) -> int:
    """A signed 32-bit advisory-lock key for ``text``."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big", signed=True)


def advisory_lock(conn: Connection, text: str) -> None:
    """Serialize transactions about ``text`` on PostgreSQL (SQLite's IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:ns, :key)"),
            {"ns": _LOCK_NAMESPACE, "key": lock_key(text)},
        )


def schema_revision(engine: Engine) -> str | None:
    from . import migrations  # alembic loads only when the schema is looked at

    with read(engine, "reading the schema revision") as conn:
        return migrations.current_revision(conn)


def migrate(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the schema to ``revision`` under a lock; returns (before, after).

    Safe when several processes open the same database at once: the first upgrades, the others
    wait for its lock and then find nothing to do.
    """
    from . import migrations

    target = migrations.head_revision() if revision == "head" else revision
    before = schema_revision(engine)
    if before == target:
        return before, before
    try:
        with guard("migrating the registry schema"), engine.begin() as conn:
            advisory_lock(conn, "ptsp.registry.migrate")
            before = migrations.current_revision(conn)
            if before != target:
                migrations.upgrade(conn, revision)
            after = migrations.current_revision(conn)
    except StorageError as e:
        raise MigrationError(str(e)) from e.__cause__
    except RegistryError:
        raise
    except Exception as e:  # alembic raises its own CommandError, or anything from a script
        raise MigrationError(f"migrating the registry schema failed: {e}") from e
    return before, after

