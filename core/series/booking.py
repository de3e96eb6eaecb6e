"""Saving a series: its rule, its first occurrence, one booking per occurrence, and conflicts per occurrence."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from core.access import policy
from core.access.permissions import bookable_room_ids, require_role
from core.access.settings import forbid_overbooking
from core.booking import availability
from core.booking.appointments import (
    AppointmentInput,
    held_room,
    load_for_change,
    room_to_book,
    store_participants,
    validate,
)
from core.booking.availability import MAX_DURATION, lock_room
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import RoomDeskError, ValidationFailed
from core.kernel.models import Appointment, Booking, MeetingJob, Role, Room, User, utcnow
from core.meetings import jobs as meetings
from core.meetings.invitations import compose_note, split_note
from core.series.rules import HORIZON, Occurrence, expand, first_occurrence, last_end, normalize_rule

ASK, BOOK_ANYWAY, SKIP, MOVE = "ask", "book_anyway", "skip", "move"


@dataclass(frozen=True)
class SeriesInput:
    appointment: AppointmentInput  # the first occurrence: subject, times, zone, note, room, participants
    rule: str  # RRULE value, e.g. FREQ=WEEKLY;BYDAY=MO,WE
    exclusions: tuple[date, ...] = ()


@dataclass(frozen=True)
class OccurrenceConflict:
    day: date
    start: datetime
    end: datetime
    room_id: int
    others: list[dict[str, object]]  # id, subject, start, end, organizer
    free_rooms: list[tuple[int, str]]  # rooms the organizer may book that are free then


class SeriesOverbooking(RoomDeskError):
    """Some occurrences overbook their room; the caller chooses: book anyway, skip them, or move them."""

    key = "series.overbooking"

    def __init__(self, *, conflicts: list[OccurrenceConflict], forbidden: bool) -> None:
        self.conflicts, self.forbidden = conflicts, forbidden
        common = set.intersection(*(set(c.free_rooms) for c in conflicts)) if conflicts else set()
        self.common_rooms = sorted(common, key=lambda r: r[1])  # free for every conflicting occurrence
        super().__init__(self.key, count=len(conflicts))


@dataclass
class SeriesSaved:
    series: Appointment
    booked: int
    skipped: list[date] = field(default_factory=list)
    moved: dict[date, int] = field(default_factory=dict)
    followed: list[date] = field(default_factory=list)  # opened occurrences that took the change (meeting too)
    left_as_is: list[date] = field(default_factory=list)  # opened occurrences changed by hand: kept their change


@dataclass(frozen=True)
class Shape:
    """What an occurrence opened from a series looks like until someone changes it by hand."""

    subject: str
    note: str  # the user's text, without an invitation block
    start_time: time  # local time of day in `zone`
    duration: timedelta
    zone: str
    room_id: int | None

    def start_on(self, day: date) -> datetime:
        return datetime.combine(day, self.start_time, ZoneInfo(self.zone))


def shape_of(session: Session, series: Appointment) -> Shape:
    text, _ = split_note(series.note, meetings.block_of(session, series.id) if series.id else None)
    local = series.starts_at.astimezone(ZoneInfo(series.time_zone))
    return Shape(
        series.subject, text, local.time(), series.ends_at - series.starts_at, series.time_zone, series.series_room_id
    )


def follow_series(
    session: Session, series: Appointment, before: Shape, *, from_day: date | None = None
) -> tuple[list[date], list[date]]:
    """Bring the series' opened occurrences (from `from_day` on) in line with a change of the series.

    One that was only opened follows: new subject, note, time and room, and its meeting is updated. One the user
    changed by hand (or whose day the series no longer has) keeps what it is. Returns (followed, left as is).
    """
    write_lock(session)  # reads, then writes: the write lock before the first read
    after = shape_of(session, series)
    followed: list[date] = []
    left: list[date] = []
    if after == before:
        return followed, left
    children = session.exec(select(Appointment).where(Appointment.series_id == series.id)).all()
    for child in sorted(children, key=lambda c: c.recurrence_id or c.starts_at):
        if child.recurrence_id is None or child.id is None:
            continue
        day = day_of(child.recurrence_id, series.time_zone)
        if from_day is not None and day < from_day:
            continue
        booking = session.exec(select(Booking).where(Booking.appointment_id == child.id)).first()
        block = meetings.block_of(session, child.id)
        text, _ = split_note(child.note, block)
        untouched = (
            child.subject == before.subject
            and text == before.note
            and child.starts_at == before.start_on(day)
            and child.ends_at - child.starts_at == before.duration
            and (booking.room_id if booking else None) == before.room_id
        )
        in_rule = any(o.day == day for o in _around(series, after.start_on(day)))
        if not untouched or not in_rule:
            left.append(day)
            continue
        start = after.start_on(day)
        child.subject, child.note = after.subject, compose_note(after.note, block)
        child.starts_at, child.ends_at = start, start + after.duration
        child.version, child.updated_at = child.version + 1, utcnow()
        session.add(child)
        if booking is not None:
            booking.starts_at, booking.ends_at = child.starts_at, child.ends_at
            booking.room_id = after.room_id or booking.room_id
            session.add(booking)
        session.flush()
        if meetings.wants_meeting(session, child.id, booking.room_id if booking else None):
            meetings.plan_sync(session, child.id)
        followed.append(day)
    return followed, left


def _around(series: Appointment, start: datetime) -> list[Occurrence]:
    return expand(
        series.rrule or "",
        first_start=series.starts_at,
        first_end=series.ends_at,
        zone=series.time_zone,
        window_start=start - timedelta(days=1),
        window_end=start + timedelta(days=1),
    )


def day_of(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def detached_days(session: Session, series: Appointment) -> set[str]:
    """Local dates of the occurrences opened from this series (they are appointments of their own now)."""
    ids = session.exec(select(Appointment.recurrence_id).where(Appointment.series_id == series.id)).all()
    return {day_of(r, series.time_zone).isoformat() for r in ids if r is not None}


def horizon_end(first_start: datetime, now: datetime) -> datetime:
    return max(now, first_start) + HORIZON


def series_occurrences(
    session: Session, series: Appointment, *, window_end: datetime, window_start: datetime | None = None
) -> list[Occurrence]:
    """The occurrences the series itself still holds: not skipped, not opened."""
    skip = set(series.exclusions) | detached_days(session, series)
    return expand(
        series.rrule or "",
        first_start=series.starts_at,
        first_end=series.ends_at,
        zone=series.time_zone,
        window_start=window_start,
        window_end=window_end,
        skip=skip,
    )


def _overlapping(
    rows: list[dict[str, object]], starts: list[datetime], start: datetime, end: datetime
) -> list[dict[str, object]]:
    # No booking lasts longer than MAX_DURATION, so only rows starting in [start - MAX_DURATION, end) can overlap.
    lo, hi = bisect.bisect_left(starts, start - MAX_DURATION), bisect.bisect_left(starts, end)
    return [r for r in rows[lo:hi] if r["end"] > start]  # type: ignore[operator]


def find_conflicts(
    session: Session, placed: list[tuple[Occurrence, int]], *, exclude_appointment_id: int | None
) -> list[tuple[Occurrence, int, list[dict[str, object]]]]:
    """Each occurrence that overlaps another booking of its room, with those bookings; one query per room."""
    found = []
    for room_id in sorted({room for _, room in placed}):
        mine = [o for o, room in placed if room == room_id]
        lock_room(session, room_id)
        rows = availability.overlapping_appointments(
            session,
            room_id=room_id,
            start=mine[0].start,
            end=max(o.end for o in mine),
            exclude_appointment_id=exclude_appointment_id,
        )
        starts = [r["start"] for r in rows]
        found += [(o, room_id, hits) for o in mine if (hits := _overlapping(rows, starts, o.start, o.end))]  # type: ignore[arg-type]
    return sorted(found, key=lambda item: item[0].start)


def free_rooms(
    session: Session, organizer: User, slots: list[tuple[datetime, datetime]], *, exclude_appointment_id: int | None
) -> list[list[tuple[int, str]]]:
    """Per slot, the active rooms the organizer may book that nothing else holds then (by name)."""
    return availability.free_rooms(
        session,
        room_ids=bookable_room_ids(session, organizer),
        slots=slots,
        exclude_appointment_id=exclude_appointment_id,
    )


def _validated(session: Session, data: SeriesInput) -> str:
    problems = validate(data.appointment)
    rule = ""
    if not any(p.field == "time_zone" for p in problems):
        try:
            rule = normalize_rule(data.rule, data.appointment.time_zone)
        except RoomDeskError as err:
            problems.append(err)
    known = set(session.exec(select(User.id).where(User.id.in_(data.appointment.participant_ids), User.active)))
    if len(known) != len(set(data.appointment.participant_ids)):
        problems.append(RoomDeskError("error.participant_unknown", field="participants"))
    if problems:
        raise ValidationFailed(problems)
    return rule


def save_series(
    session: Session,
    *,
    user: User,
    data: SeriesInput,
    series_id: int | None = None,
    expected_version: int | None = None,
    resolution: str = ASK,
    move_to_room: int | None = None,
    now: datetime | None = None,
    opened_days: frozenset[str] = frozenset(),
) -> SeriesSaved:
    """Create a series, turn an appointment into one, or change a whole series; books every occurrence.

    Occurrences that would overbook raise SeriesOverbooking unless `resolution` says what to do with them.
    """
    write_lock(session)  # reads, then writes: the write lock first
    require_role(user, Role.staff, Role.admin)
    now = now or utcnow()
    rule, given = _validated(session, data), data.appointment
    zone = given.time_zone
    room = room_to_book(session, given.room_ids)
    held = held_room(session, session.get(Appointment, series_id)) if series_id else None
    acting = policy.authorize_booking(session, user=user, from_room=held, to_room=room)
    existing = load_for_change(session, series_id, expected_version) if series_id else None
    if existing is not None and existing.series_id is not None:
        raise ValidationFailed([RoomDeskError("error.series_of_occurrence", field="rrule")])
    start = first_occurrence(rule, given.starts_at, zone)  # type: ignore[arg-type]
    if start is None:
        raise ValidationFailed([RoomDeskError("error.series_no_occurrence", field="rrule")])
    first = expand(
        rule,
        first_start=given.starts_at,
        first_end=given.ends_at,
        zone=zone,
        window_end=start + timedelta(seconds=1),
    )[-1]
    until = horizon_end(first.start, now)
    skip = {d.isoformat() for d in data.exclusions}
    taken = (detached_days(session, existing) if existing is not None else set()) | opened_days
    occurrences = expand(
        rule, first_start=first.start, first_end=first.end, zone=zone, window_end=until, skip=skip | taken
    )
    if not occurrences and not taken:
        raise ValidationFailed([RoomDeskError("error.series_no_occurrence", field="rrule")])
    keep = _kept_rooms(session, existing, room)
    rooms = {o.day: keep.get(o.day, room.id) for o in occurrences} if room else {}
    saved = SeriesSaved(
        series=existing
        or Appointment(
            subject="", starts_at=first.start, ends_at=first.end, organizer_id=user.id, organizer_name=user.display_name
        ),
        booked=0,
    )
    organizer = session.get(User, saved.series.organizer_id) if saved.series.organizer_id else None
    if room is not None:
        occurrences = _resolve(session, saved, organizer or user, occurrences, rooms, resolution, move_to_room, now)
    skip |= {d.isoformat() for d in saved.skipped}
    before = audit.snapshot(existing) if existing else None
    shape_before = shape_of(session, existing) if existing is not None and existing.rrule is not None else None
    series = saved.series
    series.subject, series.time_zone, series.rrule = given.subject, zone, rule
    series.note = compose_note(given.note, meetings.block_of(session, series.id) if series.id else None)
    series.starts_at, series.ends_at = first.start, first.end
    series.external_emails = "\n".join(dict.fromkeys(given.external_emails))
    series.exclusions = sorted(skip)
    series.series_room_id = room.id if room else None
    series.series_ends_at = last_end(rule, first_start=first.start, first_end=first.end, zone=zone)
    series.booked_until, series.updated_at = until, utcnow()
    session.add(series)
    session.flush()
    # Rule 7: a series gets no meeting; a sync planned while it was a single appointment has nothing to do.
    session.execute(sa.delete(MeetingJob).where(MeetingJob.appointment_id == series.id, MeetingJob.kind == "sync"))
    saved.booked = store_bookings(session, series, occurrences, {**rooms, **saved.moved})
    store_participants(session, series.id, given.participant_ids)  # type: ignore[arg-type]
    if shape_before is not None:
        saved.followed, saved.left_as_is = follow_series(session, series, shape_before)
    audit.record(
        session,
        actor=user,
        action="series.update" if existing else "series.create",
        entity="appointment",
        entity_id=series.id,
        before=before,
        effective_user=acting.effective,
        after=audit.snapshot(series)
        | {
            "booked": saved.booked,
            "skipped": [d.isoformat() for d in saved.skipped],
            "moved": {d.isoformat(): r for d, r in saved.moved.items()},
            "followed": [d.isoformat() for d in saved.followed],
            "left_as_is": [d.isoformat() for d in saved.left_as_is],
        },
    )
    return saved


def _kept_rooms(session: Session, existing: Appointment | None, room: Room | None) -> dict[date, int]:
    """Occurrences moved to another room keep it while the series keeps its room."""
    if existing is None or existing.rrule is None or room is None or existing.series_room_id != room.id:
        return {}
    rows = session.exec(select(Booking.starts_at, Booking.room_id).where(Booking.appointment_id == existing.id)).all()
    return {day_of(start, existing.time_zone): room_id for start, room_id in rows}


def _resolve(
    session: Session,
    saved: SeriesSaved,
    organizer: User,
    occurrences: list[Occurrence],
    rooms: dict[date, int],
    resolution: str,
    move_to_room: int | None,
    now: datetime,
) -> list[Occurrence]:
    """Apply the user's choice to the occurrences that overbook; the past is history and is not checked."""
    own = saved.series.id
    found = find_conflicts(session, [(o, rooms[o.day]) for o in occurrences if o.end > now], exclude_appointment_id=own)
    if not found:
        return occurrences
    forbidden = forbid_overbooking(session)
    if resolution == SKIP:
        saved.skipped = [o.day for o, _, _ in found]
        return [o for o in occurrences if o.day not in set(saved.skipped)]
    if resolution == MOVE:
        options = free_rooms(session, organizer, [(o.start, o.end) for o, _, _ in found], exclude_appointment_id=own)
        picks = {
            o.day: next((r for r, _ in free if r == move_to_room), free[0][0] if free else None)
            for (o, _, _), free in zip(found, options)
        }
        if all(p is not None for p in picks.values()):
            saved.moved = picks  # type: ignore[assignment]
            return occurrences
    elif resolution == BOOK_ANYWAY and not forbidden:
        return occurrences
    options = free_rooms(session, organizer, [(o.start, o.end) for o, _, _ in found], exclude_appointment_id=own)
    raise SeriesOverbooking(
        conflicts=[
            OccurrenceConflict(o.day, o.start, o.end, room, others, free)
            for (o, room, others), free in zip(found, options)
        ],
        forbidden=forbidden,
    )


