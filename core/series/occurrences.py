"""Single occurrences of a series: open (detach) one, delete one, end or split a series at one.

An occurrence is named by its start; the series matches it by its local date (rules pick days, not times),
so a link to an occurrence keeps working after the series' time of day was changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from core.access import policy
from core.booking.appointments import AppointmentInput, held_room, load_for_change, save_appointment
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, PermissionDenied
from core.kernel.models import Appointment, Booking, GotoMeetingData, Participant, Room, User, utcnow
from core.meetings import jobs as meetings
from core.meetings.invitations import compose_note, replace_block, split_note
from core.series.booking import (
    ASK,
    SeriesInput,
    SeriesSaved,
    day_of,
    follow_series,
    rebook,
    save_series,
    series_occurrences,
    shape_of,
)
from core.series.rules import Occurrence, ending_before, last_end


def series_of(session: Session, series_id: int) -> Appointment:
    """The series, or NotFound when the id names none (or a single appointment)."""
    series = session.get(Appointment, series_id)
    if series is None or series.rrule is None:
        raise NotFound("error.series_unknown")
    return series


def opened_occurrence(session: Session, series: Appointment, start: datetime) -> Appointment | None:
    """The occurrence on the day of `start` when it was opened (detached as an appointment of its own)."""
    day = day_of(start, series.time_zone)
    children = session.exec(select(Appointment).where(Appointment.series_id == series.id)).all()
    return next((c for c in children if c.recurrence_id and day_of(c.recurrence_id, series.time_zone) == day), None)


def find_occurrence(session: Session, series: Appointment, start: datetime) -> Occurrence:
    """The series' own occurrence on the day of `start` (not skipped, not opened)."""
    day = day_of(start, series.time_zone)
    around = series_occurrences(
        session, series, window_start=start - timedelta(days=2), window_end=start + timedelta(days=2)
    )
    found = next((o for o in around if o.day == day), None)
    if found is None:
        raise NotFound("error.series_occurrence_unknown")
    return found


def occurrence_booking(session: Session, series: Appointment, occurrence: Occurrence) -> Booking | None:
    """The series' booking row of this occurrence (matched by day, like everything about occurrences)."""
    rows = session.exec(
        select(Booking).where(
            Booking.appointment_id == series.id,
            Booking.starts_at > occurrence.start - timedelta(days=1),
            Booking.starts_at < occurrence.start + timedelta(days=1),
        )
    ).all()
    return next((b for b in rows if day_of(b.starts_at, series.time_zone) == occurrence.day), None)


def open_occurrence(session: Session, *, user: User | None, series_id: int, start: datetime) -> Appointment:
    """Detach one occurrence as an appointment of its own (rule 7); its GoTo meeting is planned with it.

    Opening an occurrence that is open already returns it. `user` None is the worker (meetings ahead of time):
    it opens only occurrences whose organizer may have a meeting in that room. Run `meetings.sync_now` for the
    returned appointment after the commit.
    """
    write_lock(session)  # reads, then writes: the write lock before the first read
    series = series_of(session, series_id)
    opened = opened_occurrence(session, series, start)
    if opened is not None:
        return opened
    occurrence = find_occurrence(session, series, start)
    booking = occurrence_booking(session, series, occurrence)
    room_id = booking.room_id if booking else series.series_room_id
    room = session.get(Room, room_id) if room_id else None
    acting_user = user if user is not None else _organizer(session, series)
    if acting_user is None:
        raise PermissionDenied("rules.no_organizer")  # the worker acts for the organizer only
    acting = policy.authorize_booking(session, user=acting_user, from_room=room, to_room=room)
    block = meetings.block_of(session, series.id)  # type: ignore[arg-type]
    text, _ = split_note(series.note, block)
    child = Appointment(
        subject=series.subject,
        starts_at=occurrence.start,
        ends_at=occurrence.end,
        time_zone=series.time_zone,
        organizer_id=series.organizer_id,
        organizer_name=series.organizer_name,
        note=text,
        external_emails=series.external_emails,
        series_id=series.id,
        recurrence_id=occurrence.start,
    )
    try:
        with session.begin_nested():  # PostgreSQL: a second opener at the same moment meets the unique index
            session.add(child)
            session.flush()
    except sa.exc.IntegrityError:
        opened = opened_occurrence(session, series, start)
        if opened is None:
            raise
        return opened
    if booking is not None:  # the occurrence keeps its booking (and its room, also one it was moved to)
        booking.appointment_id = child.id  # type: ignore[assignment]
        session.add(booking)
    elif series.series_room_id is not None:  # beyond the booked horizon
        session.add(
            Booking(
                appointment_id=child.id,
                room_id=series.series_room_id,
                starts_at=occurrence.start,
                ends_at=occurrence.end,
            )
        )
    for (uid,) in session.execute(select(Participant.user_id).where(Participant.appointment_id == series.id)):
        session.add(Participant(appointment_id=child.id, user_id=uid))  # type: ignore[arg-type]
    if occurrence.day == day_of(series.starts_at, series.time_zone):
        _hand_over_meeting(session, series, child)
    session.flush()
    if meetings.wants_meeting(session, child.id, room_id):  # type: ignore[arg-type]
        meetings.plan_sync(session, child.id)  # type: ignore[arg-type]
    audit.record(
        session,
        actor=user,
        action="series.open_occurrence",
        entity="appointment",
        entity_id=child.id,
        after={"series_id": series.id, "recurrence_id": occurrence.start.isoformat(), "room_id": room_id},
        effective_user=acting.effective,
    )
    return child


