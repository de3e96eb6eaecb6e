"""GoTo meetings on demand: the intent is recorded with the save, the GoTo calls run as claimed jobs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access.settings import get_value
from core.goto import GotoApi, GotoError, GotoNotFound, Meeting, MeetingSpec
from core.kernel.db import session_scope
from core.kernel.models import Appointment, Booking, GotoMeetingData, MeetingJob, Room, RoomLink, User, utcnow
from core.meetings.invitations import Invitation, render_invitation, replace_block

LEASE = timedelta(minutes=2)  # a claimed job whose runner died becomes claimable again after this
BACKOFF = [
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
]
CONFERENCE_CALL_INFO = "meetings.conference_call_info"
PLAIN_CALL_TYPES = {"Hybrid", "VoIP", "PSTN", "Free", "Private", "None"}


@dataclass(frozen=True)
class MeetingState:
    state: str  # none | pending | created
    join_url: str | None = None
    meeting_id: str | None = None
    error: str = ""
    attempts: int = 0


def block_of(session: Session, appointment_id: int) -> str | None:
    """The exact invitation block last written into this appointment's note, if any."""
    data = session.get(GotoMeetingData, appointment_id)
    return data.data.get("block") if data else None


def meeting_state(session: Session, appointment_id: int) -> MeetingState:
    data = session.get(GotoMeetingData, appointment_id)
    job = session.exec(select(MeetingJob).where(MeetingJob.appointment_id == appointment_id)).first()
    if job is not None:
        return MeetingState(
            "pending", data.join_url if data else None, data.meeting_id if data else None, job.last_error, job.attempts
        )
    if data is not None and data.meeting_id:
        return MeetingState("created", data.join_url, data.meeting_id)
    return MeetingState("none")


def wants_meeting(session: Session, appointment_id: int, room_id: int | None) -> bool:
    """A job is needed when the booked room is linked to GoTo, or a meeting exists that may have to go."""
    appt = session.get(Appointment, appointment_id)
    if appt is not None and appt.rrule is not None:
        return False  # rule 7: never a meeting for a series itself, only for occurrences someone opens
    linked = room_id is not None and session.get(RoomLink, room_id) is not None
    return linked or session.get(GotoMeetingData, appointment_id) is not None


def plan_for_room(session: Session, room_id: int) -> int:
    """After a room was linked: plan meetings for its upcoming appointments. Returns how many."""
    ids = session.exec(
        select(Booking.appointment_id)
        .distinct()
        .join(Appointment, Appointment.id == Booking.appointment_id)
        .where(Booking.room_id == room_id, Booking.ends_at > utcnow(), Appointment.rrule.is_(None))
    ).all()
    for appointment_id in ids:
        plan_sync(session, appointment_id)
    return len(ids)


def plan_sync(session: Session, appointment_id: int) -> None:
    """Record, inside the saving transaction, that this appointment's meeting must be brought in line."""
    job = session.exec(select(MeetingJob).where(MeetingJob.appointment_id == appointment_id)).first()
    if job is None:
        session.add(MeetingJob(kind="sync", appointment_id=appointment_id))
    else:
        job.next_attempt_at = utcnow()
        session.add(job)


def plan_delete(session: Session, appointment_id: int) -> int | None:
    """Before an appointment is deleted: keep a job that deletes its meeting at GoTo (it outlives the row)."""
    data = session.get(GotoMeetingData, appointment_id)
    if data is None or not data.meeting_id:
        return None
    job = MeetingJob(kind="delete", account=data.account, meeting_id=data.meeting_id)
    session.add(job)
    session.flush()
    return job.id


def _claim(session: Session, query: sa.Select[Any], now: datetime) -> MeetingJob | None:
    query = query.where(sa.or_(MeetingJob.claimed_until.is_(None), MeetingJob.claimed_until < now))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never pick the same row
    job = session.exec(query.limit(1)).first()  # type: ignore[call-overload]
    if job is not None:
        job.claimed_until = now + LEASE
        session.add(job)
    return job


def claim_for_appointment(engine: Engine, appointment_id: int) -> int | None:
    with session_scope(engine, immediate=True) as session:
        job = _claim(session, select(MeetingJob).where(MeetingJob.appointment_id == appointment_id), utcnow())
        return job.id if job else None


