"""Who holds a room when: the one overlap query, the one free-room query and the per-room lock.

Bookings are half-open intervals: back-to-back is no overlap. No booking lasts longer than MAX_DURATION
(every write path checks it), so a start-time lower bound keeps each query on the start index.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.kernel.models import Appointment, Booking, Room, RoomLink, User

MAX_DURATION = timedelta(hours=24)
ROOM_LOCK = 7001  # the advisory lock class of "check a room's bookings, then book it" on PostgreSQL


def lock_room(session: Session, room_id: int) -> None:
    """Serialise check-and-book per room on PostgreSQL (SQLite callers hold an immediate transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k1, :k2)"), {"k1": ROOM_LOCK, "k2": room_id})


def overlapping_appointments(
    session: Session,
    *,
    room_id: int,
    start: datetime,
    end: datetime,
    exclude_appointment_id: int | None = None,
    exclude_booking_id: int | None = None,
) -> list[dict[str, object]]:
    """Other bookings holding the room during [start, end), soonest first: appointment id, subject, times,
    organizer, booking id."""
    query = (
        select(
            Booking.appointment_id,
            Appointment.subject,
            Booking.starts_at,
            Booking.ends_at,
            sa.func.coalesce(User.display_name, Appointment.organizer_name),
            Booking.id,
        )
        .join(Appointment, col(Appointment.id) == Booking.appointment_id)
        .outerjoin(User, col(User.id) == Appointment.organizer_id)
        .where(
            Booking.room_id == room_id,
            col(Booking.starts_at) < end,
            col(Booking.starts_at) >= start - MAX_DURATION,
            col(Booking.ends_at) > start,
        )
        .order_by(col(Booking.starts_at))
    )
    if exclude_appointment_id is not None:
        query = query.where(Booking.appointment_id != exclude_appointment_id)
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    keys = ("id", "subject", "start", "end", "organizer", "booking_id")
    return [dict(zip(keys, row, strict=True)) for row in session.exec(query)]


def free_rooms(
    session: Session,
    *,
    room_ids: Iterable[int],
    slots: list[tuple[datetime, datetime]],
    exclude_appointment_id: int | None = None,
    exclude_booking_id: int | None = None,
    linked_only: bool = False,
) -> list[list[tuple[int, str]]]:
    """Per slot, the active rooms among `room_ids` (the ones someone may book) that nothing else holds then."""
    if not slots:
        return []
    query = select(Room.id, Room.name).where(Room.active, col(Room.id).in_(list(room_ids)))
    if linked_only:
        query = query.join(RoomLink, col(RoomLink.room_id) == Room.id).where(RoomLink.status == "linked")
    rooms = session.exec(query.order_by(Room.name)).all()
    lo, hi = min(s for s, _ in slots), max(e for _, e in slots)
    busy_query = select(Booking.room_id, Booking.starts_at, Booking.ends_at).where(
        col(Booking.room_id).in_([r for r, _ in rooms]),
        col(Booking.starts_at) < hi,
        col(Booking.starts_at) >= lo - MAX_DURATION,
        col(Booking.ends_at) > lo,
    )
    if exclude_appointment_id is not None:
        busy_query = busy_query.where(Booking.appointment_id != exclude_appointment_id)
    if exclude_booking_id is not None:
        busy_query = busy_query.where(Booking.id != exclude_booking_id)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for room_id, start, end in session.exec(busy_query):
        busy.setdefault(room_id, []).append((start, end))
    return [
        [(rid, name) for rid, name in rooms if rid is not None and not _clashes(busy.get(rid, []), start, end)]
        for start, end in slots
    ]


def _clashes(held: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    return any(s < end and e > start for s, e in held)
