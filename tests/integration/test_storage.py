"""Storage on SQLite and PostgreSQL: migrations match the models, UTC round trips, race-safe booking."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.db import make_engine, session_scope, upgrade
from core.kernel.errors import OverbookingWarning, StaleAppointment
from core.kernel.models import Appointment, Booking, Group
from tests.conftest import at, make_room, make_user


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_sqlite_upgrade_from_empty_matches_the_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    upgrade(engine)
    assert schema_differences(engine) == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with session_scope(engine) as s:
        assert sorted(g.name for g in s.exec(select(Group))) == ["All", "External", "None"]


@pytest.mark.postgres
def test_postgres_upgrade_from_empty_matches_the_models(pg_engine: Engine) -> None:
    upgrade(pg_engine)
    assert schema_differences(pg_engine) == []
    upgrade(pg_engine)  # a second start finds nothing to do


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    upgrade(engine)
    return engine


def test_times_come_back_utc_aware_whatever_zone_went_in(any_engine: Engine) -> None:
    from zoneinfo import ZoneInfo

    berlin = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # just after the spring DST jump
    with session_scope(any_engine) as s:
        user = make_user(s)
        appt = save_appointment(
            s, user=user, data=AppointmentInput(subject="DST", starts_at=berlin, ends_at=berlin + timedelta(hours=1))
        )
    with session_scope(any_engine) as s:
        stored = s.get(Appointment, appt.id)
        assert stored.starts_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert stored.starts_at.tzinfo == UTC


def test_foreign_keys_are_enforced(any_engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), session_scope(any_engine) as s:
        s.add(Booking(appointment_id=12345, room_id=67890, starts_at=at(0), ends_at=at(1)))
        s.flush()


def test_concurrent_edits_the_second_save_is_refused(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        user = make_user(s)
        appt = save_appointment(s, user=user, data=AppointmentInput(subject="v1", starts_at=at(0), ends_at=at(1)))
    results: list[str] = []
    barrier = threading.Barrier(2)

    def edit(subject: str) -> None:
        barrier.wait()
        try:
            with session_scope(any_engine, immediate=True) as s:
                save_appointment(
                    s,
                    user=user,
                    appointment_id=appt.id,
                    expected_version=1,
                    data=AppointmentInput(subject=subject, starts_at=at(0), ends_at=at(1)),
                )
            results.append(subject)
        except StaleAppointment:
            results.append("stale")

    threads = [threading.Thread(target=edit, args=(name,)) for name in ("Alice", "Bob")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results)[1] == "stale" and len(results) == 2
    winner = next(r for r in results if r != "stale")
    with session_scope(any_engine) as s:
        stored = s.get(Appointment, appt.id)
        assert (stored.subject, stored.version) == (winner, 2)


def test_parallel_bookings_of_one_room_never_overbook_unwarned(any_engine: Engine) -> None:
    """Eight people book the same slot at once without confirming: exactly one gets it, the rest are warned."""
    with session_scope(any_engine) as s:
        user = make_user(s)
        room = make_room(s, bookable_by=user)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def book(n: int) -> None:
        barrier.wait()
        try:
            with session_scope(any_engine, immediate=True) as s:
                save_appointment(
                    s,
                    user=user,
                    data=AppointmentInput(subject=f"call {n}", starts_at=at(0), ends_at=at(1), room_ids=(room.id,)),
                )
            outcomes.append("booked")
        except OverbookingWarning:
            outcomes.append("warned")

    threads = [threading.Thread(target=book, args=(n,)) for n in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["booked"] + ["warned"] * 7
    with session_scope(any_engine) as s:
        assert len(s.exec(select(Booking).where(Booking.room_id == room.id)).all()) == 1
