"""Booking import: a good file lands completely, a file with any bad row is rejected whole, naming its lines."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.admin.importing import import_bookings
from core.kernel.db import make_engine, session_scope, upgrade
from core.kernel.errors import ImportRejected
from core.kernel.models import Appointment, AuditEntry, Booking, Room
from tests.conftest import make_room, make_user

HEADER = "room,goto_account,subject,start,end,organizer"
GOOD = "Sales 1,Room1@Example.org,Kick-off,2026-12-07T09:00:00+01:00,2026-12-07T10:00:00+01:00,anna"


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    upgrade(engine)
    return engine


def run(engine: Engine, text: str, *, create_rooms: bool = True, **kw) -> object:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return import_bookings(s, source=io.StringIO(text), create_rooms=create_rooms, **kw)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("room", "appointment", "booking", "audit")
        }


def test_a_good_file_creates_rooms_appointments_and_matching_bookings(db: Engine) -> None:
    with session_scope(db) as s:
        anna = make_user(s, username="anna")
        ben = make_user(s, username="ben")
        ben.email = "Ben@Example.org"
        make_room(s, name="Board Room", goto_account="board@example.org")
    text = (
        "\n".join(
            [
                HEADER + ",notes",
                GOOD + ",ignored",
                "sales 1,,Review,2026-12-07T10:00Z,2026-12-07T11:30Z,ben@example.org,",
                "Board Room,BOARD@example.org,Budget,2026-12-08T08:00-05:00,2026-12-08T09:00-05:00,Guest,",
                "Training,,Onboarding,2026-12-09T09:00Z,2026-12-09T10:00Z,Somebody Else,",
            ]
        )
        + "\n"
    )
    result = run(db, text)
    assert (result.rows, result.rooms_created, result.room_names) == (4, 2, ("Sales 1", "Training"))
    with session_scope(db) as s:
        rooms = {r.name: r for r in s.exec(select(Room))}
        assert rooms["Sales 1"].goto_account == "room1@example.org" and rooms["Training"].goto_account is None
        appts = {a.subject: a for a in s.exec(select(Appointment))}
        bookings = {b.appointment_id: b for b in s.exec(select(Booking))}
        assert appts["Kick-off"].starts_at == datetime(2026, 12, 7, 8, tzinfo=UTC)
        assert appts["Budget"].ends_at == datetime(2026, 12, 8, 14, tzinfo=UTC)
        assert (appts["Kick-off"].organizer_id, appts["Kick-off"].organizer_name) == (anna.id, "anna")
        assert (appts["Review"].organizer_id, appts["Review"].organizer_name) == (ben.id, "ben@example.org")
        assert (appts["Budget"].organizer_id, appts["Budget"].organizer_name) == (None, "Guest")
        assert {a.time_zone for a in appts.values()} == {"UTC"}
        assert bookings[appts["Review"].id].room_id == rooms["Sales 1"].id
        assert bookings[appts["Budget"].id].room_id == rooms["Board Room"].id
        for appt in appts.values():
            booking = bookings[appt.id]
            assert (booking.starts_at, booking.ends_at) == (appt.starts_at, appt.ends_at)
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "bookings.import")).all()
        assert [e.after["rows"] for e in entries] == [4]  # type: ignore[index]


def test_a_timezone_column_sets_the_appointments_time_zone(db: Engine) -> None:
    run(db, f"{HEADER},timezone\n{GOOD},Europe/Berlin\n{GOOD.replace('Kick-off', 'Other')},\n")
    with session_scope(db) as s:
        assert {a.subject: a.time_zone for a in s.exec(select(Appointment))} == {
            "Kick-off": "Europe/Berlin",
            "Other": "UTC",
        }


def test_existing_rooms_are_used_without_create_rooms(db: Engine) -> None:
    with session_scope(db) as s:
        room = make_room(s, name="Sales 1", goto_account="room1@example.org")
    run(db, f"{HEADER}\n{GOOD}\n", create_rooms=False)
    with session_scope(db) as s:
        assert [b.room_id for b in s.exec(select(Booking))] == [room.id]


def bad(line: str, **change: str) -> str:
    """GOOD with some fields replaced."""
    fields = dict(zip(HEADER.split(","), GOOD.split(",")))
    fields.update(change)
    return ",".join(fields.values()) if line == "" else line


@pytest.mark.parametrize(
    ("rows", "lines", "words"),
    [
        ([bad("", end="2026-12-07T09:00:00+01:00")], [3], "end must be after"),
        ([bad("", start="next monday")], [3], "“next monday”"),
        ([bad("", start="2026-12-07T09:00:00")], [3], "no UTC offset"),
        ([bad("", subject=""), bad("", organizer=" ")], [3, 4], "subject"),
        ([bad("", room="Nowhere")], [3], "Nowhere"),
        ([bad("", goto_account="other@example.org")], [3], "other@example.org"),
        ([bad("", goto_account="not-an-address")], [3], "not-an-address"),
        ([bad("", end="2026-12-09T09:00:00+01:00")], [3], "24 hours"),
        ([bad("", room="Sales 2", goto_account="board@example.org")], [3], "Board Room"),
        (
            [bad("", room="New", goto_account="x@example.org"), bad("", room="New", goto_account="y@example.org")],
            [4],
            "x@example.org",
        ),
    ],
)
def test_every_kind_of_bad_row_rejects_the_whole_file_naming_its_lines(
    db: Engine, rows: list[str], lines: list[int], words: str
) -> None:
    with session_scope(db) as s:
        make_room(s, name="Sales 1", goto_account="room1@example.org")
        make_room(s, name="Board Room", goto_account="board@example.org")
    before = counts(db)
    text = "\n".join([HEADER, GOOD, *rows, GOOD]) + "\n"
    with pytest.raises(ImportRejected) as caught:
        run(db, text, create_rooms=words != "Nowhere")
    assert [line for line, _ in caught.value.problems] == lines
    assert words in caught.value.problems[0][1]
    assert counts(db) == before


def test_a_missing_column_rejects_the_file_at_the_header(db: Engine) -> None:
    with pytest.raises(ImportRejected) as caught:
        run(db, "room,subject,start,end,organizer\nA,B,2026-12-07T09:00Z,2026-12-07T10:00Z,x\n")
    assert caught.value.problems[0][0] == 1 and "goto_account" in caught.value.problems[0][1]
    assert counts(db)["appointment"] == 0


def test_line_numbers_count_blank_lines_and_line_breaks_inside_quotes(db: Engine) -> None:
    text = "\n".join([HEADER, GOOD, "", bad("", subject='"two\nlines"'), bad("", end="x")]) + "\n"
    with pytest.raises(ImportRejected) as caught:
        run(db, text)
    assert [line for line, _ in caught.value.problems] == [6]


def test_all_problems_are_reported_at_once_and_a_row_with_two_problems_names_both(db: Engine) -> None:
    text = "\n".join([HEADER, bad("", start="x", goto_account="nope"), GOOD, bad("", end="y")]) + "\n"
    with pytest.raises(ImportRejected) as caught:
        run(db, text)
    assert [line for line, _ in caught.value.problems] == [2, 4]
    assert "nope" in caught.value.problems[0][1] and "“x”" in caught.value.problems[0][1]


def test_large_files_report_progress_in_chunks_and_import_from_a_path(db: Engine, tmp_path: Path) -> None:
    start = datetime(2026, 12, 7, 8, tzinfo=UTC)
    rows = [
        f"Room {i % 7},,Call {i},{(start + timedelta(minutes=i)).isoformat()},"
        f"{(start + timedelta(minutes=i + 45)).isoformat()},x"
        for i in range(12_000)
    ]
    path = tmp_path / "big.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    with session_scope(db) as s:
        result = import_bookings(s, source=path, create_rooms=True, progress=lambda d, t: seen.append((d, t)))
    assert result.rows == 12_000 and result.rooms_created == 7
    assert seen[0] == (0, 12_000) and seen[-1] == (12_000, 12_000) and len(seen) >= 3
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert counts(db)["booking"] == 12_000
