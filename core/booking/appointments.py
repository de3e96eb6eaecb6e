"""Appointments and their room booking: validation, overbooking warnings, optimistic locking."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.access import policy
from core.access.permissions import require_role
from core.access.settings import forbid_overbooking
from core.booking.availability import MAX_DURATION, lock_room, overlapping_appointments
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import (
    NotFound,
    OverbookingWarning,
    RoomDeskError,
    StaleAppointment,
    ValidationFailed,
)
from core.kernel.models import Appointment, Booking, Participant, Role, Room, User, utcnow
from core.meetings import jobs as meetings
from core.meetings.invitations import compose_note, split_note

MAX_SUBJECT = 200
MAX_NOTE = 100_000
EARLIEST, LATEST = 2000, 2100
EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class AppointmentInput:
    subject: str
    starts_at: datetime | None
    ends_at: datetime | None
    time_zone: str = "Europe/Berlin"
    note: str = ""
    room_ids: tuple[int, ...] = ()
    participant_ids: tuple[int, ...] = ()
    external_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppointmentView:
    id: int
    subject: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    organizer: str
    organizer_id: int | None
    note: str
    room_id: int | None
    room: str | None
    invitation: str | None
    participant_ids: tuple[int, ...]
    external_emails: tuple[str, ...]
    version: int
    meeting: meetings.MeetingState = meetings.MeetingState("none")
    overbooked_with: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class AgendaRow:
    """One line of the appointment list: an appointment, or one occurrence its series still holds."""

    id: int  # the appointment (for an occurrence: its series)
    subject: str
    start: datetime
    end: datetime
    room: str | None
    organizer: str
    overbooked: bool
    series_id: int | None = None
    occurrence: datetime | None = None  # the occurrence's start, naming it within its series


def parse_emails(text: str) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons or line breaks, in the order typed."""
    return tuple(part.strip() for part in re.split(r"[,;\n]+", text) if part.strip())


