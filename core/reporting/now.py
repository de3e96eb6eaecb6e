"""The Now page: every room this minute (booked now and next, what GoTo runs, free until), and Meet now."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access import policy
from core.access.permissions import bookable_room_ids, require_role
from core.booking import start as starting
from core.booking.appointments import AppointmentInput, save_appointment
from core.goto import GotoApi
from core.kernel.db import session_scope
from core.kernel.errors import OverbookingWarning, RoomDeskError, ValidationFailed
from core.kernel.i18n import translate
from core.kernel.models import Appointment, Booking, GotoMeetingData, Role, Room, RoomLink, User, utcnow
from core.meetings import jobs as meetings
from core.reporting.live import AccountLive, LiveStatus

log = logging.getLogger(__name__)

MEET_NOW_MINUTES = (30, 60, 90)
HORIZON = timedelta(days=7)  # "free until" looks this far ahead


@dataclass(frozen=True)
class Slot:
    """A booking of a room, as the board shows it."""

    appointment_id: int
    subject: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class RoomNow:
    """One room this minute. `running` is what GoTo reports ACTIVE; `running_booked` whether it is the current booking."""

    room_id: int
    name: str
    linked: bool
    may_book: bool
    current: Slot | None
    next: Slot | None
    running: str | None  # subject of the running meeting, None when nothing runs (or GoTo was not asked)
    running_booked: bool
    live: AccountLive | None  # None: not linked, or not fetched yet

    @property
    def free_until(self) -> datetime | None:
        """When the room stops being free (the next booking's start); None when busy now or free all week."""
        return None if self.busy else (self.next.starts_at if self.next else None)

    @property
    def busy(self) -> bool:
        return self.current is not None or self.running is not None


@dataclass(frozen=True)
class MeetNow:
    """The room Meet now booked, and the host link to open."""

    room: str
    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    url: str


def accounts_to_watch(session: Session) -> list[str]:
    """GoTo accounts of the active, linked rooms (whose live status the board shows)."""
    return list(
        session.exec(
            select(Room.goto_account)
            .join(RoomLink, RoomLink.room_id == Room.id)
            .where(Room.active, RoomLink.status == "linked", Room.goto_account.is_not(None))
            .order_by(Room.name)
        )
    )


def room_board(
    session: Session, *, user: User, live: dict[str, AccountLive], now: datetime | None = None
) -> list[RoomNow]:
    """Every active room with its booking now and next and what GoTo runs on it (from the `live` snapshot)."""
    require_role(user, Role.staff, Role.admin)
    now = now or utcnow()
    rooms = list(session.exec(select(Room).where(Room.active).order_by(Room.name)))
    linked = set(session.exec(select(RoomLink.room_id).where(RoomLink.status == "linked")))
    allowed = bookable_room_ids(session, user)
    rows = session.exec(
        select(Booking.room_id, Booking.appointment_id, Appointment.subject, Booking.starts_at, Booking.ends_at)
        .join(Appointment, Appointment.id == Booking.appointment_id)
        .where(Booking.ends_at > now, Booking.starts_at < now + HORIZON)
        .order_by(Booking.starts_at)
    ).all()
    current: dict[int, Slot] = {}
    upcoming: dict[int, Slot] = {}
    for room_id, appointment_id, subject, starts, ends in rows:
        slot = Slot(appointment_id, subject, starts, ends)
        if starts <= now:
            current.setdefault(room_id, slot)
        else:
            upcoming.setdefault(room_id, slot)
    meeting_ids = [r.meeting_id for status in live.values() for r in status.running]
    owners = dict(
        session.exec(
            select(GotoMeetingData.meeting_id, GotoMeetingData.appointment_id).where(
                GotoMeetingData.meeting_id.in_(meeting_ids)
            )
        ).all()
    )
    board = []
    for room in rooms:
        status = live.get(room.goto_account or "") if room.id in linked else None
        running = status.running[0] if status and status.running else None
        now_slot = current.get(room.id)  # type: ignore[arg-type]
        booked = (
            running is not None and now_slot is not None and owners.get(running.meeting_id) == now_slot.appointment_id
        )
        board.append(
            RoomNow(
                room_id=room.id,  # type: ignore[arg-type]
                name=room.name,
                linked=room.id in linked,
                may_book=room.id in allowed,
                current=now_slot,
                next=upcoming.get(room.id),  # type: ignore[arg-type]
                running=running.subject if running else None,
                running_booked=booked,
                live=status,
            )
        )
    return board


def _free_rooms(
    session: Session, user: User, start: datetime, end: datetime, live: dict[str, AccountLive]
) -> list[Room]:
    allowed = bookable_room_ids(session, user)
    busy = select(Booking.room_id).where(Booking.starts_at < end, Booking.ends_at > start)
    rooms = session.exec(
        select(Room)
        .join(RoomLink, RoomLink.room_id == Room.id)
        .where(Room.active, RoomLink.status == "linked", Room.id.not_in(busy))
        .order_by(Room.name)
    )
    # A room GoTo reports running (someone used the credentials without booking) is not free either.
    return [r for r in rooms if r.id in allowed and not (live.get(r.goto_account or "") or _IDLE).running]


_IDLE = AccountLive((), datetime.min)


def _nothing_free(
    session: Session, user: User, start: datetime, minutes: int, live: dict[str, AccountLive]
) -> RoomDeskError:
    """The refusal, naming the room that stays free longest (so a shorter meeting can be chosen)."""
    for shorter in sorted((m for m in MEET_NOW_MINUTES if m < minutes), reverse=True):
        rooms = _free_rooms(session, user, start, start + timedelta(minutes=shorter), live)
        if rooms:
            return RoomDeskError("error.meet_now_shorter", minutes=minutes, room=rooms[0].name, shorter=shorter)
    return RoomDeskError("error.meet_now_no_room", minutes=minutes)


def meet_now(
    engine: Engine,
    *,
    user: User,
    minutes: int,
    api: GotoApi,
    live: LiveStatus | None = None,
    now: datetime | None = None,
) -> MeetNow:
    """Book the first room free for the next `minutes` that the user may book, create its meeting, start it."""
    if minutes not in MEET_NOW_MINUTES:
        raise ValidationFailed([RoomDeskError("error.meet_now_minutes", field="minutes")])
    start = (now or utcnow()).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=minutes)
    with session_scope(engine) as session:
        policy.authorize_meeting_start(session, user=user)  # the one policy: role, authorized groups, run-as
        accounts = accounts_to_watch(session)
    if not accounts:
        raise RoomDeskError("error.meet_now_none_linked")
    status = live.snapshot(accounts, wait=1.0) if live else {}
    subject = translate("now.meet_now_subject", user.language or "en", name=user.display_name)
    tried: set[int] = set()
    while True:
        with session_scope(engine, immediate=True) as session:
            candidates = [r for r in _free_rooms(session, user, start, end, status) if r.id not in tried]
            if not candidates:
                raise _nothing_free(session, user, start, minutes, status)
            room = candidates[0]
            tried.add(room.id)  # type: ignore[arg-type]
            try:
                appt = save_appointment(
                    session,
                    user=user,
                    data=AppointmentInput(subject, start, end, user.time_zone, room_ids=(room.id,)),  # type: ignore[arg-type]
                )
            except OverbookingWarning:  # booked by someone else a moment ago: take the next free room
                session.rollback()
                continue
            appointment_id, room_name = appt.id, room.name
        break
    state = meetings.sync_now(engine, api, appointment_id)  # type: ignore[arg-type]
    if state.state != "created":
        raise RoomDeskError("error.meet_now_pending", room=room_name)
    with session_scope(engine) as session:
        opened = starting.start_meeting(session, user=user, appointment_id=appointment_id, api=api)  # type: ignore[arg-type]
        account = session.get(GotoMeetingData, appointment_id)
    if live and account:
        live.forget(account.account)  # it runs now: the next look asks GoTo again
    return MeetNow(room_name, appointment_id, start, end, opened.url)  # type: ignore[arg-type]
