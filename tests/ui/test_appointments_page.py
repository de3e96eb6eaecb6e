"""Appointments page (staff): create, field errors, overbooking warning with confirmation, stale edits."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.db import session_scope
from core.kernel.models import Appointment, Booking, User
from tests.conftest import at as moment
from tests.conftest import make_room, make_user
from tests.ui.conftest import page

DAY = date(2026, 12, 8)


def fill_new(at: AppTest, *, subject: str, start: time, end: time, room: int | None = None) -> AppTest:
    at.button(key="new_appointment").click().run()
    at.text_input(key="subject_new").input(subject)
    at.date_input(key="start_day_new").set_value(DAY)
    at.time_input(key="start_time_new").set_value(start)
    at.date_input(key="end_day_new").set_value(DAY)
    at.time_input(key="end_time_new").set_value(end)
    if room is not None:
        at.multiselect(key="room_new").set_value([room])
    return at


def save(at: AppTest) -> AppTest:
    return at.button(key="FormSubmitter:appointment_new-Save").click().run()


def room_for(engine: Engine, user_id: int, name: str = "Sales 1") -> int:
    with session_scope(engine) as s:
        return make_room(s, name=name, bookable_by=s.get(User, user_id)).id  # type: ignore[return-value]


def test_staff_creates_an_appointment_with_a_room(app_engine: Engine, staff: int) -> None:
    room = room_for(app_engine, staff)
    at = save(
        fill_new(
            page("pages/appointments.py", user_id=staff).run(),
            subject="Customer call",
            start=time(10),
            end=time(11),
            room=room,
        )
    )
    assert not at.exception
    assert [s.value for s in at.success] == ["“Customer call” saved."]
    with session_scope(app_engine) as s:
        booking = s.exec(select(Booking)).one()
        assert booking.room_id == room and booking.starts_at.hour == 9  # 10:00 Berlin is 09:00 UTC in December


def test_end_before_start_is_named_and_nothing_is_saved(app_engine: Engine, staff: int) -> None:
    at = save(
        fill_new(page("pages/appointments.py", user_id=staff).run(), subject="Backwards", start=time(11), end=time(10))
    )
    assert [e.value for e in at.error] == ["End: the end must be after the start."]
    with session_scope(app_engine) as s:
        assert s.exec(select(Appointment)).all() == []


def test_the_room_picker_offers_only_bookable_rooms(app_engine: Engine, staff: int) -> None:
    mine = room_for(app_engine, staff, "Mine")
    with session_scope(app_engine) as s:
        make_room(s, name="Not mine")
    at = page("pages/appointments.py", user_id=staff).run()
    at.button(key="new_appointment").click().run()
    assert at.multiselect(key="room_new").options == ["Mine"]
    assert mine


def test_overbooking_needs_explicit_confirmation(app_engine: Engine, staff: int) -> None:
    room = room_for(app_engine, staff)
    at = save(
        fill_new(
            page("pages/appointments.py", user_id=staff).run(),
            subject="Board meeting",
            start=time(10),
            end=time(11),
            room=room,
        )
    )
    at = save(fill_new(at, subject="Sales pitch", start=time(10, 30), end=time(12), room=room))
    warning = " ".join(e.value for e in at.error)
    assert "Serious warning" in warning and "“Board meeting”" in warning
    with session_scope(app_engine) as s:
        assert len(s.exec(select(Appointment)).all()) == 1  # nothing saved before the confirmation
    at.button(key="confirm_overbooking").click().run()
    assert not at.exception
    with session_scope(app_engine) as s:
        assert sorted(a.subject for a in s.exec(select(Appointment))) == ["Board meeting", "Sales pitch"]
    assert any("overbooked" in str(df.value.to_string()) for df in at.dataframe)


def test_a_stale_edit_is_refused_and_the_form_keeps_the_input(app_engine: Engine, staff: int) -> None:
    with session_scope(app_engine) as s:
        user = s.get(User, staff)
        appt = save_appointment(
            s, user=user, data=AppointmentInput(subject="Weekly sync", starts_at=moment(24), ends_at=moment(25))
        )
    at = page("pages/appointments.py", user_id=staff)
    at.session_state["editing"] = appt.id
    at.run()
    at.text_input(key=f"subject_{appt.id}").input("Weekly sync (moved)")
    with session_scope(app_engine) as s:  # meanwhile a colleague saves the same appointment
        save_appointment(
            s,
            user=s.get(User, staff),
            appointment_id=appt.id,
            expected_version=1,
            data=AppointmentInput(subject="Colleague's title", starts_at=appt.starts_at, ends_at=appt.ends_at),
        )
    at.button(key=f"FormSubmitter:appointment_{appt.id}-Save").click().run()
    assert any("changed by someone else" in e.value for e in at.error)
    assert at.text_input(key=f"subject_{appt.id}").value == "Weekly sync (moved)"
    with session_scope(app_engine) as s:
        assert s.get(Appointment, appt.id).subject == "Colleague's title"


def test_users_outside_the_authorized_groups_get_no_room_picker(app_engine: Engine, staff: int) -> None:
    from core.access import addon
    from core.kernel.models import Group

    room_for(app_engine, staff)
    with session_scope(app_engine) as s:
        admin = make_user(s, role="admin")
        sales = Group(name="Sales")
        s.add(sales)
        s.flush()
        addon.set_authorized_groups(s, user=admin, group_ids=[sales.id])
    at = page("pages/appointments.py", user_id=staff).run()
    at.button(key="new_appointment").click().run()
    picker = at.multiselect(key="room_new")
    assert picker.disabled and picker.options == []


def test_the_editor_never_shows_an_appointment_the_filtered_list_hides(app_engine: Engine, staff: int) -> None:
    """With "Only mine" on, a colleague's appointment held in the editor is closed, never shown beside the list."""
    with session_scope(app_engine) as s:
        colleague = make_user(s, username="colleague", role="staff")
        theirs = save_appointment(
            s, user=colleague, data=AppointmentInput(subject="Their call", starts_at=moment(24), ends_at=moment(25))
        )
    at = page("pages/appointments.py", user_id=staff)
    at.session_state["editing"] = theirs.id
    at.run()
    assert at.text_input(key=f"subject_{theirs.id}").value == "Their call"  # listed while "Only mine" is off
    at.toggle(key="list_mine").set_value(True).run()
    assert not at.exception
    assert not [w for w in at.text_input if w.key == f"subject_{theirs.id}"]


