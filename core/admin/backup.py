"""Backups of the database: SQLite's online backup (safe while Room Desk runs), pg_dump/pg_restore for PostgreSQL."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.kernel.db import upgrade
from core.kernel.errors import RoomDeskError

log = logging.getLogger(__name__)
PAGES_PER_STEP = 4096  # SQLite copies this many pages, then lets writers in again


class BackupFailed(RoomDeskError):
    key = "ops.backup_failed"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str  # sqlite | postgresql
    size: int


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupFailed("ops.backup_in_memory")
    return Path(database)


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: from PATH, else the newest Debian PostgreSQL folder."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise BackupFailed("ops.pg_tool_missing", tool=name)
    return found


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The database as a libpq URL, with the password passed in the environment (never on a command line)."""
    url = engine.url.set(drivername="postgresql")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def backup(engine: Engine, target: Path) -> BackupResult:
    """Write a consistent copy of the database to `target` (replaced only once the copy is complete)."""
    target = target.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        copy = sqlite3.connect(partial)
        try:  # the online backup API: a snapshot even while the dashboard and workers write
            source.backup(copy, pages=PAGES_PER_STEP)
        finally:
            copy.close()
            source.close()
        kind = "sqlite"
    elif engine.dialect.name == "postgresql":
        url, env = _libpq(engine)
        run = subprocess.run(
            [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), url],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupFailed("ops.backup_failed", detail=run.stderr.strip()[-500:])
        kind = "postgresql"
    else:
        raise BackupFailed("ops.backup_unsupported", dialect=engine.dialect.name)
    partial.replace(target)
    log.info("backup of %s written to %s", engine.url.render_as_string(hide_password=True), target)
    return BackupResult(target, kind, target.stat().st_size)


def _sqlite_backup_revision(path: Path) -> str:
    """The schema revision stored in a SQLite backup file; refuses anything that is not a Room Desk database."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as err:
        raise BackupFailed("ops.restore_not_a_backup", path=str(path)) from err
    if row is None:
        raise BackupFailed("ops.restore_not_a_backup", path=str(path))
    return str(row[0])


def has_data(engine: Engine) -> bool:
    """Whether the database already holds rooms, appointments or users (a restore would replace them)."""
    tables = set(sa.inspect(engine).get_table_names())
    with engine.connect() as con:
        return any(
            con.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None
            for name in ("room", "appointment", "user")
            if name in tables
        )


def restore(engine: Engine, source: Path, *, replace: bool = False) -> BackupResult:
    """Put a backup made by `backup` back, then migrate it to this version's schema.

    A database that already holds data is replaced only with `replace=True`.
    """
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupFailed("ops.restore_missing", path=str(source))
    if not replace and has_data(engine):
        raise BackupFailed("ops.restore_not_empty")
    if engine.dialect.name == "sqlite":
        _sqlite_backup_revision(source)
        engine.dispose()  # no pooled connection of ours holds the file while it is overwritten
        backup_con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            backup_con.backup(target, pages=PAGES_PER_STEP)
        finally:
            target.close()
            backup_con.close()
        kind = "sqlite"
    elif engine.dialect.name == "postgresql":
        url, env = _libpq(engine)
        run = subprocess.run(
            [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "-d", url]
            + [str(source)],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BackupFailed("ops.restore_failed", detail=run.stderr.strip()[-500:])
        kind = "postgresql"
    else:
        raise BackupFailed("ops.backup_unsupported", dialect=engine.dialect.name)
    upgrade(engine)  # a backup from an older version gets this version's schema
    log.info("restored %s into %s", source, engine.url.render_as_string(hide_password=True))
    return BackupResult(source, kind, source.stat().st_size)
