"""Reading series: the series list, one series for its form, occurrences for the appointment list and panel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from core.access.permissions import require_role
from core.booking.appointments import AgendaRow
from core.booking.availability import MAX_DURATION, overlapping_appointments
from core.kernel.errors import NotFound
from core.kernel.models import Appointment, Booking, GotoMeetingData, Participant, Role, Room, User, utcnow
from core.meetings import jobs as meetings
from core.meetings.invitations import split_note
from core.series.booking import day_of, series_occurrences
from core.series.occurrences import find_occurrence, occurrence_booking, opened_occurrence, series_of
from core.series.rules import RuleSpec, expand, parse_rule


@dataclass(frozen=True)
class SeriesRow:
    id: int
    subject: str
    rule: str
    time_zone: str
    room: str | None
    organizer: str
    first_start: datetime
    next_start: datetime | None
    carries_link: bool


@dataclass(frozen=True)
class SeriesView:
    id: int
    subject: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    rule: str
    spec: RuleSpec | None  # None: a rule the form cannot show in its fields (kept as text)
    note: str
    invitation: str | None
    room_id: int | None
    room: str | None
    organizer: str
    organizer_id: int | None
    participant_ids: tuple[int, ...]
    external_emails: tuple[str, ...]
    exclusions: tuple[date, ...]
    version: int
    opened: dict[date, int] = field(default_factory=dict)  # day -> the opened occurrence's appointment


@dataclass(frozen=True)
class OccurrenceView:
    series_id: int
    start: datetime
    end: datetime
    subject: str
    rule: str
    time_zone: str
    room: str | None
    organizer: str
    series_version: int
    opened_id: int | None
    overbooked_with: list[dict[str, object]]


def _series_query() -> sa.Select:
    return (
        select(Appointment, Room.name, sa.func.coalesce(User.display_name, Appointment.organizer_name))
        .outerjoin(Room, Room.id == Appointment.series_room_id)
        .outerjoin(User, User.id == Appointment.organizer_id)
        .where(Appointment.rrule.is_not(None))
    )


def list_series(
    session: Session,
    *,
    user: User,
    mine_only: bool = False,
    include_ended: bool = False,
    now: datetime | None = None,
    limit: int = 300,
) -> list[SeriesRow]:
    """Series, those with a next occurrence first; ended ones only when asked for."""
    require_role(user, Role.staff, Role.admin)
    now = now or utcnow()
    query = _series_query().order_by(Appointment.subject, Appointment.id).limit(limit)
    if mine_only:
        query = query.where(Appointment.organizer_id == user.id)
    if not include_ended:
        query = query.where(sa.or_(Appointment.series_ends_at.is_(None), Appointment.series_ends_at > now))
    with_link = set(
        session.exec(
            select(GotoMeetingData.appointment_id)
            .join(Appointment, Appointment.id == GotoMeetingData.appointment_id)
            .where(Appointment.rrule.is_not(None))
        ).all()
    )
    out = []
    for series, room, organizer in session.exec(query).all():
        upcoming = series_occurrences(
            session, series, window_start=now, window_end=max(now, series.starts_at) + timedelta(days=400)
        )
        out.append(
            SeriesRow(
                series.id,
                series.subject,
                series.rrule,
                series.time_zone,
                room,
                organizer,
                series.starts_at,
                upcoming[0].start if upcoming else None,
                series.id in with_link,
            )
        )
    return sorted(out, key=lambda r: (r.next_start is None, r.next_start or r.first_start))


def is_series(session: Session, appointment_id: int) -> bool:
    """Whether the appointment is a recurring series (its bars on the timeline are occurrences)."""
    appt = session.get(Appointment, appointment_id)
    return appt is not None and appt.rrule is not None


def get_series(session: Session, *, user: User, series_id: int) -> SeriesView:
    """One series as its form shows it (user text only; the carried invitation apart)."""
    require_role(user, Role.staff, Role.admin)
    row = session.exec(_series_query().where(Appointment.id == series_id)).first()
    if row is None:
        raise NotFound("error.series_unknown")
    series, room, organizer = row
    text, block = split_note(series.note, meetings.block_of(session, series.id))
    participants = tuple(session.exec(select(Participant.user_id).where(Participant.appointment_id == series.id)))
    children = session.exec(select(Appointment.id, Appointment.recurrence_id).where(Appointment.series_id == series.id))
    return SeriesView(
        id=series.id,
        subject=series.subject,
        starts_at=series.starts_at,
        ends_at=series.ends_at,
        time_zone=series.time_zone,
        rule=series.rrule,
        spec=parse_rule(series.rrule, series.time_zone),
        note=text,
        invitation=block,
        room_id=series.series_room_id,
        room=room,
        organizer=organizer,
        organizer_id=series.organizer_id,
        participant_ids=participants,
        external_emails=tuple(a for a in series.external_emails.splitlines() if a),
        exclusions=tuple(date.fromisoformat(d) for d in series.exclusions),
        version=series.version,
        opened={day_of(r, series.time_zone): cid for cid, r in children if r is not None},
    )


def occurrence_rows(
    session: Session, *, start: datetime, end: datetime, organizer_id: int | None = None, limit: int = 500
) -> list[AgendaRow]:
    """The series' own occurrences in [start, end) as rows of the appointment list (opened ones are
    appointments and listed as such). Each row names its series and its start."""
    query = (
        select(Appointment, Room.name, sa.func.coalesce(User.display_name, Appointment.organizer_name))
        .outerjoin(Room, Room.id == Appointment.series_room_id)
        .outerjoin(User, User.id == Appointment.organizer_id)
        .where(
            Appointment.rrule.is_not(None),
            Appointment.starts_at < end,
            sa.or_(Appointment.series_ends_at.is_(None), Appointment.series_ends_at > start),
        )
    )
    if organizer_id is not None:
        query = query.where(Appointment.organizer_id == organizer_id)
    found = session.exec(query).all()
    ids = [s.id for s, _, _ in found]
    other = sa.orm.aliased(Booking)
    clash = (
        select(other.id)
        .where(
            other.room_id == Booking.room_id,
            other.id != Booking.id,
            other.starts_at < Booking.ends_at,
            other.starts_at > start - 2 * MAX_DURATION,  # as in list_appointments: a short index range per probe
            other.ends_at > Booking.starts_at,
        )
        .exists()
    )
    booked = (
        {
            (a, s): (name, bool(c))
            for a, s, name, c in session.execute(
                select(Booking.appointment_id, Booking.starts_at, Room.name, clash)
                .join(Room, Room.id == Booking.room_id)
                .where(Booking.appointment_id.in_(ids), Booking.starts_at < end, Booking.ends_at > start)
            )
        }
        if ids
        else {}
    )
    rows: list[AgendaRow] = []
    for series, room, organizer in found:
        for o in series_occurrences(session, series, window_start=start, window_end=end):
            name, overbooked = booked.get((series.id, o.start), (room, False))
            rows.append(
                AgendaRow(series.id, series.subject, o.start, o.end, name, organizer, overbooked, series.id, o.start)
            )
            if len(rows) >= limit:
                return rows
    return rows


def get_occurrence(session: Session, *, user: User, series_id: int, start: datetime) -> OccurrenceView:
    """One occurrence for its panel: when, where, who, whether it is open already, what it overbooks."""
    require_role(user, Role.staff, Role.admin)
    series = series_of(session, series_id)
    opened = opened_occurrence(session, series, start)
    if opened is not None:
        occurrence_start, occurrence_end, room_id = opened.starts_at, opened.ends_at, None
    else:
        occurrence = find_occurrence(session, series, start)
        booking = occurrence_booking(session, series, occurrence)
        occurrence_start, occurrence_end = occurrence.start, occurrence.end
        room_id = booking.room_id if booking else series.series_room_id
    room = session.get(Room, room_id) if room_id else None
    organizer = session.get(User, series.organizer_id) if series.organizer_id else None
    clashes = (
        overlapping_appointments(
            session, room_id=room_id, start=occurrence_start, end=occurrence_end, exclude_appointment_id=series.id
        )
        if room_id
        else []
    )
    return OccurrenceView(
        series_id=series.id,
        start=occurrence_start,
        end=occurrence_end,
        subject=series.subject,
        rule=series.rrule,
        time_zone=series.time_zone,
        room=room.name if room else None,
        organizer=organizer.display_name if organizer else series.organizer_name,
        series_version=series.version,
        opened_id=opened.id if opened else None,
        overbooked_with=clashes,
    )


def preview(
    rule: str,
    *,
    start: datetime,
    end: datetime,
    zone: str,
    skip: tuple[date, ...] = (),
    opened: tuple[date, ...] = (),
    count: int = 8,
) -> list[datetime]:
    """The first starts the rule yields from `start` (for the form's preview), without skipped days and the
    days of occurrences opened as appointments of their own (they may have moved elsewhere)."""
    occurrences = expand(
        rule,
        first_start=start,
        first_end=end,
        zone=zone,
        window_end=start + timedelta(days=3660),
        skip={d.isoformat() for d in (*skip, *opened)},
    )
    return [o.start for o in occurrences[:count]]


def upcoming(
    session: Session, *, user: User, series_id: int, count: int = 5, now: datetime | None = None
) -> list[datetime]:
    """The starts of the series' next own occurrences (the ones that can still be opened)."""
    require_role(user, Role.staff, Role.admin)
    series = session.get(Appointment, series_id)
    if series is None or series.rrule is None:
        raise NotFound("error.series_unknown")
    now = now or utcnow()
    found = series_occurrences(
        session, series, window_start=now, window_end=max(now, series.starts_at) + timedelta(days=400)
    )
    return [o.start for o in found[:count]]
