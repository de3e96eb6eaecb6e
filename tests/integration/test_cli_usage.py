"""`roomdesk usage`: the numbers per room and period as a table, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli.main import app
from core.kernel.config import get_settings
from core.kernel.db import get_engine, session_scope
from core.kernel.models import HistoryCursor, MeetingSession
from tests.conftest import make_booking, make_room

DAY = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=2)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


runner = CliRunner()


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two rooms two days ago: one held booking, one no-show, one session nobody booked; collected a day later."""
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    with session_scope(get_engine()) as s:
        a = make_room(s, name="Sales 1", goto_account="a@example.org")
        b = make_room(s, name="Board Room", goto_account="b@example.org")
        make_booking(s, a, at(0), at(1), "Held")
        make_booking(s, b, at(2), at(3), "Nobody came")
        for key, room, start, hours, people in [("1", a, at(0), 0.75, 4), ("2", b, at(5), 0.5, 2)]:
            s.add(
                MeetingSession(
                    account=room.goto_account,
                    session_key=key,
                    room_id=room.id,
                    meeting_id=f"9{key}",
                    starts_at=start,
                    ends_at=start + timedelta(hours=hours),
                    attendees=people,
                )
            )
        for account in ("a@example.org", "b@example.org"):
            s.add(HistoryCursor(account=account, collected_until=at(24)))
    yield tmp_path
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_usage_json_has_the_numbers_per_room_and_the_real_peak(seeded: Path) -> None:
    result = runner.invoke(app, ["usage", "--from", at(-9).isoformat(), "--to", at(15).isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    rows = {r["room"]: r for r in doc["rows"]}
    assert rows["Sales 1"]["hours_held"] == 0.75
    assert (rows["Sales 1"]["no_shows"], rows["Sales 1"]["unbooked_use"], rows["Sales 1"]["attendees"]) == (0, 0, 4)
    assert (rows["Board Room"]["no_shows"], rows["Board Room"]["unbooked_use"]) == (1, 1)
    assert (doc["peak_sessions"], doc["accounts"]) == (1, 2)
    assert sorted(e["kind"] for e in doc["events"]) == ["no_show", "unbooked_use"]


def test_usage_csv_and_table(seeded: Path) -> None:
    window = ["--from", at(-9).isoformat(), "--to", at(15).isoformat(), "--by", "week"]
    out = runner.invoke(app, ["usage", *window, "--csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    week = "{}-W{:02d}".format(*DAY.isocalendar()[:2])
    assert [(r["room"], r["period"], r["hours_booked"]) for r in rows] == [
        ("Board Room", week, "1.0"),
        ("Sales 1", week, "1.0"),
    ]
    table = runner.invoke(app, ["usage", *window])
    assert "You held at most 1 meeting(s) at once" in table.output and "you have 2 account(s)" in table.output


def test_usage_refuses_an_unknown_period(seeded: Path) -> None:
    result = runner.invoke(app, ["usage", "--from", "2026-12-07", "--to", "2026-12-08", "--by", "year"])
    assert result.exit_code == 2 and "day, week, month" in result.output
