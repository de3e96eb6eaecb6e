"""`roomdesk import bookings` and `roomdesk conflicts` end to end against the configured SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from core.cli.bookings import conflicts_command, import_app
from core.kernel.config import get_settings
from core.kernel.db import get_engine

HEADER = "room,goto_account,subject,start,end,organizer"
FILE = [
    HEADER,
    "Sales 1,room1@example.org,Kick-off,2026-12-07T09:00:00+01:00,2026-12-07T11:00:00+01:00,anna",
    "Sales 1,room1@example.org,Review,2026-12-07T10:00:00+01:00,2026-12-07T12:00:00+01:00,ben",
    "Sales 1,room1@example.org,Call,2026-12-07T10:30:00+01:00,2026-12-07T10:45:00+01:00,clara",
    "Sales 1,room1@example.org,Follow-up,2026-12-07T12:00:00+01:00,2026-12-07T13:00:00+01:00,ben",
    "Board,board@example.org,Budget,2026-12-08T08:00:00Z,2026-12-08T09:00:00Z,mia",
    "Board,board@example.org,All hands,2026-12-08T08:30:00Z,2026-12-08T10:00:00Z,mia",
    "Board,board@example.org,Later,2026-12-09T08:30:00Z,2026-12-09T10:00:00Z,mia",
]


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(import_app, name="import")
    app.command("conflicts")(conflicts_command)
    return app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield tmp_path / "data"
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "bookings.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_then_conflicts_json_lists_every_slot_overlapping_the_window_whole(
    data_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    done = runner.invoke(cli(), ["import", "bookings", str(write(tmp_path, FILE)), "--create-rooms"])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip().splitlines() == [
        "Imported 7 booking(s) from bookings.csv, created 2 room(s): Sales 1, Board."
    ]
    shown = runner.invoke(cli(), ["conflicts", "--from", "2026-12-07T09:45:00+00:00", "--to", "2026-12-09", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == [
        {
            "room": "Board",
            "start": "2026-12-08T08:30:00+00:00",
            "end": "2026-12-08T09:00:00+00:00",
            "concurrency": 2,
            "subjects": ["All hands", "Budget"],
        },
        {
            "room": "Sales 1",
            "start": "2026-12-07T09:00:00+00:00",
            "end": "2026-12-07T10:00:00+00:00",
            "concurrency": 3,
            "subjects": ["Call", "Kick-off", "Review"],
        },
    ]
    table = runner.invoke(cli(), ["conflicts", "--from", "2026-12-07", "--to", "2026-12-08"])
    assert table.exit_code == 0
    assert "Sales 1" in table.stdout and "Call · Kick-off · Review" in table.stdout and "Board" not in table.stdout
    assert "1 overbooked slot(s)." in table.stdout


def test_a_bad_file_exits_non_zero_names_its_lines_and_imports_nothing(data_dir: Path, tmp_path: Path) -> None:
    lines = FILE.copy()
    lines[2] = lines[2].replace("2026-12-07T12:00:00+01:00", "2026-12-07T09:30:00+01:00")  # ends before it starts
    lines[5] = lines[5].replace("2026-12-08T08:00:00Z", "2026-12-08T08:00:00")  # no UTC offset
    result = CliRunner().invoke(cli(), ["import", "bookings", str(write(tmp_path, lines)), "--create-rooms"])
    assert result.exit_code == 1
    assert "not imported" in result.stderr
    assert [line.split(":")[0] for line in result.stderr.splitlines()[1:]] == ["line 3", "line 6"]
    with get_engine().connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM booking")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM room")).scalar_one() == 0


def test_bad_window_options_exit_with_code_two_and_say_which(data_dir: Path) -> None:
    runner = CliRunner()
    wrong = runner.invoke(cli(), ["conflicts", "--from", "yesterday", "--to", "2026-12-08"])
    assert wrong.exit_code == 2 and "--from" in wrong.stderr and "yesterday" in wrong.stderr
    backwards = runner.invoke(cli(), ["conflicts", "--from", "2026-12-08", "--to", "2026-12-07"])
    assert backwards.exit_code == 2 and "--to" in backwards.stderr


def test_conflicts_on_an_empty_database_says_so_and_seeds_nothing(data_dir: Path) -> None:
    result = CliRunner().invoke(cli(), ["conflicts", "--from", "2026-12-07", "--to", "2026-12-08", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    with get_engine().connect() as conn:
        assert conn.execute(sa.text('SELECT count(*) FROM "user"')).scalar_one() == 0


@pytest.mark.postgres
def test_import_and_conflicts_work_the_same_on_postgresql(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOMDESK_DATABASE_URL", pg_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        runner = CliRunner()
        done = runner.invoke(cli(), ["import", "bookings", str(write(tmp_path, FILE)), "--create-rooms"])
        assert done.exit_code == 0, done.output
        shown = runner.invoke(cli(), ["conflicts", "--from", "2026-12-07", "--to", "2026-12-10", "--json"])
        assert [(s["room"], s["start"], s["concurrency"], s["subjects"]) for s in json.loads(shown.stdout)] == [
            ("Board", "2026-12-08T08:30:00+00:00", 2, ["All hands", "Budget"]),
            ("Sales 1", "2026-12-07T09:00:00+00:00", 3, ["Call", "Kick-off", "Review"]),
        ]
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
