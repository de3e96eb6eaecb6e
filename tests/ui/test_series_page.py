"""Series page and occurrences on the Appointments page (AppTest): create a series, answer an overbooking,
clean up used links, open one occurrence."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.db import session_scope
from core.kernel.models import Appointment, Booking, GotoMeetingData, User
from core.meetings.invitations import Invitation, render_invitation
from core.series.booking import SeriesInput, save_series
from tests.conftest import make_room
from tests.ui.conftest import page

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2030, 3, 4)


def room_for(engine: Engine, user_id: int, name: str = "Sales 1") -> int:
    with session_scope(engine) as s:
        return make_room(s, name=name, bookable_by=s.get(User, user_id)).id  # type: ignore[return-value]


def new_series(at: AppTest, *, subject: str, room: int, count: int) -> AppTest:
    at.button(key="new_series").click().run()
    at.text_input(key="series_subject_new").input(subject)
    at.date_input(key="series_first_new_series").set_value(MONDAY)
    at.time_input(key="series_start_new").set_value(time(9))
    at.time_input(key="series_end_new").set_value(time(10))
    at.multiselect(key="series_days_new_series").set_value(["MO"])
    at.radio(key="series_ends_new_series").set_value("count").run()
    at.number_input(key="series_count_new_series").set_value(count)
    at.selectbox(key="series_room_new").set_value(room)
    return at.button(key="series_save_new").click().run()


def booked(engine: Engine) -> list[Booking]:
    with session_scope(engine) as s:
        return list(s.exec(select(Booking).order_by(Booking.starts_at)))


def test_staff_creates_a_weekly_series_and_every_occurrence_is_booked(app_engine: Engine, staff: int) -> None:
    room = room_for(app_engine, staff)
    at = new_series(page("pages/series.py", user_id=staff).run(), subject="Jour fixe", room=room, count=5)
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Series “Jour fixe” saved: 5 occurrence(s) booked, 0 skipped, 0 moved to another room."
    ]
    rows = booked(app_engine)
    assert [b.starts_at.astimezone(BERLIN) for b in rows] == [
        datetime.combine(MONDAY + timedelta(weeks=k), time(9), BERLIN) for k in range(5)
    ]
    assert any("Jour fixe" in str(df.value.to_string()) for df in at.dataframe)  # listed, editor still open
    assert at.button(key="open_upcoming_0")


def test_an_overbooking_series_shows_the_conflicts_and_can_skip_them(app_engine: Engine, staff: int) -> None:
    room = room_for(app_engine, staff)
    with session_scope(app_engine) as s:
        start = datetime.combine(MONDAY + timedelta(weeks=1), time(9, 30), BERLIN)
        save_appointment(
            s,
            user=s.get(User, staff),
            data=AppointmentInput(
                subject="Board meeting", starts_at=start, ends_at=start + timedelta(hours=1), room_ids=(room,)
            ),
        )
    at = new_series(page("pages/series.py", user_id=staff).run(), subject="Jour fixe", room=room, count=4)
    shown = " ".join(e.value for e in at.error) + " ".join(str(m.value) for m in at.markdown)
    assert "1 occurrence(s) of this series overbook their room" in shown and "“Board meeting”" in shown
    assert len(booked(app_engine)) == 1  # nothing saved before the user chose
    at.button(key="series_skip_conflicts").click().run()
    assert not at.exception and "3 occurrence(s) booked, 1 skipped" in at.success[0].value
    assert len(booked(app_engine)) == 4


def test_series_carrying_a_used_link_are_listed_and_cleaned_up_all_at_once(app_engine: Engine, staff: int) -> None:
    room = room_for(app_engine, staff)
    block = render_invitation(Invitation("https://global.gotomeeting.com/join/555111222", "555111222"))
    with session_scope(app_engine) as s:
        user, start = s.get(User, staff), datetime(2024, 1, 8, 9, tzinfo=BERLIN)
        data = AppointmentInput(
            subject="Old weekly",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            note="Our notes",
            room_ids=(room,),
        )
        appt = save_appointment(s, user=user, data=data)
        s.flush()
        appt.note += block
        s.add(
            GotoMeetingData(appointment_id=appt.id, account="a@x.test", meeting_id="555111222", data={"block": block})
        )
    with session_scope(app_engine) as s:
        save_series(
            s,
            user=s.get(User, staff),
            data=SeriesInput(data, "FREQ=WEEKLY;COUNT=3"),
            series_id=appt.id,
            expected_version=1,
        )
    at = page("pages/series.py", user_id=staff).run()
    assert "1 series still carry the meeting link" in at.warning[0].value
    at.button(key="cleanup_all").click().run()
    assert not at.exception and at.success[0].value.startswith("Removed the used meeting link from 1 series")
    assert not at.warning
    with session_scope(app_engine) as s:
        assert s.get(Appointment, appt.id).note == "Our notes"
    assert len(booked(app_engine)) == 3


def test_an_occurrence_on_the_appointments_page_is_opened_into_its_own_appointment(
    app_engine: Engine, staff: int
) -> None:
    room = room_for(app_engine, staff)
    start = datetime.combine(date.today() + timedelta(days=1), time(9), BERLIN)
    with session_scope(app_engine) as s:
        series = save_series(
            s,
            user=s.get(User, staff),
            data=SeriesInput(
                AppointmentInput(
                    subject="Standup",
                    starts_at=start,
                    ends_at=start + timedelta(minutes=15),
                    note="Daily",
                    room_ids=(room,),
                ),
                "FREQ=DAILY;COUNT=10",
            ),
        ).series
    at = page("pages/appointments.py", user_id=staff).run()
    assert any("↻ Standup" in str(df.value.to_string()) for df in at.dataframe)
    at.session_state["editing"] = ("occurrence", series.id, start + timedelta(days=2))
    at.run()
    assert "Opening an occurrence detaches it" in " ".join(c.value for c in at.caption)
    at.button(key="open_occurrence").click().run()
    assert not at.exception
    with session_scope(app_engine) as s:
        child = s.exec(select(Appointment).where(Appointment.series_id == series.id)).one()
    assert child.starts_at == start + timedelta(days=2)
    assert at.success[0].value.startswith("Occurrence of “Standup” opened.")
    assert at.text_input(key=f"subject_{child.id}").value == "Standup"
    assert at.text_area(key=f"note_{child.id}").value == "Daily"


def test_changing_this_and_the_following_occurrences_splits_the_series(app_engine: Engine, staff: int) -> None:
    room = room_for(app_engine, staff)
    start = datetime.combine(MONDAY, time(9), BERLIN)
    with session_scope(app_engine) as s:
        series = save_series(
            s,
            user=s.get(User, staff),
            data=SeriesInput(
                AppointmentInput(
                    subject="Jour fixe", starts_at=start, ends_at=start + timedelta(hours=1), room_ids=(room,)
                ),
                "FREQ=WEEKLY;COUNT=6",
            ),
        ).series
    at = page("pages/series.py", user_id=staff)
    at.session_state["series_edit"] = {"id": series.id, "start": start + timedelta(weeks=3)}
    at.run()
    assert at.radio(key=f"series_scope_{series.id}").value == "following"
    assert at.number_input(key=f"series_count_{series.id}_following").value == 3  # what is left of six
    at.time_input(key=f"series_start_{series.id}").set_value(time(14))
    at.time_input(key=f"series_end_{series.id}").set_value(time(15))
    at.button(key=f"series_save_{series.id}").click().run()
    assert not at.exception and "3 occurrence(s) booked" in at.success[0].value
    times = [b.starts_at.astimezone(BERLIN).strftime("%d.%m. %H:%M") for b in booked(app_engine)]
    assert times == ["04.03. 09:00", "11.03. 09:00", "18.03. 09:00", "25.03. 14:00", "01.04. 14:00", "08.04. 14:00"]


def test_delete_this_and_the_following_says_so_and_keeps_the_earlier_occurrences(
    app_engine: Engine, staff: int
) -> None:
    room = room_for(app_engine, staff)
    start = datetime.combine(MONDAY, time(9), BERLIN)
    with session_scope(app_engine) as s:
        series = save_series(
            s,
            user=s.get(User, staff),
            data=SeriesInput(
                AppointmentInput(
                    subject="Jour fixe", starts_at=start, ends_at=start + timedelta(hours=1), room_ids=(room,)
                ),
                "FREQ=WEEKLY;COUNT=6",
            ),
        ).series
    at = page("pages/series.py", user_id=staff)
    at.session_state["series_edit"] = {"id": series.id, "start": start + timedelta(weeks=3)}
    at.run()
    confirm = [m.value for m in at.markdown if "Delete the occurrences of “Jour fixe” from" in m.value]
    assert confirm and "25/03/2030" in confirm[0] and "The earlier ones stay" in confirm[0]
    at.button(key="delete_series").click().run()
    assert not at.exception
    times = [b.starts_at.astimezone(BERLIN).strftime("%d.%m.") for b in booked(app_engine)]
    assert times == ["04.03.", "11.03.", "18.03."]


def test_the_next_line_leaves_out_an_occurrence_that_was_opened_and_moved(app_engine: Engine, staff: int) -> None:
    from core.series import occurrences

    room = room_for(app_engine, staff)
    start = datetime.combine(MONDAY, time(9), BERLIN)
    with session_scope(app_engine) as s:
        user = s.get(User, staff)
        series = save_series(
            s,
            user=user,
            data=SeriesInput(
                AppointmentInput(
                    subject="Jour fixe", starts_at=start, ends_at=start + timedelta(hours=1), room_ids=(room,)
                ),
                "FREQ=WEEKLY;COUNT=6",
            ),
        ).series
        second = start + timedelta(weeks=1)
        occurrences.edit_occurrence(
            s,
            user=user,
            series_id=series.id,
            start=second,
            data=AppointmentInput(
                subject="Jour fixe",
                starts_at=second + timedelta(hours=5),
                ends_at=second + timedelta(hours=6),
                room_ids=(room,),
            ),
        )
    at = page("pages/series.py", user_id=staff)
    at.session_state["series_edit"] = {"id": series.id}
    at.run()
    [summary] = [c.value for c in at.caption if c.value.startswith("Repeats")]
    assert "04/03/2030" in summary and "18/03/2030" in summary and "11/03/2030" not in summary


def test_a_thursday_start_on_a_wednesday_rule_shows_the_real_first_date_before_saving(
    app_engine: Engine, staff: int
) -> None:
    at = page("pages/series.py", user_id=staff).run()
    at.button(key="new_series").click().run()
    at.text_input(key="series_subject_new").input("Weekly")
    at.date_input(key="series_first_new_series").set_value(MONDAY + timedelta(days=3)).run()
    at.multiselect(key="series_days_new_series").set_value(["WE"]).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "The series starts on 13 Mar 2030: the repeat rule decides the days, not the first day you picked."
    ]
    assert "Next: 13/03/2030, " in " ".join(c.value for c in at.caption)
    assert not booked(app_engine)
