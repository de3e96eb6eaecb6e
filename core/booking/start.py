"""Start meeting: the organizer (or the first participant, if the organizer has not) gets the host URL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from core.access import policy
from core.access.permissions import bookable_room_ids
from core.booking import availability
from core.goto import GotoApi, GotoError, GotoMeetingActive, GotoNotFound
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, RoomDeskError
from core.kernel.models import Appointment, GotoMeetingData, Participant, Room, User


@dataclass(frozen=True)
class StartResult:
    url: str
    as_host: bool


class AccountBusy(RoomDeskError):
    """GoTo runs only one meeting per account at a time; `free_rooms` are alternatives for this slot."""

    key = "error.account_busy"

    def __init__(self, *, room: str, running: str, free_rooms: list[str]) -> None:
        self.free_rooms = free_rooms
        super().__init__(self.key, room=room, running=running, proposal=", ".join(free_rooms) if free_rooms else "—")


def start_meeting(session: Session, *, user: User, appointment_id: int, api: GotoApi) -> StartResult:
    """The URL to open now: host URL fetched fresh from GoTo, or the join URL for everybody else."""
    policy.authorize_meeting_start(session, user=user)  # a GoTo feature: authorized groups, run-as for externals
    appt = session.get(Appointment, appointment_id)
    data = session.get(GotoMeetingData, appointment_id)
    if appt is None:
        raise NotFound("error.appointment_unknown")
    if data is None or not data.meeting_id:
        raise RoomDeskError("error.no_meeting_yet")
    participants = set(session.exec(select(Participant.user_id).where(Participant.appointment_id == appt.id)))
    first_host = data.data.get("host")
    may_host = user.id == appt.organizer_id or (user.id in participants and first_host in (None, user.id))
    if not may_host:
        return StartResult(url=data.join_url or "", as_host=False)
    room = session.exec(select(Room).where(Room.goto_account == data.account)).first()
    running = _running_elsewhere(session, api, data)
    if running is not None:
        raise AccountBusy(
            room=room.name if room else data.account,
            running=running,
            free_rooms=free_rooms(session, user=user, appointment=appt),
        )
    try:
        url = api.host_url(data.account, data.meeting_id)
    except GotoMeetingActive as err:
        raise AccountBusy(
            room=room.name if room else data.account,
            running=err.active_meeting_id or "?",
            free_rooms=free_rooms(session, user=user, appointment=appt),
        ) from err
    except GotoNotFound as err:
        raise RoomDeskError("error.meeting_gone") from err
    except GotoError as err:
        raise RoomDeskError("error.start_failed", detail=str(err)) from err
    write_lock(session)  # GoTo answered: now the lock for the writes (never held across the call above)
    if first_host is None and user.id != appt.organizer_id:
        data.data = {**data.data, "host": user.id}  # the first participant to start becomes the host
        session.add(data)
    audit.record(
        session, actor=user, action="meeting.start", entity="appointment", entity_id=appt.id, after={"as_host": True}
    )
    return StartResult(url=url, as_host=True)


def _running_elsewhere(session: Session, api: GotoApi, data: GotoMeetingData) -> str | None:
    """The subject of another meeting running on this account right now, if any."""
    try:
        active = [
            m for m in api.upcoming_meetings(data.account) if m.status == "ACTIVE" and m.meeting_id != data.meeting_id
        ]
    except GotoError as err:
        raise RoomDeskError("error.start_failed", detail=str(err)) from err
    if not active:
        return None
    other = session.exec(
        select(Appointment.subject)
        .join(GotoMeetingData, GotoMeetingData.appointment_id == Appointment.id)
        .where(GotoMeetingData.meeting_id == active[0].meeting_id)
    ).first()
    return other or active[0].subject


def free_rooms(session: Session, *, user: User, appointment: Appointment) -> list[str]:
    """Linked rooms the user may book that nothing holds for the whole appointment (its own room is held by it)."""
    [free] = availability.free_rooms(
        session,
        room_ids=bookable_room_ids(session, user),
        slots=[(appointment.starts_at, appointment.ends_at)],
        linked_only=True,
    )
    return [name for _, name in free]