def claim_due(engine: Engine) -> int | None:
    now = utcnow()
    with session_scope(engine, immediate=True) as session:
        job = _claim(
            session,
            select(MeetingJob)
            .where(MeetingJob.next_attempt_at <= now)
            .order_by(MeetingJob.next_attempt_at, MeetingJob.id),
            now,
        )
        return job.id if job else None


def run_now(engine: Engine, api: GotoApi, job_id: int) -> bool:
    """Run one job right away if nobody else holds it (e.g. the delete job of an appointment just deleted)."""
    with session_scope(engine, immediate=True) as session:
        job = _claim(session, select(MeetingJob).where(MeetingJob.id == job_id), utcnow())
    return run_job(engine, api, job_id) if job else False


def sync_now(engine: Engine, api: GotoApi, appointment_id: int, *, patience: float = 15.0) -> MeetingState:
    """Run this appointment's job now (after a save, or "retry now").

    If a worker holds the job right now, wait (up to `patience` seconds) for it to finish rather than run it
    twice, so the person who just saved sees the outcome instead of a transient "pending".
    """
    job_id = claim_for_appointment(engine, appointment_id)
    if job_id is not None:
        run_job(engine, api, job_id)
    else:
        _wait_while_claimed(engine, appointment_id, patience)
    with session_scope(engine) as session:
        return meeting_state(session, appointment_id)


def _wait_while_claimed(engine: Engine, appointment_id: int, patience: float) -> None:
    pause = threading.Event()
    for _ in range(int(patience / 0.2)):
        with session_scope(engine) as session:
            job = session.exec(select(MeetingJob).where(MeetingJob.appointment_id == appointment_id)).first()
            if job is None or job.claimed_until is None or job.claimed_until < utcnow():
                return
        pause.wait(0.2)  # the other runner is talking to GoTo; look again shortly


def run_due(engine: Engine, api: GotoApi, limit: int = 100) -> tuple[int, int]:
    """The worker's pass: run due jobs until none is left (or `limit`); (succeeded, failed)."""
    done = failed = 0
    for _ in range(limit):
        job_id = claim_due(engine)
        if job_id is None:
            break
        if run_job(engine, api, job_id):
            done += 1
        else:
            failed += 1
    return done, failed


def run_job(engine: Engine, api: GotoApi, job_id: int) -> bool:
    """Do one claimed job. On a GoTo failure it stays, marked pending, with a backoff; nothing is lost."""
    with session_scope(engine) as session:
        job = session.get(MeetingJob, job_id)
        if job is None:
            return True
        kind, account, meeting_id, appointment_id, attempts = (
            job.kind,
            job.account,
            job.meeting_id,
            job.appointment_id,
            job.attempts,
        )
    try:
        if kind == "delete":
            api.delete_meeting(account, meeting_id)  # type: ignore[arg-type]
        else:
            _sync(engine, api, appointment_id, search_first=attempts > 0)  # type: ignore[arg-type]
    except GotoError as err:
        _postpone(engine, job_id, err)
        return False
    with session_scope(engine) as session:
        session.execute(sa.delete(MeetingJob).where(MeetingJob.id == job_id))
    return True


def _postpone(engine: Engine, job_id: int, err: GotoError) -> None:
    with session_scope(engine) as session:
        job = session.get(MeetingJob, job_id)
        if job is None:
            return
        delay = BACKOFF[min(job.attempts, len(BACKOFF) - 1)]
        if getattr(err, "retry_after", None):
            delay = max(delay, timedelta(seconds=float(err.retry_after)))  # type: ignore[attr-defined]
        job.attempts, job.claimed_until, job.last_error = job.attempts + 1, None, str(err)[:500]
        job.next_attempt_at = utcnow() + delay
        session.add(job)


@dataclass(frozen=True)
class _Wanted:
    account: str | None
    spec: MeetingSpec | None
    lang: str
    current_account: str | None
    current_id: str | None
    current_spec: dict[str, str]


