"""Operating an installation: `roomdesk status` for monitoring, `roomdesk backup` / `roomdesk restore`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from core.admin import backup as backups
from core.cli.main import app
from core.kernel.config import get_settings
from core.kernel.db import get_engine, make_engine, session_scope, upgrade
from core.kernel.models import Room
from tests.conftest import at, make_booking, make_room, make_user
from tests.pg import find_bindir
from tests.ui.conftest import page

runner = CliRunner()


def use_data_dir(monkeypatch: pytest.MonkeyPatch, folder: Path, url: str | None = None) -> None:
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(folder))
    monkeypatch.setenv("ROOMDESK_EMBEDDED_WORKER", "0")
    if url:
        monkeypatch.setenv("ROOMDESK_DATABASE_URL", url)
    else:
        monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_data_dir(monkeypatch, tmp_path / "data")
    yield tmp_path / "data"
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_status_fails_without_a_worker_and_passes_after_a_worker_pass(data_dir: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    down = runner.invoke(app, ["status"])
    assert down.exit_code == 1
    assert "UNHEALTHY" in down.output and "No worker is running" in down.output

    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0
    up = runner.invoke(app, ["status", "--json"])
    assert up.exit_code == 0, up.output
    report = json.loads(up.output)
    assert report["healthy"] is True and report["problems"] == []
    [worker] = report["workers"]
    assert worker["alive"] is True and worker["passes"] == 1 and worker["kind"] == "worker"
    assert report["jobs"] == {"pending": 0, "failing": 0, "failing_since": "-", "overdue_since": "-"}


def test_a_sqlite_backup_taken_while_the_database_is_in_use_restores_into_a_fresh_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the dashboard shows after the restore is what was there when the backup was taken."""
    use_data_dir(monkeypatch, tmp_path / "old")
    engine = get_engine()
    with session_scope(engine) as s:
        make_booking(s, make_room(s, name="Board Room"), at(0), at(1), subject="Quarterly review")
    reader = sqlite3.connect(tmp_path / "old" / "roomdesk.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM booking").fetchone()  # a reader holds a snapshot, as a page run would
    result = runner.invoke(app, ["backup", str(tmp_path / "room-desk.backup")])
    reader.close()
    assert result.exit_code == 0, result.output
    assert "Backed up the sqlite database" in result.output
    with session_scope(engine) as s:
        make_room(s, name="Added after the backup")

    use_data_dir(monkeypatch, tmp_path / "new")
    restored = runner.invoke(app, ["restore", str(tmp_path / "room-desk.backup")])
    assert restored.exit_code == 0, restored.output
    fresh = get_engine()
    with session_scope(fresh) as s:
        assert s.exec(select(Room.name)).all() == ["Board Room"]
        admin_id = make_user(s, username="boss", role="admin").id
    rooms_page = page("pages/rooms.py", user_id=admin_id).run()
    assert not rooms_page.exception
    assert "Board Room" in rooms_page.dataframe[0].value.to_string()
    assert "Added after the backup" not in rooms_page.dataframe[0].value.to_string()


def test_restore_refuses_to_overwrite_data_unless_told_and_refuses_foreign_files(data_dir: Path) -> None:
    engine = get_engine()
    with session_scope(engine) as s:
        make_room(s, name="Board Room")
    assert runner.invoke(app, ["backup", str(data_dir / "b.db")]).exit_code == 0
    refused = runner.invoke(app, ["restore", str(data_dir / "b.db")])
    assert refused.exit_code == 1 and "--replace" in refused.output
    assert runner.invoke(app, ["restore", str(data_dir / "b.db"), "--replace"]).exit_code == 0
    (data_dir / "notes.txt").write_text("not a database")
    foreign = runner.invoke(app, ["restore", str(data_dir / "notes.txt"), "--replace"])
    assert foreign.exit_code == 1 and "is not a Room Desk database backup" in foreign.output


@pytest.mark.postgres
def test_a_postgres_backup_restores_into_an_empty_database(pg_engine: Engine, postgres_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bindir = find_bindir()
    if bindir is None or not (bindir / "pg_dump").exists():
        pytest.skip("pg_dump not installed")
    upgrade(pg_engine)
    with session_scope(pg_engine) as s:
        make_booking(s, make_room(s, name="Board Room"), at(0), at(1))
    result = backups.backup(pg_engine, tmp_path / "pg.dump")
    assert result.kind == "postgresql" and result.size > 0
    import sqlalchemy as sa

    admin = sa.create_engine(postgres_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.exec_driver_sql('CREATE DATABASE "restored_ops"')
    target = make_engine(postgres_server.url("restored_ops"))
    try:
        backups.restore(target, tmp_path / "pg.dump")
        with session_scope(target) as s:
            assert s.exec(select(Room.name)).all() == ["Board Room"]
    finally:
        target.dispose()
        with admin.connect() as con:
            con.exec_driver_sql('DROP DATABASE "restored_ops" WITH (FORCE)')
        admin.dispose()
