"""Engine, sessions and schema migrations (Alembic owns the schema; start-up upgrades to head)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.kernel.config import get_settings

MIGRATIONS = Path(__file__).with_name("migrations")
# Set while a session_scope(immediate=True) opens its SQLite transaction; read by the "begin" hook.
_immediate: ContextVar[bool] = ContextVar("roomdesk_immediate", default=False)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            # Let SQLAlchemy, not pysqlite, decide when a transaction begins (needed for BEGIN IMMEDIATE).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            # IMMEDIATE takes the write lock up front, so check-then-write sequences cannot interleave.
            conn.info["wrote"] = _immediate.get()
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _note_writes(conn: sa.Connection, _cursor, statement: str, *_args) -> None:
            if not statement.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA", "BEGIN")):
                conn.info["wrote"] = True  # this transaction holds (or asked for) the write lock

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """The shared engine for `url` (default: the configured database), migrated to the latest schema."""
    engine = make_engine(url or get_settings().database_url)
    upgrade(engine)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Apply every migration up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


# One application-wide lock for writers on PostgreSQL (an arbitrary constant: "RoomDesk" in ASCII, as an int).
WRITE_LOCK_KEY = 0x526F6F6D4465736B


def write_lock(session: Session) -> None:
    """Take the write lock for this unit of work now, before it reads: writers run one at a time.

    Services that read and then write call this first, so the caller's choice of transaction never matters.
    On SQLite a transaction that read first and writes later fails at once with "database is locked" when
    another connection committed in between; on PostgreSQL it silently overwrote that commit (the worker wrote
    back a note it had read before the user's save). SQLite locks with BEGIN IMMEDIATE, PostgreSQL with a
    transaction-level advisory lock; both are released by the commit or rollback.
    """
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return
    if session.in_transaction() and session.info.get("write_lock") is session.get_transaction():
        return
    pending = session.new or session.dirty or session.deleted
    if dialect == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
        if not pending:
            session.expire_all()  # rows read before the lock reload on use, as they are now
        session.info["write_lock"] = session.get_transaction()
        return
    if session.in_transaction() and not pending and not session.connection().info.get("wrote"):
        session.rollback()  # only read so far: start again under the lock (loaded rows reload on use, fresh)
    if not session.in_transaction():
        token = _immediate.set(True)
        try:
            session.connection()  # opens the transaction now, with BEGIN IMMEDIATE
        finally:
            _immediate.reset(token)
    else:  # it has written already, so it holds the lock; this write of nothing makes sure
        session.execute(sa.text("UPDATE setting SET key = key WHERE 0"))
    session.info["write_lock"] = session.get_transaction()  # this transaction only


@contextmanager
def session_scope(engine: Engine, *, immediate: bool = False) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any exception, so nothing is half-saved."""
    with Session(engine, expire_on_commit=False) as session:
        if immediate:
            write_lock(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