def _organizer(session: Session, series: Appointment) -> User | None:
    organizer = session.get(User, series.organizer_id) if series.organizer_id else None
    return organizer if organizer is not None and organizer.active else None


def _hand_over_meeting(session: Session, series: Appointment, child: Appointment) -> None:
    """A series made from an appointment carries that appointment's meeting: it is the first occurrence's."""
    data = session.get(GotoMeetingData, series.id)
    if data is None:
        return
    block = data.data.get("block")
    series.note = replace_block(series.note, block, None)
    child.note = compose_note(child.note, block)
    session.add(
        GotoMeetingData(
            appointment_id=child.id,
            account=data.account,
            meeting_id=data.meeting_id,
            join_url=data.join_url,
            state=data.state,
            data=dict(data.data),
        )
    )
    session.delete(data)
    session.add_all([series, child])


def _drop_carried_meeting(session: Session, series: Appointment) -> list[int]:
    """The first occurrence is gone: the meeting a converted appointment carried for it goes, with its block."""
    job = meetings.plan_delete(session, series.id)  # type: ignore[arg-type]
    data = session.get(GotoMeetingData, series.id)
    if data is not None:
        series.note = replace_block(series.note, data.data.get("block"), None)
        session.delete(data)
    return [job] if job is not None else []


def _exclude(series: Appointment, start: datetime) -> None:
    day = day_of(start, series.time_zone).isoformat()
    series.exclusions = sorted({*series.exclusions, day})
    series.version += 1  # an editor of the series that was opened before this must reload
    series.updated_at = utcnow()


def delete_occurrence(session: Session, *, user: User, series_id: int, start: datetime) -> list[int]:
    """Take one occurrence out of the series (it stays skipped) and delete its meeting if it had one.

    Returns the jobs that delete meetings at GoTo: run them after the commit.
    """
    write_lock(session)  # reads, then writes: the write lock before the first read
    series = series_of(session, series_id)
    opened = opened_occurrence(session, series, start)
    booking = (
        None if opened is not None else occurrence_booking(session, series, find_occurrence(session, series, start))
    )
    room = held_room(session, opened) if opened is not None else None
    room = room or (session.get(Room, booking.room_id) if booking else held_room(session, series))
    policy.authorize_booking(session, user=user, from_room=room)
    jobs: list[int] = []
    if opened is not None:
        job = meetings.plan_delete(session, opened.id)  # type: ignore[arg-type]
        jobs += [job] if job is not None else []
        session.delete(opened)
    else:
        if booking is not None:
            session.delete(booking)
        if day_of(start, series.time_zone) == day_of(series.starts_at, series.time_zone):
            jobs += _drop_carried_meeting(session, series)
    _exclude(series, start)
    session.add(series)
    audit.record(
        session,
        actor=user,
        action="series.delete_occurrence",
        entity="appointment",
        entity_id=series.id,
        after={"day": day_of(start, series.time_zone).isoformat(), "opened": opened.id if opened else None},
    )
    return jobs