def validate(data: AppointmentInput) -> list[RoomDeskError]:
    """Every field-level problem of an appointment, without touching the database."""
    problems: list[RoomDeskError] = []
    if not data.subject.strip():
        problems.append(RoomDeskError("error.subject_required", field="subject"))
    elif len(data.subject) > MAX_SUBJECT:
        problems.append(RoomDeskError("error.too_long", field="subject", max=MAX_SUBJECT))
    start, end = data.starts_at, data.ends_at
    if start is None or start.tzinfo is None:
        problems.append(RoomDeskError("error.start_required", field="starts_at"))
    if end is None or end.tzinfo is None:
        problems.append(RoomDeskError("error.end_required", field="ends_at"))
    if start and end and start.tzinfo and end.tzinfo:
        if not (EARLIEST <= start.year < LATEST and EARLIEST <= end.year < LATEST):
            problems.append(RoomDeskError("error.date_out_of_range", field="starts_at", low=EARLIEST, high=LATEST))
        elif end <= start:
            problems.append(RoomDeskError("error.end_before_start", field="ends_at"))
        elif end - start > MAX_DURATION:
            problems.append(
                RoomDeskError("error.duration_absurd", field="ends_at", hours=int(MAX_DURATION.total_seconds() // 3600))
            )
    if data.time_zone not in available_timezones():
        problems.append(RoomDeskError("error.time_zone_invalid", field="time_zone", zone=data.time_zone))
    if len(data.note) > MAX_NOTE:
        problems.append(RoomDeskError("error.too_long", field="note", max=MAX_NOTE))
    if len(data.room_ids) > 1:
        problems.append(RoomDeskError("error.one_room_only", field="room"))
    bad = [addr for addr in data.external_emails if not EMAIL.match(addr)]
    if bad:
        problems.append(RoomDeskError("error.emails_invalid", field="external_emails", addresses=", ".join(bad)))
    return problems


def room_to_book(session: Session, room_ids: tuple[int, ...]) -> Room | None:
    """The room an input names, if it exists and is active (whether the user may book it is the policy's)."""
    if not room_ids:
        return None
    room = session.get(Room, room_ids[0])
    if room is None:
        raise ValidationFailed([RoomDeskError("error.room_unknown", field="room", room=room_ids[0])])
    if not room.active:
        raise ValidationFailed([RoomDeskError("error.room_inactive", field="room", room=room.name)])
    return room


def held_room(session: Session, appointment: Appointment | None) -> Room | None:
    """The room an appointment books now (a series: its own room), for the policy's "from" side."""
    if appointment is None:
        return None
    if appointment.rrule is not None:
        return session.get(Room, appointment.series_room_id) if appointment.series_room_id else None
    booking = session.exec(select(Booking).where(Booking.appointment_id == appointment.id)).first()
    return session.get(Room, booking.room_id) if booking else None


def _check_overbooking(
    session: Session, room: Room, data: AppointmentInput, appointment_id: int | None, confirmed: bool
) -> list[dict[str, object]]:
    lock_room(session, room.id)  # type: ignore[arg-type]
    clashes = overlapping_appointments(
        session,
        room_id=room.id,
        start=data.starts_at,  # type: ignore[arg-type]
        end=data.ends_at,
        exclude_appointment_id=appointment_id,
    )
    if clashes and forbid_overbooking(session):
        raise ValidationFailed(
            [
                RoomDeskError(
                    "error.overbooking_forbidden",
                    field="room",
                    room=room.name,
                    names=", ".join(f"“{c['subject']}”" for c in clashes),
                )
            ]
        )
    if clashes and not confirmed:
        raise OverbookingWarning(room=room.name, conflicts=clashes)
    return clashes


def save_appointment(
    session: Session,
    *,
    user: User,
    data: AppointmentInput,
    appointment_id: int | None = None,
    expected_version: int | None = None,
    confirm_overbooking: bool = False,
) -> Appointment:
    """Create or update an appointment and its room booking; warn before overbooking a room."""
    require_role(user, Role.staff, Role.admin)
    write_lock(session)  # reads, then writes: take the write lock before the first read
    problems = validate(data)
    if problems:
        raise ValidationFailed(problems)
    known = set(session.exec(select(User.id).where(User.id.in_(data.participant_ids), User.active)))
    if len(known) != len(set(data.participant_ids)):
        raise ValidationFailed([RoomDeskError("error.participant_unknown", field="participants")])
    room = room_to_book(session, data.room_ids)
    held = held_room(session, session.get(Appointment, appointment_id)) if appointment_id else None
    acting = policy.authorize_booking(session, user=user, from_room=held, to_room=room)
    existing = load_for_change(session, appointment_id, expected_version) if appointment_id else None
    if existing is not None and existing.rrule is not None:  # a series is saved with its rule (core.series.booking)
        raise ValidationFailed([RoomDeskError("error.series_edit_as_series", field="subject")])
    clashes = _check_overbooking(session, room, data, appointment_id, confirm_overbooking) if room else []
    before = audit.snapshot(existing) if existing else None
    appt = existing or Appointment(
        subject="",
        starts_at=data.starts_at,
        ends_at=data.ends_at,  # type: ignore[arg-type]
        organizer_id=user.id,
        organizer_name=user.display_name,
    )
    # The user edits only their own text; our invitation block is re-attached exactly as last written.
    appt.subject, appt.time_zone = data.subject, data.time_zone
    appt.note = compose_note(data.note, meetings.block_of(session, appointment_id) if appointment_id else None)
    appt.starts_at, appt.ends_at = data.starts_at, data.ends_at  # type: ignore[assignment]
    appt.external_emails = "\n".join(dict.fromkeys(data.external_emails))
    appt.updated_at = utcnow()
    session.add(appt)
    session.flush()
    _store_booking(session, appt, room)
    store_participants(session, appt.id, data.participant_ids)  # type: ignore[arg-type]
    if meetings.wants_meeting(session, appt.id, room.id if room else None):  # type: ignore[arg-type]
        meetings.plan_sync(session, appt.id)  # type: ignore[arg-type]  # appt.id is set after flush; the intent commits with the save
    after = audit.snapshot(appt) | {"room_id": room.id if room else None, "overbooked_with": [c["id"] for c in clashes]}
    audit.record(
        session,
        actor=user,
        action="appointment.update" if existing else "appointment.create",
        entity="appointment",
        entity_id=appt.id,
        before=before,
        after=after,
        effective_user=acting.effective,
    )
    return appt


def load_for_change(session: Session, appointment_id: int, expected_version: int | None) -> Appointment:
    """The appointment, with its version bumped atomically; refuses if someone saved in between."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    if session.get(Appointment, appointment_id) is None:
        raise NotFound("error.appointment_unknown")
    if expected_version is None:
        raise StaleAppointment()
    bumped = session.execute(
        sa.update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.version == expected_version)
        .values(version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:
        raise StaleAppointment()
    appt = session.get(Appointment, appointment_id)
    session.refresh(appt)
    return appt  # type: ignore[return-value]


def _store_booking(session: Session, appt: Appointment, room: Room | None) -> None:
    booking = session.exec(select(Booking).where(Booking.appointment_id == appt.id)).first()
    if room is None:
        if booking:
            session.delete(booking)
        return
    booking = booking or Booking(
        appointment_id=appt.id,
        room_id=room.id,  # type: ignore[arg-type]
        starts_at=appt.starts_at,
        ends_at=appt.ends_at,
    )
    booking.room_id, booking.starts_at, booking.ends_at = room.id, appt.starts_at, appt.ends_at  # type: ignore[assignment]
    session.add(booking)


def store_participants(session: Session, appointment_id: int, user_ids: tuple[int, ...]) -> None:
    write_lock(session)  # reads, then writes: the write lock before the first read
    session.execute(sa.delete(Participant).where(Participant.appointment_id == appointment_id))
    for uid in dict.fromkeys(user_ids):
        session.add(Participant(appointment_id=appointment_id, user_id=uid))


def get_appointment(session: Session, *, user: User, appointment_id: int) -> AppointmentView:
    """One appointment as the form shows it (the internal meeting data is never part of it)."""
    require_role(user, Role.staff, Role.admin)
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        raise NotFound("error.appointment_unknown")
    booking = session.exec(select(Booking).where(Booking.appointment_id == appt.id)).first()
    room = session.get(Room, booking.room_id) if booking else None
    organizer = session.get(User, appt.organizer_id) if appt.organizer_id else None
    participants = tuple(session.exec(select(Participant.user_id).where(Participant.appointment_id == appt.id)))
    clashes = (
        overlapping_appointments(
            session,
            room_id=room.id,
            start=appt.starts_at,
            end=appt.ends_at,
            exclude_appointment_id=appt.id,
        )
        if room
        else []
    )
    user_text, block = split_note(appt.note, meetings.block_of(session, appt.id))  # type: ignore[arg-type]
    return AppointmentView(
        id=appt.id,
        subject=appt.subject,
        starts_at=appt.starts_at,
        ends_at=appt.ends_at,
        time_zone=appt.time_zone,
        organizer=organizer.display_name if organizer else appt.organizer_name,
        organizer_id=appt.organizer_id,
        note=user_text,
        room_id=room.id if room else None,
        room=room.name if room else None,
        invitation=block,
        participant_ids=participants,
        meeting=meetings.meeting_state(session, appt.id),  # type: ignore[arg-type]
        external_emails=tuple(a for a in appt.external_emails.splitlines() if a),
        version=appt.version,
        overbooked_with=clashes,
    )


def list_single_appointments(
    session: Session, *, user: User, start: datetime, end: datetime, mine_only: bool = False, limit: int = 500
) -> list[AgendaRow]:
    """Appointments (not series) overlapping [start, end), soonest first, with room and overbooking flag.

    The whole agenda, series' occurrences included, is core.series.agenda.list_appointments.
    """
    require_role(user, Role.staff, Role.admin)
    other = sa.orm.aliased(Booking)
    clash = (
        select(other.id)
        .where(
            other.room_id == Booking.room_id,
            other.id != Booking.id,
            other.starts_at < Booking.ends_at,
            # Listed bookings start after start - MAX_DURATION, so a clashing one starts after start - 2 MAX_DURATION:
            # the bound keeps each probe on a short range of the (room, start) index.
            other.starts_at > start - 2 * MAX_DURATION,
            other.ends_at > Booking.starts_at,
        )
        .exists()
    )
    query = (
        select(
            Appointment.id,
            Appointment.subject,
            Appointment.starts_at,
            Appointment.ends_at,
            Room.name,
            sa.func.coalesce(User.display_name, Appointment.organizer_name),
            sa.case((col(Booking.id).is_(None), False), else_=clash),
        )
        .outerjoin(Booking, col(Booking.appointment_id) == Appointment.id)
        .outerjoin(Room, col(Room.id) == Booking.room_id)
        .outerjoin(User, col(User.id) == Appointment.organizer_id)
        # No appointment lasts longer than MAX_DURATION: a start-time lower bound keeps this on the start index.
        .where(
            col(Appointment.starts_at) < end,
            col(Appointment.starts_at) > start - MAX_DURATION,
            col(Appointment.ends_at) > start,
            col(Appointment.rrule).is_(None),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    if mine_only:
        query = query.where(Appointment.organizer_id == user.id)
    return [AgendaRow(i, s, b, e, r, o, bool(c)) for i, s, b, e, r, o, c in session.exec(query)]
