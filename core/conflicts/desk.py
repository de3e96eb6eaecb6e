"""The conflict desk: overbooked slots with free rooms per appointment, moves, and resolve-all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access.permissions import bookable_room_ids, require_role
from core.booking.appointments import overlapping_appointments
from core.conflicts.reassign import Item, plan_reassignment
from core.conflicts.sweep import window_conflicts
from core.goto import GotoApi, GotoError, MeetingSpec
from core.kernel import audit
from core.kernel.db import session_scope
from core.kernel.errors import NotFound, PermissionDenied, RoomDeskError
from core.kernel.models import Appointment, Booking, GotoMeetingData, MeetingJob, Role, Room, RoomLink, User, utcnow
from core.meetings import jobs as meetings
from core.meetings import mail


class MoveFailed(RoomDeskError):
    key = "error.move_failed"


@dataclass(frozen=True)
class Involved:
    appointment_id: int
    subject: str
    organizer: str
    start: datetime
    end: datetime
    room_id: int
    free_rooms: list[tuple[int, str]]


@dataclass(frozen=True)
class SlotView:
    room: str
    start: datetime
    end: datetime
    concurrency: int
    appointments: list[Involved]


@dataclass
class Preview:
    rows: list[dict[str, object]] = field(default_factory=list)  # appointment, subject, when, from, to
    moves: dict[int, int] = field(default_factory=dict)  # appointment id -> room id
    extra_accounts: int = 0
    unplaced: list[tuple[datetime, datetime, list[str]]] = field(default_factory=list)


def _organizer(session: Session, appt: Appointment) -> User | None:
    return session.get(User, appt.organizer_id) if appt.organizer_id else None


def free_rooms_for(session: Session, appt: Appointment, *, exclude_room: int | None) -> list[tuple[int, str]]:
    """Active rooms free for the whole appointment that its organizer may book."""
    organizer = _organizer(session, appt)
    allowed = bookable_room_ids(session, organizer) if organizer else set()
    busy = select(Booking.room_id).where(
        Booking.starts_at < appt.ends_at, Booking.ends_at > appt.starts_at, Booking.appointment_id != appt.id
    )
    rooms = session.exec(select(Room.id, Room.name).where(Room.active, Room.id.not_in(busy)).order_by(Room.name))
    return [(rid, name) for rid, name in rooms if rid in allowed and rid != exclude_room]


def conflict_list(session: Session, *, user: User, start: datetime, end: datetime, limit: int = 200) -> list[SlotView]:
    """Every overbooked slot overlapping [start, end), soonest first, with what could move where."""
    require_role(user, Role.staff, Role.admin)
    slots = window_conflicts(session, start=start, end=end).slots.sort_values(["start", "room"]).head(limit)
    views = []
    for slot in slots.itertuples():
        involved = []
        for appointment_id in slot.appointment_ids:
            appt = session.get(Appointment, int(appointment_id))
            organizer = _organizer(session, appt)  # type: ignore[arg-type]
            involved.append(
                Involved(
                    appt.id,
                    appt.subject,
                    organizer.display_name if organizer else appt.organizer_name,  # type: ignore[union-attr, arg-type]
                    appt.starts_at,
                    appt.ends_at,
                    int(slot.room_id),  # type: ignore[union-attr]
                    free_rooms_for(session, appt, exclude_room=int(slot.room_id)),
                )
            )  # type: ignore[arg-type]
        views.append(
            SlotView(slot.room, slot.start.to_pydatetime(), slot.end.to_pydatetime(), int(slot.concurrency), involved)
        )
    return views


def move_appointment(
    engine: Engine, *, user: User, appointment_id: int, room_id: int, api: GotoApi, notify: bool = False
) -> Room:
    """Re-book an appointment into another room; its GoTo meeting moves first, so a GoTo failure changes nothing."""
    require_role(user, Role.staff, Role.admin)
    with session_scope(engine) as session:
        appt, booking = session.get(Appointment, appointment_id), _booking(session, appointment_id)
        target = session.get(Room, room_id)
        if appt is None or booking is None or target is None:
            raise NotFound("error.appointment_unknown")
        organizer = _organizer(session, appt)
        if organizer is None or room_id not in bookable_room_ids(session, organizer):
            raise PermissionDenied("error.room_booking_denied", field="room", room=target.name)
        linked = session.get(RoomLink, room_id) is not None
        old = session.get(GotoMeetingData, appointment_id)
        old_meeting = (old.account, old.meeting_id) if old and old.meeting_id else None
        spec = MeetingSpec(appt.subject, appt.starts_at, appt.ends_at)
        lang = organizer.language or "en"
        if overlapping_appointments(
            session, room_id=room_id, start=appt.starts_at, end=appt.ends_at, exclude_appointment_id=appointment_id
        ):
            raise MoveFailed("error.move_taken", room=target.name)
    meeting = None
    if linked and target.goto_account:
        try:
            meeting = api.create_meeting(target.goto_account, spec)
        except GotoError as err:
            raise MoveFailed("error.move_failed", room=target.name, detail=str(err)) from err
    try:
        with session_scope(engine, immediate=True) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(sa.text("SELECT pg_advisory_xact_lock(7001, :r)"), {"r": room_id})
            if overlapping_appointments(
                session, room_id=room_id, start=spec.starts_at, end=spec.ends_at, exclude_appointment_id=appointment_id
            ):
                raise MoveFailed("error.move_taken", room=target.name)
            booking = _booking(session, appointment_id)
            before = booking.room_id  # type: ignore[union-attr]
            booking.room_id = room_id  # type: ignore[union-attr]
            session.add(booking)
            session.execute(
                sa.update(Appointment)
                .where(Appointment.id == appointment_id)
                .values(version=Appointment.version + 1, updated_at=utcnow())
            )
            meetings.store_meeting(
                session,
                appointment_id,
                target.goto_account if meeting else None,
                meeting,
                meetings.spec_key(spec),
                lang,
                join_url=meeting.join_url if meeting else None,
            )
            if old_meeting:  # the old account's meeting goes; a job, so a GoTo hiccup cannot lose it
                session.add(MeetingJob(kind="delete", account=old_meeting[0], meeting_id=old_meeting[1]))
            audit.record(
                session,
                actor=user,
                action="appointment.move",
                entity="appointment",
                entity_id=appointment_id,
                before={"room_id": before},
                after={"room_id": room_id},
            )
    except BaseException:
        if meeting is not None:  # undo at GoTo what the database refused
            try:
                api.delete_meeting(target.goto_account, meeting.meeting_id)  # type: ignore[arg-type]
            except GotoError:
                pass
        raise
    meetings.run_due(engine, api, limit=5)
    if notify:  # an updated invitation (same UID, higher SEQUENCE) with the new join link
        with session_scope(engine) as session:
            try:
                mail.send_invitation(
                    session, user=user, appointment_id=appointment_id, join_url=meeting.join_url if meeting else None
                )
            except RoomDeskError:
                pass  # nobody to notify: the move itself stands
    return target


def _booking(session: Session, appointment_id: int) -> Booking | None:
    return session.exec(select(Booking).where(Booking.appointment_id == appointment_id)).first()


def preview_resolution(session: Session, *, user: User, start: datetime, end: datetime) -> Preview:
    """The fewest moves (respecting who may book what) that leave no overbooking in the range."""
    require_role(user, Role.staff, Role.admin)
    frame = window_conflicts(session, start=start, end=end).bookings
    appts = {
        a.id: a for a in session.exec(select(Appointment).where(Appointment.id.in_(frame["appointment_id"].tolist())))
    }
    rights: dict[int, set[int]] = {}
    items = []
    for row in frame.itertuples():
        appt = appts[int(row.appointment_id)]
        if appt.organizer_id not in rights:
            organizer = _organizer(session, appt)
            rights[appt.organizer_id or 0] = bookable_room_ids(session, organizer) if organizer else set()
        items.append(
            Item(
                int(row.appointment_id),
                int(row.room_id),
                row.start.to_pydatetime(),
                row.end.to_pydatetime(),
                frozenset(rights[appt.organizer_id or 0]),
            )
        )
    plan = plan_reassignment(items)
    names = dict(session.exec(select(Room.id, Room.name)).all())
    current = {i.id: i.room for i in items}
    preview = Preview(moves=plan.moves, extra_accounts=plan.extra_accounts)
    for appointment_id, room_id in sorted(plan.moves.items(), key=lambda m: appts[m[0]].starts_at):
        appt = appts[appointment_id]
        preview.rows.append(
            {
                "appointment_id": appointment_id,
                "subject": appt.subject,
                "start": appt.starts_at,
                "end": appt.ends_at,
                "from": names[current[appointment_id]],
                "to": names[room_id],
            }
        )
    preview.unplaced = [(a, b, [appts[i].subject for i in ids]) for a, b, ids in plan.unplaced]
    return preview


def apply_resolution(
    engine: Engine, *, user: User, moves: dict[int, int], api: GotoApi, notify: bool = False
) -> dict[int, str]:
    """Apply a previewed plan move by move; each appointment ends moved or untouched. Errors per appointment."""
    waiting, failures = dict(moves), {}
    while waiting:  # a move into a room another planned move vacates waits for that one
        progressed = False
        for appointment_id, room_id in list(waiting.items()):
            try:
                move_appointment(
                    engine, user=user, appointment_id=appointment_id, room_id=room_id, api=api, notify=notify
                )
                progressed = True
                del waiting[appointment_id]
                failures.pop(appointment_id, None)
            except RoomDeskError as err:
                failures[appointment_id] = err.message(user.language or "en")
        if not progressed:
            break
    return failures