def _wanted(session: Session, appointment_id: int) -> _Wanted | None:
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.rrule is not None:  # a series' carried link is left to the series cleanup (rule 8)
        return None
    row = session.exec(
        select(Room.goto_account)
        .join(Booking, Booking.room_id == Room.id)
        .join(RoomLink, RoomLink.room_id == Room.id)
        .where(Booking.appointment_id == appointment_id)
    ).first()
    organizer = session.get(User, appt.organizer_id) if appt.organizer_id else None
    data = session.get(GotoMeetingData, appointment_id)
    spec = (
        MeetingSpec(
            subject=appt.subject,
            starts_at=appt.starts_at,
            ends_at=appt.ends_at,
            conference_call_info=get_value(session, CONFERENCE_CALL_INFO, "Hybrid"),
        )
        if row
        else None
    )
    return _Wanted(
        account=row,
        spec=spec,
        lang=(organizer.language if organizer else None) or "en",
        current_account=data.account if data and data.meeting_id else None,
        current_id=data.meeting_id if data else None,
        current_spec=data.data.get("spec", {}) if data else {},
    )


def _spec_key(spec: MeetingSpec) -> dict[str, str]:
    return {
        "subject": spec.subject,
        "start": spec.starts_at.isoformat(),
        "end": spec.ends_at.isoformat(),
        "call": spec.conference_call_info,
    }


def _sync(engine: Engine, api: GotoApi, appointment_id: int, *, search_first: bool) -> None:
    with session_scope(engine) as session:
        wanted = _wanted(session, appointment_id)
    if wanted is None:
        return
    if wanted.current_id and wanted.current_account != wanted.account:
        api.delete_meeting(wanted.current_account, wanted.current_id)  # type: ignore[arg-type]
        _store(engine, appointment_id, None, None, {})
        wanted = _Wanted(wanted.account, wanted.spec, wanted.lang, None, None, {})
    if wanted.account is None or wanted.spec is None:
        _store(engine, appointment_id, None, None, {})
        return
    if wanted.current_id:
        try:
            if wanted.current_spec != _spec_key(wanted.spec):
                api.update_meeting(wanted.account, wanted.current_id, wanted.spec)
            meeting = api.get_meeting(wanted.account, wanted.current_id)
        except GotoNotFound:
            meeting = None  # deleted at GoTo meanwhile: create a new one below
        if meeting is not None:
            _store(engine, appointment_id, wanted.account, meeting, _spec_key(wanted.spec), wanted.lang)
            return
    # After an unanswered create (GotoAmbiguousCreate keeps the job), look for that meeting before creating.
    meeting = _find(api, wanted.account, wanted.spec) if search_first else None
    meeting = meeting or api.create_meeting(wanted.account, wanted.spec)
    _store(
        engine,
        appointment_id,
        wanted.account,
        meeting,
        _spec_key(wanted.spec),
        wanted.lang,
        join_url=meeting.join_url or api.join_url_for(meeting.meeting_id),
    )


def _find(api: GotoApi, account: str, spec: MeetingSpec) -> Meeting | None:
    """A meeting an earlier, unanswered create may have made: same subject and times on the account."""
    return next((m for m in api.upcoming_meetings(account) if spec.matches(m)), None)


def _store(
    engine: Engine,
    appointment_id: int,
    account: str | None,
    meeting: Meeting | None,
    spec: dict[str, str],
    lang: str = "en",
    join_url: str | None = None,
) -> None:
    with session_scope(engine, immediate=True) as session:
        store_meeting(session, appointment_id, account, meeting, spec, lang, join_url)


def spec_key(spec: MeetingSpec) -> dict[str, str]:
    return _spec_key(spec)


def store_meeting(
    session: Session,
    appointment_id: int,
    account: str | None,
    meeting: Meeting | None,
    spec: dict[str, str],
    lang: str = "en",
    join_url: str | None = None,
) -> None:
    """Save the meeting's data and put the matching invitation block under the note (or remove it)."""
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        return
    data = session.get(GotoMeetingData, appointment_id)
    old_block = data.data.get("block") if data else None
    if meeting is None or account is None:
        appt.note = replace_block(appt.note, old_block, None)
        if data is not None:
            session.delete(data)
    else:
        # GoTo returns the join link only when creating; later reads keep the one we stored.
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
    session.add(appt)