def test_a_new_appointment_starts_at_the_next_quarter_hour_in_the_users_zone(app_engine: Engine, staff: int) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    def next_quarter() -> tuple[date, time]:
        now = datetime.now(ZoneInfo("Europe/Berlin"))
        q = now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=15 * (now.minute // 15 + 1))
        return q.date(), q.time()

    before = next_quarter()
    at = page("pages/appointments.py", user_id=staff).run()
    at.button(key="new_appointment").click().run()
    shown = (at.date_input(key="start_day_new").value, at.time_input(key="start_time_new").value)
    assert shown in {before, next_quarter()}


def test_deleting_the_open_appointment_closes_the_editor(app_engine: Engine, staff: int) -> None:
    with session_scope(app_engine) as s:
        appt = save_appointment(
            s,
            user=s.get(User, staff),
            data=AppointmentInput(subject="Old call", starts_at=moment(24), ends_at=moment(25)),
        )
    at = page("pages/appointments.py", user_id=staff)
    at.session_state["editing"] = appt.id
    at.run()
    at.button(key="delete_appointment").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["“Old call” deleted."]
    assert not [w for w in at.text_input if w.key == f"subject_{appt.id}"]
    with session_scope(app_engine) as s:
        assert s.get(Appointment, appt.id) is None


def test_cancelling_the_overbooking_warning_saves_nothing_and_book_anyway_then_closes(
    app_engine: Engine, staff: int
) -> None:
    """Save and close, warned, Cancel: nothing saved; Save and close again, Book anyway: saved and the editor closed."""
    room = room_for(app_engine, staff)
    at = save(
        fill_new(
            page("pages/appointments.py", user_id=staff).run(), subject="Board", start=time(10), end=time(11), room=room
        )
    )
    at = fill_new(at, subject="Pitch", start=time(10, 30), end=time(12), room=room)
    at.button(key="FormSubmitter:appointment_new-Save and close").click().run()
    at.button(key="cancel_overbooking").click().run()
    assert not at.exception and not [b for b in at.button if b.key == "confirm_overbooking"]
    assert at.text_input(key="subject_new").value == "Pitch"  # the form keeps the input
    at.button(key="FormSubmitter:appointment_new-Save and close").click().run()
    at.button(key="confirm_overbooking").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["“Pitch” saved."]
    assert not [w for w in at.text_input if w.key.startswith("subject_")]  # closed after saving
    with session_scope(app_engine) as s:
        assert sorted(a.subject for a in s.exec(select(Appointment))) == ["Board", "Pitch"]


def test_reload_after_a_stale_edit_shows_the_stored_appointment_and_saves(app_engine: Engine, staff: int) -> None:
    with session_scope(app_engine) as s:
        appt = save_appointment(
            s,
            user=s.get(User, staff),
            data=AppointmentInput(subject="Weekly", starts_at=moment(24), ends_at=moment(25)),
        )
    at = page("pages/appointments.py", user_id=staff)
    at.session_state["editing"] = appt.id
    at.run()
    with session_scope(app_engine) as s:
        save_appointment(
            s,
            user=s.get(User, staff),
            appointment_id=appt.id,
            expected_version=1,
            data=AppointmentInput(subject="Theirs", starts_at=appt.starts_at, ends_at=appt.ends_at),
        )
    at.button(key=f"FormSubmitter:appointment_{appt.id}-Save").click().run()
    at.button(key="reload_appointment").click().run()
    assert at.text_input(key=f"subject_{appt.id}").value == "Theirs"
    at.text_input(key=f"subject_{appt.id}").input("Mine after all")
    at.button(key=f"FormSubmitter:appointment_{appt.id}-Save").click().run()
    assert not at.exception and [s.value for s in at.success] == ["“Mine after all” saved."]
