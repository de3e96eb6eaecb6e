"""Series services on SQLite: bookings per occurrence, conflicts and the three answers, open / delete / split,
cleanup (rule 8), meetings ahead of time, booking further ahead, import."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access.settings import FORBID_OVERBOOKING, put_value
from core.admin.importing import import_bookings
from core.booking.appointments import AppointmentInput, save_appointment
from core.conflicts.sweep import overbookings_in_window
from core.kernel.db import session_scope
from core.kernel.errors import ImportRejected, StaleAppointment, ValidationFailed
from core.kernel.models import Appointment, AuditEntry, Booking, GotoMeetingData, MeetingJob, Participant, RoomLink
from core.meetings.invitations import Invitation, render_invitation
from core.series import occurrences
from core.series.agenda import delete_appointment, list_appointments
from core.series.booking import BOOK_ANYWAY, MOVE, SKIP, SeriesInput, SeriesOverbooking, save_series
from core.series.cleanup import (
    clean_up_series,
    extend_horizons,
    open_upcoming,
    series_needing_cleanup,
    set_meetings_ahead_hours,
)
from tests.conftest import make_room, make_user

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
MONDAYS = [datetime(2026, 12, 7, 9, tzinfo=BERLIN) + timedelta(weeks=k) for k in range(10)]


@pytest.fixture
def world(engine: Engine):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        staff, colleague = make_user(s, username="sara"), make_user(s, username="colin")
        room = make_room(s, name="Sales 1", bookable_by=staff)
        spare = make_room(s, name="Sales 2", bookable_by=staff)
        for r in (room, spare):
            s.add(
                RoomLink(
                    room_id=r.id,
                    email=f"{r.id}@sandbox.test",
                    access_token="x",
                    refresh_token="y",
                    expires_at=NOW + timedelta(hours=1),
                )
            )
    return staff, colleague, room, spare


def weekly(
    room_id: int | None,
    *,
    rule: str = "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    hour: int = 9,
    note: str = "Agenda",
    participants: tuple[int, ...] = (),
    exclusions: tuple = (),
) -> SeriesInput:  # type: ignore[type-arg]
    start = datetime(2026, 12, 7, hour, tzinfo=BERLIN)
    return SeriesInput(
        AppointmentInput(
            subject="Weekly sync",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            time_zone="Europe/Berlin",
            note=note,
            room_ids=(room_id,) if room_id else (),
            participant_ids=participants,
        ),
        rule,
        exclusions,
    )


def create(engine: Engine, user, data: SeriesInput, **kw):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return save_series(s, user=user, data=data, now=NOW, **kw).series


def single(engine: Engine, user, room, start: datetime, subject: str = "Customer call"):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return save_appointment(
            s,
            user=user,
            confirm_overbooking=True,
            data=AppointmentInput(
                subject=subject, starts_at=start, ends_at=start + timedelta(minutes=30), room_ids=(room.id,)
            ),
        )


def bookings(engine: Engine, appointment_id: int) -> list[Booking]:
    with session_scope(engine) as s:
        return list(s.exec(select(Booking).where(Booking.appointment_id == appointment_id).order_by(Booking.starts_at)))


def test_a_series_books_its_room_for_every_occurrence_and_plans_no_meeting(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id))
    rows = bookings(engine, series.id)
    assert [b.starts_at for b in rows] == MONDAYS and {b.room_id for b in rows} == {room.id}
    with session_scope(engine) as s:
        assert s.exec(select(MeetingJob)).all() == []  # the room is linked, yet the series gets no meeting
        with pytest.raises(ValidationFailed):  # a series is never saved as a single appointment
            save_appointment(
                s,
                user=staff,
                appointment_id=series.id,
                expected_version=series.version,
                data=AppointmentInput(subject="x", starts_at=MONDAYS[0], ends_at=MONDAYS[0] + timedelta(hours=1)),
            )
    single(engine, staff, room, MONDAYS[3] + timedelta(minutes=30))
    with session_scope(engine) as s:
        [slot] = overbookings_in_window(s, start=MONDAYS[0], end=MONDAYS[-1]).itertuples()
    assert slot.start == MONDAYS[3] + timedelta(minutes=30) and sorted(slot.subjects) == [
        "Customer call",
        "Weekly sync",
    ]
    from core.reporting.timeline import timeline_data

    with session_scope(engine) as s:
        bars = timeline_data(
            s, user=make_user(s, role="admin"), start=MONDAYS[0], end=MONDAYS[-1] + timedelta(hours=2)
        ).bars
    assert (bars["subject"] == "Weekly sync").sum() == 10 and bars["overbooked"].sum() == 2  # each occurrence a bar


def test_an_overbooking_series_names_its_conflicting_occurrences_and_saves_nothing(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, spare = world
    for k in (1, 4):
        single(engine, staff, room, MONDAYS[k])
    with pytest.raises(SeriesOverbooking) as caught, session_scope(engine) as s:
        save_series(s, user=staff, data=weekly(room.id), now=NOW)
    warning = caught.value
    assert [c.start for c in warning.conflicts] == [MONDAYS[1], MONDAYS[4]]
    assert warning.conflicts[0].others[0]["subject"] == "Customer call" and warning.common_rooms == [
        (spare.id, "Sales 2")
    ]
    assert not warning.forbidden and "2 occurrence(s)" in warning.message("en")
    with session_scope(engine) as s:
        assert s.exec(select(Appointment).where(Appointment.rrule.is_not(None))).all() == []


def test_the_three_answers_skip_move_or_book_anyway(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, spare = world
    for k in (1, 4):
        single(engine, staff, room, MONDAYS[k])
    skipped = create(engine, staff, weekly(room.id), resolution=SKIP)
    assert len(bookings(engine, skipped.id)) == 8 and skipped.exclusions == ["2026-12-14", "2027-01-04"]
    with session_scope(engine) as s:
        occurrences.end_series(s, user=staff, series_id=skipped.id, start=MONDAYS[0], expected_version=skipped.version)
    moved = create(engine, staff, weekly(room.id, hour=9), resolution=MOVE, move_to_room=spare.id)
    assert [b.room_id for b in bookings(engine, moved.id)] == [room.id, spare.id, room.id, room.id, spare.id] + [
        room.id
    ] * 5
    with session_scope(engine) as s:
        put_value(s, FORBID_OVERBOOKING, True)
    with pytest.raises(SeriesOverbooking) as caught:
        create(engine, staff, weekly(room.id), resolution=BOOK_ANYWAY)
    assert caught.value.forbidden
    with session_scope(engine) as s:
        put_value(s, FORBID_OVERBOOKING, False)
    assert len(bookings(engine, create(engine, staff, weekly(room.id), resolution=BOOK_ANYWAY).id)) == 10


def test_opening_an_occurrence_detaches_it_with_its_booking_and_plans_its_meeting(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, colleague, room, _ = world
    series = create(engine, staff, weekly(room.id, participants=(colleague.id,)))
    with session_scope(engine) as s:
        opened = occurrences.open_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[2])
    with session_scope(engine) as s:
        again = occurrences.open_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[2] + timedelta(hours=2))
        assert again.id == opened.id  # opened once, whoever clicks again (matched by day)
        child = s.get(Appointment, opened.id)
        assert (child.series_id, child.recurrence_id, child.note) == (series.id, MONDAYS[2], "Agenda")
        assert s.exec(select(MeetingJob.appointment_id)).all() == [opened.id]
        assert s.exec(select(Participant.user_id).where(Participant.appointment_id == opened.id)).all() == [
            colleague.id
        ]
        rows = list_appointments(s, user=staff, start=MONDAYS[0], end=MONDAYS[4])
    assert [b.appointment_id for b in bookings(engine, opened.id)] == [opened.id]
    assert len(bookings(engine, series.id)) == 9
    assert [(r.id, r.occurrence) for r in rows] == [
        (series.id, MONDAYS[0]),
        (series.id, MONDAYS[1]),
        (opened.id, None),
        (series.id, MONDAYS[3]),
    ]


def test_deleting_an_occurrence_skips_it_and_deletes_its_meeting(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id))
    with session_scope(engine) as s:
        assert occurrences.delete_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[1]) == []
        opened = occurrences.open_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[2])
        s.flush()
        s.add(GotoMeetingData(appointment_id=opened.id, account="a@x.test", meeting_id="123456789", state="created"))
    with session_scope(engine) as s:
        [job] = occurrences.delete_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[2])
        assert s.get(MeetingJob, job).meeting_id == "123456789"
        assert s.get(Appointment, opened.id) is None
        assert s.get(Appointment, series.id).exclusions == ["2026-12-14", "2026-12-21"]
    assert [b.starts_at for b in bookings(engine, series.id)] == [MONDAYS[0], *MONDAYS[3:]]


def test_this_and_following_splits_the_series_and_takes_opened_and_skipped_ones_along(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id))
    with session_scope(engine) as s:
        opened = occurrences.open_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[6])
        occurrences.delete_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[7])
        version = s.get(Appointment, series.id).version
    later = weekly(room.id, rule="FREQ=WEEKLY;BYDAY=MO;COUNT=6", hour=10, note="New agenda")
    later = SeriesInput(
        AppointmentInput(
            **{
                **later.appointment.__dict__,
                "starts_at": MONDAYS[4] + timedelta(hours=1),
                "ends_at": MONDAYS[4] + timedelta(hours=2),
            }
        ),
        later.rule,
    )
    with session_scope(engine) as s:
        new = occurrences.split_series(
            s, user=staff, series_id=series.id, start=MONDAYS[4], data=later, expected_version=version, now=NOW
        ).series
    assert [b.starts_at for b in bookings(engine, series.id)] == MONDAYS[:4]
    assert [b.starts_at.astimezone(BERLIN).time() for b in bookings(engine, new.id)] == [time(10)] * 4
    assert [b.starts_at.date() for b in bookings(engine, new.id)] == [MONDAYS[k].date() for k in (4, 5, 8, 9)]
    with session_scope(engine) as s:
        assert s.get(Appointment, opened.id).series_id == new.id and s.get(Appointment, new.id).exclusions == [
            "2027-01-25"
        ]
        assert s.get(Appointment, series.id).rrule == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270103T225959Z"
        with pytest.raises(StaleAppointment):  # whoever still had the old version open must reload
            occurrences.split_series(
                s, user=staff, series_id=series.id, start=MONDAYS[2], data=later, expected_version=version, now=NOW
            )


def test_changing_the_whole_series_keeps_moved_occurrences_and_the_wall_clock(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, spare = world
    single(engine, staff, room, MONDAYS[1])
    series = create(engine, staff, weekly(room.id), resolution=MOVE, move_to_room=spare.id)
    with session_scope(engine) as s:
        save_series(
            s,
            user=staff,
            data=weekly(room.id, hour=8),
            series_id=series.id,
            expected_version=series.version,
            now=NOW,
            resolution=BOOK_ANYWAY,
        )
    rows = bookings(engine, series.id)
    assert [b.starts_at.astimezone(BERLIN).time() for b in rows] == [time(8)] * 10
    assert [b.room_id for b in rows][:3] == [room.id, spare.id, room.id]


def test_deleting_this_and_following_or_the_whole_series_takes_opened_occurrences_along(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id))
    with session_scope(engine) as s:
        early = occurrences.open_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[1])
        late = occurrences.open_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[8])
        version = s.get(Appointment, series.id).version
    with session_scope(engine) as s:
        occurrences.end_series(s, user=staff, series_id=series.id, start=MONDAYS[5], expected_version=version)
    with session_scope(engine) as s:
        assert s.get(Appointment, late.id) is None and s.get(Appointment, early.id) is not None
        delete_appointment(s, user=staff, appointment_id=early.id, expected_version=1)
    with session_scope(engine) as s:
        assert s.get(Appointment, series.id).exclusions == ["2026-12-14"]  # the deleted opened one stays skipped
    assert [b.starts_at for b in bookings(engine, series.id)] == [MONDAYS[0], *MONDAYS[2:5]]
    with session_scope(engine) as s:
        series = s.get(Appointment, series.id)
        occurrences.end_series(s, user=staff, series_id=series.id, start=MONDAYS[0], expected_version=series.version)
    with session_scope(engine) as s:
        assert s.exec(select(Appointment)).all() == [] and s.exec(select(Booking)).all() == []


def _converted_with_meeting(engine: Engine, staff, room):  # type: ignore[no-untyped-def]
    """An appointment that got its GoTo meeting, then was made a series: it carries that meeting's link."""
    block = render_invitation(Invitation("https://global.gotomeeting.com/join/123456789", "123456789"))
    with session_scope(engine) as s:
        appt = save_appointment(
            s,
            user=staff,
            data=AppointmentInput(
                subject="Weekly sync",
                starts_at=MONDAYS[0],
                ends_at=MONDAYS[0] + timedelta(hours=1),
                note="Agenda",
                room_ids=(room.id,),
            ),
        )
        s.flush()
        appt.note += block
        s.add(
            GotoMeetingData(
                appointment_id=appt.id,
                account="a@x.test",
                meeting_id="123456789",
                state="created",
                join_url="https://global.gotomeeting.com/join/123456789",
                data={"block": block},
            )
        )
    with session_scope(engine) as s:
        saved = save_series(s, user=staff, data=weekly(room.id), series_id=appt.id, expected_version=1, now=NOW)
        assert s.exec(select(MeetingJob)).all() == []
    return saved.series, block


