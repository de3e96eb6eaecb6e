"""Series housekeeping: remove used meeting links (rule 8), open occurrences ahead of time, book further ahead.

All three run in `roomdesk worker`; cleanup also from the Series page and `roomdesk series cleanup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access.permissions import require_role
from core.access.settings import get_value, put_value
from core.kernel import audit
from core.kernel.db import session_scope, write_lock
from core.kernel.errors import RoomDeskError, ValidationFailed
from core.kernel.models import Appointment, Booking, GotoMeetingData, MeetingJob, Role, RoomLink, User, utcnow
from core.meetings.invitations import replace_block
from core.series.booking import horizon_end, rebook
from core.series.occurrences import open_occurrence
from core.series.rules import HORIZON

MEETINGS_AHEAD = "series.meetings_ahead_hours"
MAX_AHEAD_HOURS = 24 * 14
EXTEND_EVERY = timedelta(days=1)  # book an open-ended series further ahead at most once a day


@dataclass(frozen=True)
class NeedsCleanup:
    series_id: int
    subject: str
    first_start: datetime
    organizer: str
    meeting_id: str | None


def series_needing_cleanup(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[NeedsCleanup]:
    """Series whose first occurrence is over but which still carry that occurrence's meeting link."""
    now = now or utcnow()
    rows = session.exec(
        select(
            Appointment.id,
            Appointment.subject,
            Appointment.starts_at,
            sa.func.coalesce(User.display_name, Appointment.organizer_name),
            GotoMeetingData.meeting_id,
        )
        .join(GotoMeetingData, GotoMeetingData.appointment_id == Appointment.id)
        .outerjoin(User, User.id == Appointment.organizer_id)
        .where(Appointment.rrule.is_not(None), Appointment.ends_at <= now)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    ).all()
    return [NeedsCleanup(*row) for row in rows]


def clean_up_series(session: Session, *, actor: User | None, now: datetime | None = None) -> list[NeedsCleanup]:
    """Remove the used meeting link from every series that needs it: the invitation block and the meeting data.

    Never the bookings, never the user's text. Running it again finds nothing to do. `actor` None: the worker.
    """
    write_lock(session)  # reads, then writes: the write lock before the first read
    if actor is not None:
        require_role(actor, Role.staff, Role.admin)
    due = series_needing_cleanup(session, now=now)
    for item in due:
        series, data = session.get(Appointment, item.series_id), session.get(GotoMeetingData, item.series_id)
        if series is None or data is None:
            continue
        block = data.data.get("block")
        note = replace_block(series.note, block, None)
        audit.record(
            session,
            actor=actor,
            action="series.cleanup",
            entity="appointment",
            entity_id=series.id,
            before={"meeting_id": data.meeting_id, "account": data.account, "join_url": data.join_url},
            after={"block_removed": note != series.note},
        )
        series.note = note
        session.delete(data)
        session.execute(sa.delete(MeetingJob).where(MeetingJob.appointment_id == series.id))
        session.add(series)
    return due


def meetings_ahead_hours(session: Session) -> int:
    """0 (the default) means off: occurrences get a meeting only when someone opens them."""
    return int(get_value(session, MEETINGS_AHEAD, 0) or 0)


def set_meetings_ahead_hours(session: Session, *, user: User, hours: int) -> None:
    """Admins choose how many hours ahead the worker opens occurrences of linked rooms (0: never)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    if not 0 <= hours <= MAX_AHEAD_HOURS:
        raise ValidationFailed([RoomDeskError("error.series_ahead_range", field="hours", high=MAX_AHEAD_HOURS)])
    before = meetings_ahead_hours(session)
    put_value(session, MEETINGS_AHEAD, hours)
    audit.record(
        session,
        actor=user,
        action=MEETINGS_AHEAD,
        entity="setting",
        entity_id=MEETINGS_AHEAD,
        before={"value": before},
        after={"value": hours},
    )


def open_upcoming(session: Session, *, now: datetime | None = None) -> list[int]:
    """Open the occurrences in linked rooms that start within the configured hours; their meetings follow."""
    hours = meetings_ahead_hours(session)
    if hours <= 0:
        return []
    now = now or utcnow()
    rows = session.exec(
        select(Booking.appointment_id, Booking.starts_at)
        .join(Appointment, Appointment.id == Booking.appointment_id)
        .join(RoomLink, RoomLink.room_id == Booking.room_id)
        .where(Appointment.rrule.is_not(None), Booking.ends_at > now, Booking.starts_at < now + timedelta(hours=hours))
        .order_by(Booking.starts_at)
    ).all()
    opened: list[int] = []
    for series_id, start in rows:
        try:
            opened.append(open_occurrence(session, user=None, series_id=series_id, start=start).id)  # type: ignore[arg-type]
        except RoomDeskError:
            continue  # a booking row the series no longer explains; the next save of the series rebooks it
    return opened


def extend_horizons(session: Session, *, now: datetime | None = None) -> int:
    """Book open-ended (and long) series ahead as time passes, so they never silently run out."""
    now = now or utcnow()
    due = session.exec(
        select(Appointment).where(
            Appointment.rrule.is_not(None),
            Appointment.booked_until < now + HORIZON - EXTEND_EVERY,
            sa.or_(Appointment.series_ends_at.is_(None), Appointment.series_ends_at > Appointment.booked_until),
        )
    ).all()
    for series in due:
        rebook(session, series, until=horizon_end(series.starts_at, now))
    return len(due)


def run_series_pass(engine: Engine, *, now: datetime | None = None) -> str:
    """The worker's series step (before it runs the meeting jobs, so opened occurrences get theirs at once)."""
    with session_scope(engine, immediate=True) as session:
        cleaned = clean_up_series(session, actor=None, now=now)
    with session_scope(engine, immediate=True) as session:
        opened = open_upcoming(session, now=now)
    with session_scope(engine, immediate=True) as session:
        extended = extend_horizons(session, now=now)
    return f"series cleaned up: {len(cleaned)}, occurrences opened ahead: {len(opened)}, booked further: {extended}"
