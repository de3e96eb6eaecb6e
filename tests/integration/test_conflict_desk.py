"""The conflict desk against the sandbox: free rooms per appointment, moves that take the meeting along, resolve all."""

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
    conflict_desk.move_appointment(
        engine, user=first.admin, appointment_id=moved, room_id=second.room.id, api=goto.client
    )
    new = meetings.sync_now(engine, goto.client, moved)
    assert new.meeting_id != old.meeting_id
    assert [m.meeting_id for m in goto.client.upcoming_meetings(second.email)] == [new.meeting_id]
    assert old.meeting_id not in [m.meeting_id for m in goto.client.upcoming_meetings(first.email)]
    with session_scope(engine) as s:
        assert window_conflicts(s, start=at(0), end=at(72)).slots.empty
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "appointment.move")).one().after == {
            "room_id": second.room.id
        }


def test_a_move_that_fails_at_goto_leaves_the_appointment_where_it_was(
    engine: Engine, goto, sandbox, two_rooms
) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    book(engine, first, "Board", 24, 26)
    moved = book(engine, first, "Pitch", 25, 27)
    control = SandboxAdmin(sandbox)
    control.fault("500", count=20, path_prefix="/G2M/rest/meetings")
    try:
        with pytest.raises(conflict_desk.MoveFailed) as caught:
            conflict_desk.move_appointment(
                engine, user=first.admin, appointment_id=moved, room_id=second.room.id, api=goto.client
            )
    finally:
        control.reset_faults()
        control.http.close()
    assert "stays where it was" in caught.value.message("en")
    with session_scope(engine) as s:
        assert s.exec(select(Booking.room_id).where(Booking.appointment_id == moved)).one() == first.room.id
    assert goto.client.upcoming_meetings(second.email) == []


def test_resolve_all_previews_the_fewest_moves_and_applies_them(engine: Engine, goto, sandbox, two_rooms) -> None:  # type: ignore[no-untyped-def]
    first, second = two_rooms
    for n in range(3):  # three clashing pairs on room one, room two free
        book(engine, first, f"A{n}", 24 + 3 * n, 26 + 3 * n)
        book(engine, first, f"B{n}", 25 + 3 * n, 27 + 3 * n)
    with session_scope(engine) as s:
        preview = conflict_desk.preview_resolution(s, user=first.admin, start=at(0), end=at(72))
    assert len(preview.rows) == 3 and preview.extra_accounts == 0
    assert {r["to"] for r in preview.rows} == {second.room.name}
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
    conflict_desk.move_appointment(
        engine, user=first.admin, appointment_id=moved, room_id=second.room.id, api=goto.client, notify=True
    )
    new = meetings.sync_now(engine, goto.client, moved)
    with session_scope(engine) as s:
        [mail] = s.exec(select(OutboxMessage)).all()
    assert mail.recipients == "guest@example.org" and new.join_url in mail.body