def store_bookings(session: Session, series: Appointment, occurrences: list[Occurrence], rooms: dict[date, int]) -> int:
    """Make the series' booking rows exactly its occurrences (one per occurrence, in its room); returns how many."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    rows = session.exec(select(Booking).where(Booking.appointment_id == series.id)).all()
    by_day = {day_of(b.starts_at, series.time_zone): b for b in rows}
    wanted = {o.day: o for o in occurrences if o.day in rooms}
    stale = [b.id for d, b in by_day.items() if d not in wanted] + [b.id for b in rows if b not in by_day.values()]
    if stale:  # removed before anything moves in, so (appointment, start) never collides on the way
        session.execute(sa.delete(Booking).where(Booking.id.in_(stale)).execution_options(synchronize_session=False))
    for day, occurrence in wanted.items():
        row = by_day.get(day)
        if row is None:
            session.add(
                Booking(
                    appointment_id=series.id,
                    room_id=rooms[day],
                    starts_at=occurrence.start,
                    ends_at=occurrence.end,
                )
            )
        elif (row.starts_at, row.ends_at, row.room_id) != (occurrence.start, occurrence.end, rooms[day]):
            row.starts_at, row.ends_at, row.room_id = occurrence.start, occurrence.end, rooms[day]
            session.add(row)
    session.flush()
    return len(wanted)


def rebook(session: Session, series: Appointment, *, until: datetime | None = None) -> int:
    """Book the series' occurrences again up to `until` (default: as far as it is booked), rooms kept."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    series.booked_until = until or series.booked_until
    occurrences = series_occurrences(session, series, window_end=series.booked_until)  # type: ignore[arg-type]
    if series.series_room_id is None:
        return store_bookings(session, series, occurrences, {})
    rows = session.exec(select(Booking.starts_at, Booking.room_id).where(Booking.appointment_id == series.id)).all()
    kept = {day_of(start, series.time_zone): room for start, room in rows}
    session.add(series)
    return store_bookings(
        session, series, occurrences, {o.day: kept.get(o.day, series.series_room_id) for o in occurrences}
    )
