"""The conflict desk: overbooked slots with free rooms per booking, moves, and resolve-all.

Its unit is the booking: a series holds one booking per occurrence, so an occurrence shows its own times,
gets the rooms free on its own date, and a move moves exactly that occurrence. A series never gets a GoTo
meeting; an occurrence that carries one (the first of a series made from an appointment) is opened as its
own appointment first, so the meeting moves with it. Meetings move through the meeting jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.access import policy
from core.access.permissions import require_role
from core.booking.appointments import room_to_book
from core.booking.availability import lock_room, overlapping_appointments
from core.conflicts.free import free_rooms_for_bookings
from core.conflicts.reassign import Item, plan_reassignment
from core.conflicts.sweep import DETAIL_CHUNK, window_conflicts
from core.goto import GotoApi
from core.kernel import audit
from core.kernel.db import session_scope
from core.kernel.errors import NotFound, RoomDeskError
from core.kernel.models import Appointment, Booking, GotoMeetingData, Role, Room, User, utcnow
from core.meetings import jobs as meetings
from core.meetings import mail
from core.series.booking import day_of
from core.series.occurrences import open_occurrence

log = logging.getLogger(__name__)


class MoveFailed(RoomDeskError):
    key = "error.move_failed"


@dataclass(frozen=True)
class Involved:
    booking_id: int
    appointment_id: int
    subject: str
    organizer: str
    start: datetime  # the booking's own times: an occurrence's, not its series' first
    end: datetime
    room_id: int
    free_rooms: list[tuple[int, str]]
    series_id: int | None = None  # set when the booking is an occurrence its series still holds


@dataclass(frozen=True)
class SlotView:
    room: str
    start: datetime
    end: datetime
    concurrency: int
    appointments: list[Involved]


@dataclass(frozen=True)
class PlannedMove:
    booking_id: int
    appointment_id: int
    subject: str
    start: datetime
    end: datetime
    from_room: str
    to_room: str


@dataclass
class Preview:
    rows: list[PlannedMove] = field(default_factory=list)
    moves: dict[int, int] = field(default_factory=dict)  # booking id -> room id
    extra_accounts: int = 0
    unplaced: list[tuple[datetime, datetime, list[str]]] = field(default_factory=list)


@dataclass(frozen=True)
class Moved:
    room: str
    appointment_id: int  # whose booking it is now: an occurrence opened to take its meeting along is its own
    meeting: meetings.MeetingState


def _organizer(session: Session, appt: Appointment) -> User | None:
    return session.get(User, appt.organizer_id) if appt.organizer_id else None


def conflict_list(session: Session, *, user: User, start: datetime, end: datetime, limit: int = 200) -> list[SlotView]:
    """Every overbooked slot overlapping [start, end), soonest first, with which booking could move where.

    A fixed number of queries whatever the count: the bookings, their appointments and organizers in batches,
    the rights once per organizer, and the free rooms of all involved bookings in one vectorised pass.
    """
    require_role(user, Role.staff, Role.admin)
    found = window_conflicts(session, start=start, end=end)
    slots = found.slots.sort_values(["start", "room"]).head(limit)
    ids = sorted({int(i) for ids in slots["ids"] for i in ids})
    bookings: dict[int, Booking] = {}
    for at in range(0, len(ids), DETAIL_CHUNK):  # chunks stay under SQLite's limit on bound parameters
        chunk = ids[at : at + DETAIL_CHUNK]
        bookings.update((b.id, b) for b in session.exec(select(Booking).where(col(Booking.id).in_(chunk))))
    appt_ids = sorted({b.appointment_id for b in bookings.values()})
    appts = {a.id: a for a in session.exec(select(Appointment).where(col(Appointment.id).in_(appt_ids)))}
    organizer_ids = sorted({a.organizer_id for a in appts.values() if a.organizer_id})
    organizers = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(organizer_ids)))}
    rights: dict[int | None, set[int]] = {}
    allowed: dict[int, set[int]] = {}
    for booking_id, booking in bookings.items():
        appt = appts.get(booking.appointment_id)
        if appt is None:
            continue
        if appt.organizer_id not in rights:
            rights[appt.organizer_id] = set(
                policy.rooms_to_move_to(session, user=user, organizer=organizers.get(appt.organizer_id))
            )
        allowed[booking_id] = rights[appt.organizer_id]
    free = free_rooms_for_bookings(session, found, allowed)
    views = []
    for slot in slots.itertuples():
        involved = []
        for booking_id in slot.ids:
            booking = bookings.get(int(booking_id))
            appt = appts.get(booking.appointment_id) if booking else None
            if booking is None or appt is None or booking.id is None or appt.id is None:
                continue
            organizer = organizers.get(appt.organizer_id) if appt.organizer_id else None
            involved.append(
                Involved(
                    booking.id,
                    appt.id,
                    appt.subject,
                    organizer.display_name if organizer else appt.organizer_name,
                    booking.starts_at,
                    booking.ends_at,
                    booking.room_id,
                    free.get(booking.id, []),
                    appt.id if appt.rrule is not None else None,
                )
            )
        views.append(
            SlotView(
                str(slot.room), slot.start.to_pydatetime(), slot.end.to_pydatetime(), int(slot.concurrency), involved
            )
        )
    return views


def _carries_meeting(session: Session, series: Appointment, booking: Booking) -> bool:
    """A series made from an appointment keeps that appointment's meeting for its first occurrence."""
    return session.get(GotoMeetingData, series.id) is not None and day_of(
        booking.starts_at, series.time_zone
    ) == day_of(series.starts_at, series.time_zone)


