"""Appointments: validation, one room per appointment, overbooking warnings, optimistic locking."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlmodel import Session, select

from core.access.settings import set_forbid_overbooking
from core.booking.appointments import AppointmentInput, get_appointment, save_appointment
from core.kernel.db import session_scope
from core.kernel.errors import OverbookingWarning, PermissionDenied, StaleAppointment, ValidationFailed
from core.kernel.models import Appointment, AuditEntry, Booking
from core.series.agenda import delete_appointment, list_appointments
from tests.conftest import at, make_room, make_user


def form(**over) -> AppointmentInput:  # type: ignore[no-untyped-def]
    values = dict(subject="Customer call", starts_at=at(1), ends_at=at(2), note="Agenda", time_zone="Europe/Berlin")
    values.update(over)
    return AppointmentInput(**values)


def fields(err: ValidationFailed) -> set[str]:
    return set(err.by_field())


def test_save_appointment_books_the_room_with_the_appointments_times(session: Session) -> None:
    user = make_user(session)
    room = make_room(session, bookable_by=user)
    appt = save_appointment(session, user=user, data=form(room_ids=(room.id,)))
    booking = session.exec(select(Booking).where(Booking.appointment_id == appt.id)).one()
    assert (booking.room_id, booking.starts_at, booking.ends_at) == (room.id, at(1), at(2))
    assert appt.organizer_id == user.id and appt.version == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"ends_at": at(0.5)}, "ends_at"),
        ({"ends_at": at(1)}, "ends_at"),
        ({"ends_at": at(30)}, "ends_at"),
        ({"starts_at": None}, "starts_at"),
        ({"starts_at": at(1).replace(tzinfo=None)}, "starts_at"),
        ({"starts_at": at(1).replace(year=1990), "ends_at": at(2).replace(year=1990)}, "starts_at"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"external_emails": ("ok@example.org", "not-an-address")}, "external_emails"),
        ({"subject": "x" * 201}, "subject"),
    ],
)
def test_save_appointment_names_the_wrong_field_and_writes_nothing(session: Session, change, field) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session)
    with pytest.raises(ValidationFailed) as caught:
        save_appointment(session, user=user, data=form(**change))
    assert field in fields(caught.value)
    assert session.exec(select(Appointment)).all() == []


def test_end_before_start_message_says_so() -> None:
    from core.booking.appointments import validate

    [problem] = validate(form(ends_at=at(0)))
    assert problem.message("en") == "End: the end must be after the start."
    assert problem.message("de") == "Ende: Das Ende muss nach dem Beginn liegen."


def test_save_appointment_refuses_a_second_room_for_one_appointment(session: Session) -> None:
    user = make_user(session)
    a, b = make_room(session, bookable_by=user), make_room(session, bookable_by=user)
    with pytest.raises(ValidationFailed) as caught:
        save_appointment(session, user=user, data=form(room_ids=(a.id, b.id)))
    assert "only one GoTo room per appointment" in caught.value.message("en")
    assert session.exec(select(Booking)).all() == []


def test_unknown_room_is_a_field_error(session: Session) -> None:
    user = make_user(session)
    with pytest.raises(ValidationFailed) as caught:
        save_appointment(session, user=user, data=form(room_ids=(999,)))
    assert fields(caught.value) == {"room"}


def test_a_room_without_booking_rights_is_refused(session: Session) -> None:
    user = make_user(session)
    room = make_room(session)  # nobody was granted anything
    with pytest.raises(PermissionDenied) as caught:
        save_appointment(session, user=user, data=form(room_ids=(room.id,)))
    assert room.name in caught.value.message("en")


def test_room_booking_right_through_a_group(session: Session) -> None:
    from core.booking.rooms import grant
    from tests.conftest import make_group

    admin = make_user(session, role="admin")
    sales = make_group(session, "Sales")
    user = make_user(session, groups=("Sales",))
    room = make_room(session)
    grant(session, user=admin, room_id=room.id, group_id=sales.id)
    assert save_appointment(session, user=user, data=form(room_ids=(room.id,))).id


def test_support_staff_cannot_save_appointments(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        save_appointment(session, user=make_user(session, role="support"), data=form())


def test_overlap_warns_naming_the_other_appointment_and_saves_nothing(session: Session) -> None:
    user = make_user(session)
    room = make_room(session, bookable_by=user)
    save_appointment(session, user=user, data=form(subject="Board meeting", room_ids=(room.id,)))
    with pytest.raises(OverbookingWarning) as caught:
        save_appointment(
            session, user=user, data=form(subject="Sales call", starts_at=at(1.5), ends_at=at(3), room_ids=(room.id,))
        )
    assert [c["subject"] for c in caught.value.conflicts] == ["Board meeting"]
    assert "Board meeting" in caught.value.message("en") and "ONE meeting" in caught.value.message("en")
    assert len(session.exec(select(Appointment)).all()) == 1


def test_confirmed_overbooking_is_saved_and_audited(session: Session) -> None:
    user = make_user(session)
    room = make_room(session, bookable_by=user)
    first = save_appointment(session, user=user, data=form(room_ids=(room.id,)))
    second = save_appointment(session, user=user, data=form(room_ids=(room.id,)), confirm_overbooking=True)
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity_id == str(second.id))).one()
    assert entry.after["overbooked_with"] == [first.id]


def test_back_to_back_bookings_are_no_conflict(session: Session) -> None:
    user = make_user(session)
    room = make_room(session, bookable_by=user)
    save_appointment(session, user=user, data=form(room_ids=(room.id,)))
    assert save_appointment(session, user=user, data=form(starts_at=at(2), ends_at=at(3), room_ids=(room.id,))).id


def test_forbid_overbooking_turns_the_warning_into_a_refusal(session: Session) -> None:
    admin = make_user(session, role="admin")
    room = make_room(session)
    set_forbid_overbooking(session, user=admin, forbid=True)
    save_appointment(session, user=admin, data=form(room_ids=(room.id,)))
    with pytest.raises(ValidationFailed) as caught:
        save_appointment(session, user=admin, data=form(room_ids=(room.id,)), confirm_overbooking=True)
    assert fields(caught.value) == {"room"}


def test_second_save_from_a_stale_form_is_refused_and_loses_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        user = make_user(s)
        appt = save_appointment(s, user=user, data=form(note="first"))
    with session_scope(engine) as s:  # Alice and Bob both opened version 1; Alice saves first
        save_appointment(s, user=user, data=form(note="Alice's change"), appointment_id=appt.id, expected_version=1)
    with pytest.raises(StaleAppointment) as caught, session_scope(engine) as s:
        save_appointment(s, user=user, data=form(note="Bob's change"), appointment_id=appt.id, expected_version=1)
    assert "changed by someone else" in caught.value.message("en")
    with session_scope(engine) as s:
        stored = s.get(Appointment, appt.id)
        assert stored.note == "Alice's change" and stored.version == 2


def test_the_users_note_is_stored_byte_for_byte(session: Session) -> None:
    user = make_user(session)
    note = "  Agenda:\r\n\t- <b>one</b>\n\n-- \n«ü» 🎉  "
    appt = save_appointment(session, user=user, data=form(note=note))
    session.expire_all()
    assert session.get(Appointment, appt.id).note == note


def test_moving_to_another_room_moves_the_booking(session: Session) -> None:
    user = make_user(session)
    a, b = make_room(session, bookable_by=user), make_room(session, bookable_by=user)
    appt = save_appointment(session, user=user, data=form(room_ids=(a.id,)))
    save_appointment(
        session,
        user=user,
        data=form(room_ids=(b.id,), starts_at=at(4), ends_at=at(5)),
        appointment_id=appt.id,
        expected_version=appt.version,
    )
    booking = session.exec(select(Booking)).one()
    assert (booking.room_id, booking.starts_at) == (b.id, at(4))


def test_delete_removes_appointment_and_booking(session: Session) -> None:
    user = make_user(session)
    room = make_room(session, bookable_by=user)
    appt = save_appointment(session, user=user, data=form(room_ids=(room.id,)))
    delete_appointment(session, user=user, appointment_id=appt.id, expected_version=1)
    session.flush()
    assert session.exec(select(Booking)).all() == [] and session.get(Appointment, appt.id) is None


def test_get_appointment_reports_what_it_overlaps(session: Session) -> None:
    user = make_user(session)
    room = make_room(session, bookable_by=user)
    first = save_appointment(session, user=user, data=form(subject="One", room_ids=(room.id,)))
    save_appointment(session, user=user, data=form(subject="Two", room_ids=(room.id,)), confirm_overbooking=True)
    view = get_appointment(session, user=user, appointment_id=first.id)
    assert [c["subject"] for c in view.overbooked_with] == ["Two"] and view.room == room.name


def test_list_appointments_flags_overbooked_ones(session: Session) -> None:
    user = make_user(session)
    room = make_room(session, bookable_by=user)
    save_appointment(session, user=user, data=form(subject="A", room_ids=(room.id,)))
    save_appointment(session, user=user, data=form(subject="B", room_ids=(room.id,)), confirm_overbooking=True)
    save_appointment(session, user=user, data=form(subject="C", starts_at=at(5), ends_at=at(6), room_ids=(room.id,)))
    rows = list_appointments(session, user=user, start=at(-1), end=at(24))
    assert {r.subject: r.overbooked for r in rows} == {"A": True, "B": True, "C": False}
    assert rows[0].start.tzinfo == UTC
    assert list_appointments(session, user=user, start=at(24), end=at(48)) == []
    assert all(
        r.start < at(24) for r in list_appointments(session, user=user, start=at(-1), end=at(1) + timedelta(minutes=1))
    )
