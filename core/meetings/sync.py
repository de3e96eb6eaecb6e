"""Bringing one appointment's GoTo meeting in line with the appointment (run by its job, outside transactions)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access.settings import get_value
from core.goto import GotoApi, GotoNotFound, Meeting, MeetingSpec
from core.kernel.db import session_scope
from core.kernel.models import Appointment, Booking, GotoMeetingData, MeetingJob, Room, RoomLink, User, utcnow
from core.meetings import ledger
from core.meetings.invitations import Invitation, render_invitation, replace_block

log = logging.getLogger(__name__)
CONFERENCE_CALL_INFO = "meetings.conference_call_info"
PLAIN_CALL_TYPES = {"Hybrid", "VoIP", "PSTN", "Free", "Private", "None"}


@dataclass(frozen=True)
class _Wanted:
    account: str | None
    spec: MeetingSpec | None
    ended: bool
    lang: str
    current_account: str | None
    current_id: str | None
    current_spec: dict[str, str]


def _wanted(session: Session, appointment_id: int) -> _Wanted | None:
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.rrule is not None:  # a series' carried link is left to the series cleanup (rule 8)
        return None
    account = session.exec(
        select(Room.goto_account)
        .join(Booking, Booking.room_id == Room.id)
        .join(RoomLink, RoomLink.room_id == Room.id)
        .where(Booking.appointment_id == appointment_id)
    ).first()
    organizer = session.get(User, appt.organizer_id) if appt.organizer_id else None
    data = session.get(GotoMeetingData, appointment_id)
    spec = MeetingSpec(
        subject=appt.subject,
        starts_at=appt.starts_at,
        ends_at=appt.ends_at,
        conference_call_info=get_value(session, CONFERENCE_CALL_INFO, "Hybrid"),
    )
    return _Wanted(
        account=account,
        spec=spec if account else None,
        ended=appt.ends_at <= utcnow(),
        lang=(organizer.language if organizer else None) or "en",
        current_account=data.account if data and data.meeting_id else None,
        current_id=data.meeting_id if data else None,
        current_spec=data.data.get("spec", {}) if data else {},
    )


def spec_key(spec: MeetingSpec) -> dict[str, str]:
    """What a stored meeting was last synced to (compared before sending a PUT)."""
    return {
        "subject": spec.subject,
        "start": spec.starts_at.isoformat(),
        "end": spec.ends_at.isoformat(),
        "call": spec.conference_call_info,
    }


def sync_appointment(engine: Engine, api: GotoApi, appointment_id: int) -> None:
    """Make GoTo hold exactly the one meeting this appointment wants (or none); raises GotoError to retry."""
    ledger.settle_for_appointment(engine, api, appointment_id)  # earlier unanswered creates first
    with session_scope(engine) as session:
        wanted = _wanted(session, appointment_id)
    if wanted is None:
        return
    if wanted.current_id and wanted.current_account != wanted.account:  # moved, or the room went
        api.delete_meeting(wanted.current_account, wanted.current_id)  # type: ignore[arg-type]
        _store(engine, appointment_id, None, None, {}, deleted=wanted.current_id)
        wanted = _Wanted(wanted.account, wanted.spec, wanted.ended, wanted.lang, None, None, {})
    if wanted.account is None or wanted.spec is None:
        _store(engine, appointment_id, None, None, {})
        return
    if wanted.current_id:
        if wanted.ended:
            return  # a meeting that has ended keeps what it was; GoTo refuses moving it anyway
        try:
            if wanted.current_spec != spec_key(wanted.spec):
                api.update_meeting(wanted.account, wanted.current_id, wanted.spec)
            meeting = api.get_meeting(wanted.account, wanted.current_id)
        except GotoNotFound:
            meeting = None  # deleted at GoTo meanwhile: create a new one below
        if meeting is not None:
            _store(engine, appointment_id, wanted.account, meeting, spec_key(wanted.spec), wanted.lang)
            return
    if wanted.ended:  # no new meeting for an appointment that is over
        _store(engine, appointment_id, None, None, {}, deleted=wanted.current_id)
        return
    created = ledger.create_meeting(
        engine, api, appointment_id=appointment_id, account=wanted.account, spec=wanted.spec
    )
    try:
        with session_scope(engine, immediate=True) as session:
            store_meeting(
                session,
                appointment_id,
                wanted.account,
                created.meeting,
                spec_key(wanted.spec),
                wanted.lang,
                join_url=created.meeting.join_url,
                created=created,
                deleted=wanted.current_id,
            )
    except BaseException:
        ledger.disown_later(engine, created)  # the worker deletes what nobody could store
        raise


def _store(
    engine: Engine,
    appointment_id: int,
    account: str | None,
    meeting: Meeting | None,
    spec: dict[str, str],
    lang: str = "en",
    *,
    deleted: str | None = None,
) -> None:
    with session_scope(engine, immediate=True) as session:
        store_meeting(session, appointment_id, account, meeting, spec, lang, deleted=deleted)


def store_meeting(
    session: Session,
    appointment_id: int,
    account: str | None,
    meeting: Meeting | None,
    spec: dict[str, str],
    lang: str = "en",
    join_url: str | None = None,
    *,
    created: ledger.Created | None = None,
    deleted: str | None = None,
) -> None:
    """Save the meeting's data and put the matching invitation block under the note (or remove it).

    `created` closes the ledger entry of a meeting just made (or hands it to the worker for deletion when the
    appointment is gone). A different meeting stored meanwhile (and not the `deleted` one) gets a delete job,
    so replacing one never leaves it at GoTo.
    """
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        if created is not None:
            ledger.disown(session, created)
        return
    data = session.get(GotoMeetingData, appointment_id)
    if data is not None and data.meeting_id and data.meeting_id not in (deleted, meeting and meeting.meeting_id):
        session.add(MeetingJob(kind="delete", account=data.account, meeting_id=data.meeting_id))
        log.info("appointment %s: meeting %s replaced, planned its deletion", appointment_id, data.meeting_id)
    old_block = data.data.get("block") if data else None
    if meeting is None or account is None:
        appt.note = replace_block(appt.note, old_block, None)
        if data is not None:
            session.delete(data)
    else:
        # GoTo returns the join link only when creating; later reads keep the one we stored. Never made up.
        join_url = join_url or (data.join_url if data and data.meeting_id == meeting.meeting_id else None)
        dial_in = "" if meeting.conference_call_info in PLAIN_CALL_TYPES else meeting.conference_call_info
        dial_in = dial_in or (data.data.get("dial_in", "") if data else "")
        block = render_invitation(Invitation(join_url or "", meeting.meeting_id, dial_in), lang)
        appt.note = replace_block(appt.note, old_block, block)
        data = data or GotoMeetingData(appointment_id=appointment_id, account=account)
        data.account, data.meeting_id, data.join_url, data.state = account, meeting.meeting_id, join_url, "created"
        data.data = {
            "block": block,
            "spec": spec,
            "dial_in": dial_in,
            **{k: v for k, v in data.data.items() if k == "host"},
        }
        data.updated_at = utcnow()
        session.add(data)
        if created is not None:
            ledger.confirm(session, created)
    session.add(appt)