def move_booking(
    engine: Engine, *, user: User, booking_id: int, room_id: int, api: GotoApi, notify: bool = False
) -> Moved:
    """Re-book one booking (one occurrence of a series) into another room; its meeting follows as a job."""
    with session_scope(engine, immediate=True) as session:
        booking = session.get(Booking, booking_id)
        appt = session.get(Appointment, booking.appointment_id) if booking else None
        if booking is None or appt is None or appt.id is None:
            raise NotFound("error.appointment_unknown")
        target = room_to_book(session, (room_id,))
        assert target is not None  # one room id given, one room back (or ValidationFailed)
        policy.authorize_booking(
            session,
            user=user,
            from_room=session.get(Room, booking.room_id),
            to_room=target,
            organizer=_organizer(session, appt),
        )
        lock_room(session, room_id)
        if overlapping_appointments(
            session, room_id=room_id, start=booking.starts_at, end=booking.ends_at, exclude_booking_id=booking_id
        ):
            raise MoveFailed("error.move_taken", room=target.name)
        if appt.rrule is not None and _carries_meeting(session, appt, booking):
            appt = open_occurrence(session, user=user, series_id=appt.id, start=booking.starts_at)
            session.flush()
            session.refresh(booking)  # opening handed this booking to the occurrence
        before = booking.room_id
        booking.room_id = room_id
        session.add(booking)
        appt.version, appt.updated_at = appt.version + 1, utcnow()  # an editor who loaded it before must reload
        session.add(appt)
        session.flush()
        appointment_id = appt.id
        assert appointment_id is not None
        planned = meetings.wants_meeting(session, appointment_id, room_id)
        if planned:
            meetings.plan_sync(session, appointment_id)
        audit.record(
            session,
            actor=user,
            action="appointment.move",
            entity="appointment",
            entity_id=appointment_id,
            before={"room_id": before, "booking_id": booking_id},
            after={"room_id": room_id},
        )
        room_name = target.name
    if planned:  # after the commit: GoTo is never called inside a transaction
        state = meetings.sync_now(engine, api, appointment_id)
    else:
        with session_scope(engine) as session:
            state = meetings.meeting_state(session, appointment_id)
    if notify:  # an updated invitation (same UID, higher SEQUENCE) with the new join link
        with session_scope(engine) as session:
            try:
                mail.send_invitation(session, user=user, appointment_id=appointment_id, join_url=state.join_url)
            except RoomDeskError as err:  # e.g. nobody to notify: the move itself stands
                log.info("no updated invitation after moving appointment %s: %s", appointment_id, err)
    return Moved(room_name, appointment_id, state)


def preview_resolution(session: Session, *, user: User, start: datetime, end: datetime) -> Preview:
    """The fewest moves of bookings (respecting who may book what) that leave no overbooking in the range."""
    require_role(user, Role.staff, Role.admin)
    frame = window_conflicts(session, start=start, end=end).bookings
    appts = {
        a.id: a
        for a in session.exec(
            select(Appointment).where(col(Appointment.id).in_(frame["appointment_id"].unique().tolist()))
        )
    }
    rights: dict[int | None, frozenset[int]] = {}
    items = []
    for row in frame.itertuples():
        appt = appts[int(row.appointment_id)]
        if appt.organizer_id not in rights:
            rights[appt.organizer_id] = frozenset(
                policy.rooms_to_move_to(session, user=user, organizer=_organizer(session, appt))
            )
        items.append(
            Item(
                int(row.id),
                int(row.room_id),
                row.start.to_pydatetime(),
                row.end.to_pydatetime(),
                rights[appt.organizer_id],
            )
        )
    plan = plan_reassignment(items)
    names = dict(session.exec(select(Room.id, Room.name)).all())
    by_id = {i.id: i for i in items}
    owner = dict(zip(frame["id"].astype(int), frame["appointment_id"].astype(int), strict=True))
    preview = Preview(moves=plan.moves, extra_accounts=plan.extra_accounts)
    for booking_id, room_id in sorted(plan.moves.items(), key=lambda m: by_id[m[0]].start):
        item, appt = by_id[booking_id], appts[owner[booking_id]]
        preview.rows.append(
            PlannedMove(
                booking_id, owner[booking_id], appt.subject, item.start, item.end, names[item.room], names[room_id]
            )
        )
    preview.unplaced = [(a, b, [appts[owner[i]].subject for i in ids]) for a, b, ids in plan.unplaced]
    return preview


def apply_resolution(
    engine: Engine, *, user: User, moves: dict[int, int], api: GotoApi, notify: bool = False
) -> dict[int, str]:
    """Apply a previewed plan move by move (booking id -> room); each booking ends moved or untouched.

    Returns the error per booking that could not move.
    """
    waiting, failures = dict(moves), {}
    while waiting:  # a move into a room another planned move vacates waits for that one
        progressed = False
        for booking_id, room_id in list(waiting.items()):
            try:
                move_booking(engine, user=user, booking_id=booking_id, room_id=room_id, api=api, notify=notify)
                progressed = True
                del waiting[booking_id]
                failures.pop(booking_id, None)
            except RoomDeskError as err:
                failures[booking_id] = err.message(user.language or "en")
        if not progressed:
            break
    return failures
