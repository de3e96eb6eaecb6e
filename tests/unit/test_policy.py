"""The one permission policy, asked by every service that creates, moves or deletes a booking or a meeting.

Each service runs against each kind of user; an allowed user's change lands, a refused one's leaves nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access import addon
from core.admin.importing import import_bookings
from core.booking.appointments import AppointmentInput, save_appointment
from core.booking.start import start_meeting
from core.conflicts import desk
from core.kernel.db import session_scope
from core.kernel.errors import PermissionDenied
from core.kernel.models import Appointment, Booking, GotoMeetingData, Group, Room, RoomPermission, User
from core.series import occurrences
from core.series.agenda import delete_appointment
from core.series.booking import BOOK_ANYWAY, SeriesInput, save_series
from tests.conftest import at, make_group, make_room, make_user

KINDS = (
    "admin",
    "staff_with_room",
    "staff_without_room",
    "staff_outside_groups",
    "external_with_run_as",
    "external_without_run_as",
    "support",
)
MAY_BOOK = {"admin", "staff_with_room", "external_with_run_as"}
MAY_START = MAY_BOOK | {"staff_without_room"}  # starting needs GoTo rights, not a booking right on the room
MAY_IMPORT = {"admin"}


@dataclass
class World:
    engine: Engine
    user: User
    room_a: Room
    room_b: Room
    single: int  # an appointment in room A, organised by another admin
    clash: int  # another appointment overlapping it in room A
    series: int  # a weekly series in room A


def grant(session: Session, user: User, *rooms: Room) -> None:
    for room in rooms:
        session.add(RoomPermission(room_id=room.id, user_id=user.id, may_book=True))
    session.flush()


def build(engine: Engine, kind: str) -> World:
    with session_scope(engine) as s:
        owner = make_user(s, role="admin", password=None)
        bookers = make_group(s, "Bookers")
        external = s.exec(select(Group).where(Group.name == "External")).one()
        room_a, room_b = make_room(s, name="Room A"), make_room(s, name="Room B")
        addon.set_authorized_groups(s, user=owner, group_ids=[bookers.id, external.id])  # type: ignore[list-item]
        if kind == "admin":
            user = make_user(s, role="admin", password=None)
        elif kind in ("staff_with_room", "staff_without_room"):
            user = make_user(s, groups=("Bookers",), password=None)
        elif kind == "staff_outside_groups":
            user = make_user(s, password=None)
        elif kind.startswith("external"):
            user = make_user(s, groups=("External",), password=None)
        else:
            user = make_user(s, role="support", password=None)
        if kind in ("staff_with_room", "staff_outside_groups", "external_with_run_as", "external_without_run_as"):
            grant(s, user, room_a, room_b)
        if kind == "external_with_run_as":
            runner = make_user(s, groups=("Bookers",), password=None)
            grant(s, runner, room_a, room_b)
            addon.set_run_as_user(s, user=owner, run_as_user_id=runner.id)

        def appointment(subject: str, start: float, end: float) -> int:
            data = AppointmentInput(subject=subject, starts_at=at(start), ends_at=at(end), room_ids=(room_a.id,))
            return save_appointment(s, user=owner, data=data, confirm_overbooking=True).id  # type: ignore[return-value]

        single, clash = appointment("Single", 2, 3), appointment("Clash", 2.5, 3.5)
        s.add(GotoMeetingData(appointment_id=single, account="a@example.org", meeting_id="111", join_url="https://j/1"))
        series = save_series(
            s,
            user=owner,
            resolution=BOOK_ANYWAY,
            data=SeriesInput(
                AppointmentInput(subject="Weekly", starts_at=at(0), ends_at=at(1), room_ids=(room_a.id,)),
                "FREQ=WEEKLY;COUNT=4",
            ),
        ).series.id
        s.expunge_all()
    return World(engine, user, room_a, room_b, single, clash, series)  # type: ignore[arg-type]


def version(w: World, appointment_id: int) -> int:
    with session_scope(w.engine) as s:
        return s.get(Appointment, appointment_id).version  # type: ignore[union-attr]


def subject_of(w: World, appointment_id: int) -> str | None:
    with session_scope(w.engine) as s:
        appt = s.get(Appointment, appointment_id)
        return appt.subject if appt else None


def children(w: World) -> list[Appointment]:
    with session_scope(w.engine) as s:
        return list(s.exec(select(Appointment).where(Appointment.series_id == w.series)).all())


def exclusions(w: World) -> list[str]:
    with session_scope(w.engine) as s:
        return s.get(Appointment, w.series).exclusions  # type: ignore[union-attr]


def room_of(w: World, appointment_id: int) -> int:
    with session_scope(w.engine) as s:
        return s.exec(select(Booking.room_id).where(Booking.appointment_id == appointment_id)).one()


def booking_of(w: World, appointment_id: int) -> int:
    with session_scope(w.engine) as s:
        return s.exec(select(Booking.id).where(Booking.appointment_id == appointment_id)).one()  # type: ignore[return-value]


def series_input(w: World, subject: str) -> SeriesInput:
    appt = AppointmentInput(subject=subject, starts_at=at(0), ends_at=at(1), room_ids=(w.room_a.id,))
    return SeriesInput(appt, "FREQ=WEEKLY;COUNT=4")


class NoGoto:
    """Nothing here may reach GoTo: a refused user must be stopped before, an allowed one needs no call."""

    def __getattr__(self, name: str) -> Callable[..., object]:
        raise AssertionError(f"GoTo called: {name}")


def create_appointment(w: World) -> Callable[[], bool]:
    data = AppointmentInput(subject="New", starts_at=at(30), ends_at=at(31), room_ids=(w.room_a.id,))
    with session_scope(w.engine) as s:
        save_appointment(s, user=w.user, data=data)
    return lambda: True


def change_appointment(w: World) -> Callable[[], bool]:
    data = AppointmentInput(subject="Changed", starts_at=at(2), ends_at=at(3), room_ids=(w.room_b.id,))
    with session_scope(w.engine) as s:
        save_appointment(s, user=w.user, data=data, appointment_id=w.single, expected_version=version(w, w.single))
    return lambda: subject_of(w, w.single) == "Changed" and room_of(w, w.single) == w.room_b.id


def delete_an_appointment(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        delete_appointment(s, user=w.user, appointment_id=w.single, expected_version=version(w, w.single))
    return lambda: subject_of(w, w.single) is None


def open_an_occurrence(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        occurrences.open_occurrence(s, user=w.user, series_id=w.series, start=at(0, day=7))
    return lambda: [c.recurrence_id for c in children(w)] == [at(0, day=7)]


def edit_an_occurrence(w: World) -> Callable[[], bool]:
    data = AppointmentInput(subject="Only this", starts_at=at(0, day=7), ends_at=at(1, day=7), room_ids=(w.room_a.id,))
    with session_scope(w.engine) as s:
        occurrences.edit_occurrence(s, user=w.user, series_id=w.series, start=at(0, day=7), data=data)
    return lambda: [c.subject for c in children(w)] == ["Only this"]


def delete_an_occurrence(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        occurrences.delete_occurrence(s, user=w.user, series_id=w.series, start=at(0, day=7))
    return lambda: exclusions(w) == ["2026-12-14"] and at(0, day=7) not in series_starts(w)


def create_a_series(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        saved = save_series(s, user=w.user, data=series_input(w, "Mine"), resolution=BOOK_ANYWAY)
        new = saved.series.id
    return lambda: subject_of(w, new) == "Mine"  # type: ignore[arg-type]


def change_a_series(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        save_series(
            s,
            user=w.user,
            data=series_input(w, "Renamed"),
            series_id=w.series,
            expected_version=version(w, w.series),
            resolution=BOOK_ANYWAY,
        )
    return lambda: subject_of(w, w.series) == "Renamed"


def end_a_series(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        occurrences.end_series(
            s, user=w.user, series_id=w.series, start=at(0, day=14), expected_version=version(w, w.series)
        )
    return lambda: series_starts(w) == [at(0), at(0, day=7)]


def series_starts(w: World) -> list[object]:
    with session_scope(w.engine) as s:
        return sorted(s.exec(select(Booking.starts_at).where(Booking.appointment_id == w.series)).all())


def split_a_series(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        occurrences.split_series(
            s,
            user=w.user,
            series_id=w.series,
            start=at(0, day=14),
            data=series_input(w, "From the 21st"),
            expected_version=version(w, w.series),
            resolution=BOOK_ANYWAY,
        )
    return lambda: series_starts(w) == [at(0), at(0, day=7)] and subject_of(w, w.series) == "Weekly"


def move_at_the_desk(w: World) -> Callable[[], bool]:
    desk.move_booking(w.engine, user=w.user, booking_id=booking_of(w, w.clash), room_id=w.room_b.id, api=NoGoto())  # type: ignore[arg-type]
    return lambda: room_of(w, w.clash) == w.room_b.id


def resolve_all(w: World) -> Callable[[], bool]:
    failures = desk.apply_resolution(w.engine, user=w.user, moves={booking_of(w, w.clash): w.room_b.id}, api=NoGoto())  # type: ignore[arg-type]
    if failures:
        raise PermissionDenied(str(failures))
    return lambda: room_of(w, w.clash) == w.room_b.id


def start_a_meeting(w: World) -> Callable[[], bool]:
    with session_scope(w.engine) as s:
        result = start_meeting(s, user=w.user, appointment_id=w.single, api=NoGoto())  # type: ignore[arg-type]
    return lambda: result.url == "https://j/1" and not result.as_host  # not a participant: the join link


def import_a_file(w: World) -> Callable[[], bool]:
    csv = "room,goto_account,subject,start,end,organizer\nRoom B,,Imported,2026-12-08T09:00:00+01:00,2026-12-08T10:00:00+01:00,x\n"
    with session_scope(w.engine) as s:
        import_bookings(s, source=io.StringIO(csv), create_rooms=False, actor=w.user)
    with session_scope(w.engine) as s:
        imported = s.exec(select(Appointment.id).where(Appointment.subject == "Imported")).first()
    return lambda: imported is not None


SERVICES = {
    create_appointment: MAY_BOOK,
    change_appointment: MAY_BOOK,
    delete_an_appointment: MAY_BOOK,
    open_an_occurrence: MAY_BOOK,
    edit_an_occurrence: MAY_BOOK,
    delete_an_occurrence: MAY_BOOK,
    create_a_series: MAY_BOOK,
    change_a_series: MAY_BOOK,
    end_a_series: MAY_BOOK,
    split_a_series: MAY_BOOK,
    move_at_the_desk: MAY_BOOK,
    resolve_all: MAY_BOOK,
    start_a_meeting: MAY_START,
    import_a_file: MAY_IMPORT,
}


def snapshot(w: World) -> tuple[object, ...]:
    with session_scope(w.engine) as s:
        appts = sorted((a.id, a.subject, a.version, a.rrule, tuple(a.exclusions)) for a in s.exec(select(Appointment)))
        bookings = sorted((b.id, b.appointment_id, b.room_id) for b in s.exec(select(Booking)))
    return tuple(appts), tuple(bookings)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("service", list(SERVICES), ids=lambda f: f.__name__)
def test_every_service_asks_the_one_policy(engine: Engine, service, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Allowed users get the change; refused ones get PermissionDenied and not a row changed."""
    world = build(engine, kind)
    if kind in SERVICES[service]:
        assert service(world)(), f"{service.__name__} did not happen for {kind}"
    else:
        before = snapshot(world)
        with pytest.raises(PermissionDenied):
            service(world)
        assert snapshot(world) == before