def before_delete(session: Session, appointment: Appointment) -> list[int]:
    """Hook of appointment deletion: a series takes its opened occurrences along; an opened one stays skipped."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    if appointment.series_id is not None and appointment.recurrence_id is not None:
        series = session.get(Appointment, appointment.series_id)
        if series is not None:
            _exclude(series, appointment.recurrence_id)
            session.add(series)
        return []
    jobs: list[int] = []
    for child in session.exec(select(Appointment).where(Appointment.series_id == appointment.id)).all():
        job = meetings.plan_delete(session, child.id)  # type: ignore[arg-type]
        jobs += [job] if job is not None else []
        session.delete(child)
    session.flush()
    return jobs


def _cut(session: Session, series: Appointment, start: datetime) -> list[Appointment]:
    """End the series before the day of `start`; returns its opened occurrences from that day on."""
    day = day_of(start, series.time_zone)
    series.rrule = ending_before(series.rrule, day, series.time_zone)  # type: ignore[arg-type]
    series.series_ends_at = last_end(
        series.rrule, first_start=series.starts_at, first_end=series.ends_at, zone=series.time_zone
    )
    series.exclusions = [d for d in series.exclusions if d < day.isoformat()]
    series.updated_at = utcnow()
    rebook(session, series)
    later = session.exec(select(Appointment).where(Appointment.series_id == series.id)).all()
    return [c for c in later if c.recurrence_id and day_of(c.recurrence_id, series.time_zone) >= day]


def end_series(session: Session, *, user: User, series_id: int, start: datetime, expected_version: int) -> list[int]:
    """Delete this and the following occurrences (the whole series when it is the first); returns meeting jobs."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    policy.authorize_booking(session, user=user, from_room=held_room(session, series_of(session, series_id)))
    series = load_for_change(session, series_id, expected_version)
    if series.rrule is None:
        raise NotFound("error.series_unknown")
    if day_of(start, series.time_zone) <= day_of(series.starts_at, series.time_zone):
        jobs = before_delete(session, series)
        job = meetings.plan_delete(session, series.id)  # type: ignore[arg-type]
        audit.record(
            session,
            actor=user,
            action="series.delete",
            entity="appointment",
            entity_id=series.id,
            before=audit.snapshot(series),
        )
        session.delete(series)
        return jobs + ([job] if job is not None else [])
    jobs = []
    for child in _cut(session, series, start):
        job = meetings.plan_delete(session, child.id)  # type: ignore[arg-type]
        jobs += [job] if job is not None else []
        session.delete(child)
    audit.record(
        session,
        actor=user,
        action="series.end",
        entity="appointment",
        entity_id=series.id,
        after={"rrule": series.rrule, "from": start.isoformat()},
    )
    return jobs


def split_series(
    session: Session,
    *,
    user: User,
    series_id: int,
    start: datetime,
    data: SeriesInput,
    expected_version: int,
    resolution: str = ASK,
    move_to_room: int | None = None,
    now: datetime | None = None,
) -> SeriesSaved:
    """Change "this and the following" occurrences: the series ends before them and a new series takes over.

    The new series gets the occurrences opened and skipped from that day on. At the first occurrence this is
    simply a change of the whole series.
    """
    write_lock(session)  # reads, then writes: the write lock before the first read
    series = series_of(session, series_id)
    policy.authorize_booking(session, user=user, from_room=held_room(session, series))
    if day_of(start, series.time_zone) <= day_of(series.starts_at, series.time_zone):
        return save_series(
            session,
            user=user,
            data=data,
            series_id=series_id,
            expected_version=expected_version,
            resolution=resolution,
            move_to_room=move_to_room,
            now=now,
        )
    series = load_for_change(session, series_id, expected_version)
    shape_before = shape_of(session, series)
    day = day_of(start, series.time_zone).isoformat()
    carried = tuple(datetime.fromisoformat(d).date() for d in series.exclusions if d >= day)
    moved_rooms = {
        day_of(s, series.time_zone): r
        for s, r in session.exec(
            select(Booking.starts_at, Booking.room_id).where(
                Booking.appointment_id == series.id,
                Booking.starts_at >= start,
                Booking.room_id != series.series_room_id,
            )
        ).all()
    }
    later = _cut(session, series, start)
    session.flush()
    opened_days = frozenset(day_of(c.recurrence_id, series.time_zone).isoformat() for c in later)  # type: ignore[arg-type]
    saved = save_series(
        session,
        user=user,
        now=now,
        resolution=resolution,
        move_to_room=move_to_room,
        data=SeriesInput(data.appointment, data.rule, tuple(sorted({*data.exclusions, *carried}))),
        opened_days=opened_days,
    )
    new = saved.series
    if new.organizer_id != series.organizer_id:  # the series stays the organizer's, whoever split it
        new.organizer_id, new.organizer_name = series.organizer_id, series.organizer_name
    for child in later:
        child.series_id = new.id
        session.add(child)
    session.flush()
    if new.series_room_id == series.series_room_id and moved_rooms:
        for booking in session.exec(select(Booking).where(Booking.appointment_id == new.id)).all():
            booking.room_id = moved_rooms.get(day_of(booking.starts_at, new.time_zone), booking.room_id)
            session.add(booking)
    saved.booked = rebook(session, new)
    saved.followed, saved.left_as_is = follow_series(
        session, new, shape_before, from_day=day_of(start, series.time_zone)
    )
    audit.record(
        session,
        actor=user,
        action="series.split",
        entity="appointment",
        entity_id=series.id,
        after={"new_series": new.id, "from": start.isoformat(), "rrule": series.rrule},
    )
    return saved


def edit_occurrence(
    session: Session,
    *,
    user: User,
    series_id: int,
    start: datetime,
    data: AppointmentInput,
    confirm_overbooking: bool = False,
) -> Appointment:
    """Change only this occurrence: it is opened (detached, rule 7) and saved like any appointment."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    opened = open_occurrence(session, user=user, series_id=series_id, start=start)
    session.flush()
    return save_appointment(
        session,
        user=user,
        data=data,
        appointment_id=opened.id,
        expected_version=opened.version,
        confirm_overbooking=confirm_overbooking,
    )