def test_cleanup_removes_the_used_link_once_the_first_occurrence_is_over_and_is_idempotent(
    engine: Engine, world
) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series, block = _converted_with_meeting(engine, staff, room)
    with session_scope(engine) as s:
        assert s.get(Appointment, series.id).note == "Agenda" + block and len(bookings(engine, series.id)) == 10
        assert series_needing_cleanup(s, now=MONDAYS[0]) == []  # the link is still good for the first occurrence
    after = MONDAYS[0] + timedelta(hours=2)
    with session_scope(engine) as s:
        [item] = clean_up_series(s, actor=None, now=after)
        assert item.meeting_id == "123456789"
    with session_scope(engine) as s:
        assert clean_up_series(s, actor=None, now=after) == []
        assert s.get(Appointment, series.id).note == "Agenda" and s.get(GotoMeetingData, series.id) is None
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "series.cleanup")).all()) == 1
    assert len(bookings(engine, series.id)) == 10


def test_opening_the_first_occurrence_of_a_converted_series_hands_its_meeting_over(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series, block = _converted_with_meeting(engine, staff, room)
    with session_scope(engine) as s:
        opened = occurrences.open_occurrence(s, user=staff, series_id=series.id, start=MONDAYS[0])
    with session_scope(engine) as s:
        assert s.get(GotoMeetingData, opened.id).meeting_id == "123456789" and s.get(GotoMeetingData, series.id) is None
        assert s.get(Appointment, opened.id).note == "Agenda" + block and s.get(Appointment, series.id).note == "Agenda"
        assert series_needing_cleanup(s, now=MONDAYS[1]) == []


def test_the_worker_opens_occurrences_in_linked_rooms_only_within_the_hours_set(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    admin = None
    with session_scope(engine) as s:
        admin = make_user(s, role="admin")
        plain = make_room(s, name="Not linked", bookable_by=staff)
    series = create(engine, staff, weekly(room.id))
    unlinked = create(engine, staff, weekly(plain.id))
    with session_scope(engine) as s:
        assert open_upcoming(s, now=MONDAYS[2] - timedelta(hours=3)) == []  # off by default
        set_meetings_ahead_hours(s, user=admin, hours=24)
    with session_scope(engine) as s:
        [opened] = open_upcoming(s, now=MONDAYS[2] - timedelta(hours=3))
        child = s.get(Appointment, opened)
        assert (child.series_id, child.recurrence_id) == (series.id, MONDAYS[2])
        assert s.exec(select(MeetingJob.appointment_id)).all() == [opened]
    assert len(bookings(engine, unlinked.id)) == 10


def test_open_ended_series_are_booked_two_years_ahead_and_further_as_time_passes(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id, rule="FREQ=WEEKLY;BYDAY=MO"))
    first = bookings(engine, series.id)
    assert 103 <= len(first) <= 106 and first[-1].starts_at < MONDAYS[0] + timedelta(days=731)
    with session_scope(engine) as s:
        assert extend_horizons(s, now=NOW) == 0
        assert extend_horizons(s, now=NOW + timedelta(days=30)) == 1
    assert len(bookings(engine, series.id)) - len(first) in (3, 4)  # 24 more days, two years on


def test_import_books_series_per_occurrence_and_names_bad_rule_lines(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    head = "room,goto_account,subject,start,end,organizer,rrule,timezone\n"
    good = head + (
        "Sales 1,,Standup,2026-12-07T09:00:00+01:00,2026-12-07T09:15:00+01:00,sara,"
        '"FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270331T235959Z",Europe/Berlin\n'
        "Sales 2,,One-off,2026-12-08T09:00:00+01:00,2026-12-08T10:00:00+01:00,sara,,\n"
    )
    with session_scope(engine) as s:
        assert import_bookings(s, source=io.StringIO(good), create_rooms=False).rows == 2
    with session_scope(engine) as s:
        standup = s.exec(select(Appointment).where(Appointment.subject == "Standup")).one()
        assert standup.rrule == "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270331T235959Z" and standup.series_room_id == room.id
        jobs = s.exec(select(MeetingJob.appointment_id)).all()
        assert standup.id not in jobs and len(jobs) == 1  # both rooms are linked: the single gets one, the series none
    rows = bookings(engine, standup.id)
    assert len(rows) == 34 and {b.starts_at.astimezone(BERLIN).time() for b in rows} == {time(9)}
    bad = head + (
        "Sales 1,,A,2026-12-07T09:00:00+01:00,2026-12-07T10:00:00+01:00,sara,FREQ=HOURLY,Europe/Berlin\n"
        "Sales 1,,B,2026-12-07T09:00:00+01:00,2026-12-07T10:00:00+01:00,sara,FREQ=DAILY,\n"
        "Sales 1,,C,2026-12-08T09:00:00+01:00,2026-12-08T10:00:00+01:00,sara,FREQ=WEEKLY;BYDAY=MO,Europe/Berlin\n"
    )
    with pytest.raises(ImportRejected) as caught, session_scope(engine) as s:
        import_bookings(s, source=io.StringIO(bad), create_rooms=False)
    problems = dict(caught.value.problems)
    assert sorted(problems) == [2, 3, 4] and "HOURLY" in problems[2] and "timezone" in problems[3]
    assert "not an occurrence" in problems[4]


def test_the_timeline_can_tell_a_series_from_a_single_appointment(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    from core.series.views import is_series

    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id))
    one = single(engine, staff, room, datetime(2026, 12, 8, 9, tzinfo=BERLIN))
    with session_scope(engine) as s:
        assert is_series(s, series.id) and not is_series(s, one.id) and not is_series(s, 999_999)


def open_one(engine: Engine, user, series_id: int, start: datetime) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return occurrences.open_occurrence(s, user=user, series_id=series_id, start=start).id  # type: ignore[return-value]


def test_a_whole_series_change_takes_only_opened_occurrences_along_and_names_those_changed_by_hand(
    engine: Engine, world
) -> None:  # type: ignore[no-untyped-def]
    """Opened only: new time and subject, meeting planned. Changed by hand: kept, and the result says which."""
    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id))
    only_opened = open_one(engine, staff, series.id, MONDAYS[2])
    with session_scope(engine) as s:
        occurrences.edit_occurrence(
            s,
            user=staff,
            series_id=series.id,
            start=MONDAYS[4],
            data=AppointmentInput(
                subject="Moved by hand",
                starts_at=MONDAYS[4],
                ends_at=MONDAYS[4] + timedelta(hours=1),
                room_ids=(room.id,),
            ),
        )
        s.execute(MeetingJob.__table__.delete())  # type: ignore[attr-defined]
    with session_scope(engine) as s:
        version = s.get(Appointment, series.id).version
        saved = save_series(
            s,
            user=staff,
            series_id=series.id,
            expected_version=version,
            now=NOW,
            data=SeriesInput(
                AppointmentInput(
                    subject="Weekly sync, later",
                    starts_at=MONDAYS[0] + timedelta(hours=2),
                    ends_at=MONDAYS[0] + timedelta(hours=3),
                    time_zone="Europe/Berlin",
                    note="Agenda",
                    room_ids=(room.id,),
                ),
                "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
            ),
        )
        assert (saved.followed, saved.left_as_is) == ([MONDAYS[2].date()], [MONDAYS[4].date()])
    with session_scope(engine) as s:
        opened = s.get(Appointment, only_opened)
        assert (opened.subject, opened.starts_at) == ("Weekly sync, later", MONDAYS[2] + timedelta(hours=2))
        assert [b.starts_at for b in bookings(engine, only_opened)] == [MONDAYS[2] + timedelta(hours=2)]
        assert s.exec(select(MeetingJob.appointment_id)).all() == [only_opened]  # its meeting follows
        kept = s.exec(select(Appointment).where(Appointment.subject == "Moved by hand")).one()
        assert kept.starts_at == MONDAYS[4]


def test_this_and_following_takes_an_opened_occurrence_along_to_the_new_time(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    staff, _, room, _ = world
    series = create(engine, staff, weekly(room.id))
    later = open_one(engine, staff, series.id, MONDAYS[5])
    with session_scope(engine) as s:
        saved = occurrences.split_series(
            s,
            user=staff,
            series_id=series.id,
            start=MONDAYS[3],
            expected_version=s.get(Appointment, series.id).version,
            now=NOW,
            data=SeriesInput(
                AppointmentInput(
                    subject="Weekly sync",
                    starts_at=MONDAYS[3] + timedelta(hours=2),
                    ends_at=MONDAYS[3] + timedelta(hours=3),
                    time_zone="Europe/Berlin",
                    note="Agenda",
                    room_ids=(room.id,),
                ),
                "FREQ=WEEKLY;BYDAY=MO;COUNT=7",
            ),
        )
        assert (saved.followed, saved.left_as_is) == ([MONDAYS[5].date()], [])
    with session_scope(engine) as s:
        assert s.get(Appointment, later).starts_at == MONDAYS[5] + timedelta(hours=2)
