"""The conflict desk against the sandbox: free rooms per booking, moves that take the meeting along, resolve all."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.booking.appointments import AppointmentInput, save_appointment
from core.conflicts import desk as conflict_desk
from core.conflicts.sweep import window_conflicts
from core.kernel.db import session_scope
from core.kernel.models import AuditEntry, Booking
from core.meetings import jobs as meetings
from tests.conftest import at, make_room
from tests.goto.harness import SandboxAdmin
from tests.integration.linking import link_room, linkable_room, linked_room


@pytest.fixture
def two_rooms(engine: Engine, goto, sandbox):  # type: ignore[no-untyped-def]
    first = linked_room(engine, goto, sandbox)
    second = linkable_room(engine, sandbox)
    second.admin = first.admin
    link_room(engine, goto, second)
    return first, second


def booking_of(engine: Engine, appointment_id: int) -> int:
    with session_scope(engine) as s:
        return s.exec(select(Booking.id).where(Booking.appointment_id == appointment_id)).one()  # type: ignore[return-value]


def book(engine: Engine, setup, subject: str, start: float, end: float, *, room=None) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        appt = save_appointment(
            s,
            user=setup.admin,
            confirm_overbooking=True,
            data=AppointmentInput(
                subject=subject, starts_at=at(start), ends_at=at(end), note="mine", room_ids=((room or setup.room).id,)
            ),
        )
    return appt.id  # type: ignore[return-value]


def test_the_desk_lists_each_slot_with_rooms_free_for_the_whole_appointment(
    engine: Engine, goto, sandbox, two_rooms
) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    a = book(engine, first, "Board", 24, 26)
    b = book(engine, first, "Pitch", 25, 27)
    book(engine, second, "Blocks room two for Pitch only", 26.5, 28, room=second.room)
    with session_scope(engine) as s:
        [slot] = conflict_desk.conflict_list(s, user=first.admin, start=at(0), end=at(72))
    free = {i.subject: [name for _, name in i.free_rooms] for i in slot.appointments}
    assert slot.concurrency == 2 and {i.appointment_id for i in slot.appointments} == {a, b}
    assert free == {"Board": [second.room.name], "Pitch": []}


def test_a_move_takes_the_meeting_to_the_new_account(engine: Engine, goto, sandbox, two_rooms) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    book(engine, first, "Board", 24, 26)
    moved = book(engine, first, "Pitch", 25, 27)
    meetings.run_due(engine, goto.client)
    old = meetings.sync_now(engine, goto.client, moved)
    result = conflict_desk.move_booking(
        engine, user=first.admin, booking_id=booking_of(engine, moved), room_id=second.room.id, api=goto.client
    )
    new = meetings.sync_now(engine, goto.client, moved)
    assert result.meeting.state == "created" and result.meeting.meeting_id == new.meeting_id
    assert new.meeting_id != old.meeting_id
    assert [m.meeting_id for m in goto.client.upcoming_meetings(second.email)] == [new.meeting_id]
    assert old.meeting_id not in [m.meeting_id for m in goto.client.upcoming_meetings(first.email)]
    with session_scope(engine) as s:
        assert window_conflicts(s, start=at(0), end=at(72)).slots.empty
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "appointment.move")).one().after == {
            "room_id": second.room.id
        }


def test_a_move_that_fails_at_goto_keeps_the_booking_moved_and_its_meeting_pending_until_goto_answers(
    engine: Engine, goto, sandbox, two_rooms
) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    book(engine, first, "Board", 24, 26)
    moved = book(engine, first, "Pitch", 25, 27)
    meetings.run_due(engine, goto.client)
    old = meetings.sync_now(engine, goto.client, moved)
    control = SandboxAdmin(sandbox)
    control.fault("500", count=20, path_prefix="/G2M/rest/meetings")
    try:
        result = conflict_desk.move_booking(
            engine, user=first.admin, booking_id=booking_of(engine, moved), room_id=second.room.id, api=goto.client
        )
    finally:
        control.reset_faults()
        control.http.close()
    assert result.meeting.state == "pending" and result.meeting.error
    with session_scope(engine) as s:
        assert s.exec(select(Booking.room_id).where(Booking.appointment_id == moved)).one() == second.room.id
    retried = meetings.sync_now(engine, goto.client, moved)  # the worker's retry, once GoTo answers again
    assert retried.state == "created"
    assert [m.meeting_id for m in goto.client.upcoming_meetings(second.email)] == [retried.meeting_id]
    assert old.meeting_id not in [m.meeting_id for m in goto.client.upcoming_meetings(first.email)]


def test_resolve_all_previews_the_fewest_moves_and_applies_them(engine: Engine, goto, sandbox, two_rooms) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    for n in range(3):  # three clashing pairs on room one, room two free
        book(engine, first, f"A{n}", 24 + 3 * n, 26 + 3 * n)
        book(engine, first, f"B{n}", 25 + 3 * n, 27 + 3 * n)
    with session_scope(engine) as s:
        preview = conflict_desk.preview_resolution(s, user=first.admin, start=at(0), end=at(72))
    assert len(preview.rows) == 3 and preview.extra_accounts == 0
    assert {r.to_room for r in preview.rows} == {second.room.name}
    failures = conflict_desk.apply_resolution(engine, user=first.admin, moves=preview.moves, api=goto.client)
    assert failures == {}
    with session_scope(engine) as s:
        assert window_conflicts(s, start=at(0), end=at(72)).slots.empty


def test_resolve_all_says_how_many_accounts_are_missing(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    for subject in ["One", "Two", "Three"]:
        book(engine, setup, subject, 24, 25)
    with session_scope(engine) as s:
        make_room(s, name="Spare")  # free, but nobody but admins may book it; admins organise here
        preview = conflict_desk.preview_resolution(s, user=setup.admin, start=at(0), end=at(72))
    assert preview.extra_accounts == 1 and len(preview.rows) == 1
    [(start, end, subjects)] = preview.unplaced
    assert (start, end) == (at(24), at(25)) and len(subjects) == 1


def test_a_move_can_renotify_the_participants(engine: Engine, goto, sandbox, two_rooms) -> None:  # type: ignore[no-untyped-def]
    from core.kernel.models import OutboxMessage

    first, second = two_rooms
    book(engine, first, "Board", 24, 26)
    with session_scope(engine) as s:
        moved = save_appointment(
            s,
            user=first.admin,
            confirm_overbooking=True,
            data=AppointmentInput(
                subject="Pitch",
                starts_at=at(25),
                ends_at=at(27),
                room_ids=(first.room.id,),
                external_emails=("guest@example.org",),
            ),
        ).id
    conflict_desk.move_booking(
        engine,
        user=first.admin,
        booking_id=booking_of(engine, moved),
        room_id=second.room.id,
        api=goto.client,
        notify=True,
    )
    new = meetings.sync_now(engine, goto.client, moved)
    with session_scope(engine) as s:
        [mail] = s.exec(select(OutboxMessage)).all()
    assert mail.recipients == "guest@example.org" and new.join_url in mail.body


def weekly(engine: Engine, setup, subject: str = "Weekly") -> int:  # type: ignore[no-untyped-def]
    from core.series.booking import BOOK_ANYWAY, SeriesInput, save_series

    with session_scope(engine) as s:
        saved = save_series(
            s,
            user=setup.admin,
            resolution=BOOK_ANYWAY,
            data=SeriesInput(
                AppointmentInput(
                    subject=subject, starts_at=at(0), ends_at=at(1), time_zone="UTC", room_ids=(setup.room.id,)
                ),
                "FREQ=WEEKLY;COUNT=4",
            ),
        )
    return saved.series.id  # type: ignore[return-value]


def test_the_desk_shows_an_occurrence_with_its_own_times_and_the_rooms_free_on_its_date(
    engine: Engine, goto, sandbox, two_rooms
) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    series = weekly(engine, first)
    book(engine, first, "Clash on the 21st", 14 * 24 + 0.5, 14 * 24 + 2)
    book(engine, second, "Room two is taken on the 7th only", 0, 1, room=second.room)
    with session_scope(engine) as s:
        [slot] = conflict_desk.conflict_list(s, user=first.admin, start=at(0), end=at(40 * 24))
    [occurrence] = [i for i in slot.appointments if i.appointment_id == series]
    assert (occurrence.start, occurrence.end, occurrence.series_id) == (at(0, day=14), at(1, day=14), series)
    assert [name for _, name in occurrence.free_rooms] == [second.room.name]


def test_moving_an_occurrence_moves_that_occurrence_only_and_makes_no_meeting_for_the_series(
    engine: Engine, goto, sandbox, two_rooms
) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    series = weekly(engine, first)
    book(engine, first, "Clash on the 21st", 14 * 24 + 0.5, 14 * 24 + 2)
    meetings.run_due(engine, goto.client)
    with session_scope(engine) as s:
        [slot] = conflict_desk.conflict_list(s, user=first.admin, start=at(0), end=at(40 * 24))
    [occurrence] = [i for i in slot.appointments if i.appointment_id == series]
    moved = conflict_desk.move_booking(
        engine, user=first.admin, booking_id=occurrence.booking_id, room_id=second.room.id, api=goto.client
    )
    assert moved.appointment_id == series and moved.meeting.state == "none"
    with session_scope(engine) as s:
        rooms = dict(s.exec(select(Booking.starts_at, Booking.room_id).where(Booking.appointment_id == series)).all())
        assert window_conflicts(s, start=at(0), end=at(40 * 24)).slots.empty
    assert {day: rooms[at(0, day=day)] for day in (0, 7, 14, 21)} == {
        0: first.room.id,
        7: first.room.id,
        14: second.room.id,
        21: first.room.id,
    }
    assert goto.client.upcoming_meetings(second.email) == []


def test_resolve_all_plans_each_clashing_occurrence_of_one_series_on_its_own(
    engine: Engine, goto, sandbox, two_rooms
) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    series = weekly(engine, first)
    for day in (7, 14):  # each clash can only be fixed by moving the occurrence: room two is busy later
        book(engine, first, f"Clash on day {day}", day * 24, day * 24 + 3)
        book(engine, second, f"Room two later on day {day}", day * 24 + 2, day * 24 + 3, room=second.room)
    with session_scope(engine) as s:
        preview = conflict_desk.preview_resolution(s, user=first.admin, start=at(0), end=at(40 * 24))
    assert [(r.appointment_id, r.start) for r in preview.rows] == [(series, at(0, day=7)), (series, at(0, day=14))]
    assert conflict_desk.apply_resolution(engine, user=first.admin, moves=preview.moves, api=goto.client) == {}
    with session_scope(engine) as s:
        assert window_conflicts(s, start=at(0), end=at(40 * 24)).slots.empty
        assert s.exec(select(Booking).where(Booking.appointment_id == series)).all()
