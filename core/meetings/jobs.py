"""GoTo meetings on demand: the intent is recorded with the save, the GoTo calls run as claimed jobs.

Public steps other packages use: `plan_sync` / `plan_delete` inside their saving transaction, then
`sync_now` / `run_now` after the commit; `create_meeting` (the create-with-ledger step, for paths that must
create before they commit, like the conflict desk's Move) with `store_meeting(..., created=...)`.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.goto import GotoApi, GotoError
from core.kernel.db import session_scope
from core.kernel.models import Appointment, Booking, GotoMeetingData, MeetingJob, RoomLink, utcnow
from core.meetings import ledger, sync
from core.meetings.ledger import LEASE, Created, CreateUnsettled, create_meeting, disown_later
from core.meetings.sync import CONFERENCE_CALL_INFO, spec_key, store_meeting

__all__ = [
    "CONFERENCE_CALL_INFO",
    "LEASE",
    "MAX_ATTEMPTS",
    "Created",
    "MeetingState",
    "block_of",
    "create_meeting",
    "disown_later",
    "meeting_state",
    "plan_delete",
    "plan_for_room",
    "plan_sync",
    "run_due",
    "run_job",
    "run_now",
    "spec_key",
    "store_meeting",
    "sync_now",
    "wants_meeting",
]

log = logging.getLogger(__name__)
BACKOFF = [
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
]
MAX_ATTEMPTS = 8  # then the job gives up: the appointment shows "failed" with the error until someone retries


@dataclass(frozen=True)
class MeetingState:
    state: str  # none | pending | failed | created
    join_url: str | None = None
    meeting_id: str | None = None
    error: str = ""
    attempts: int = 0


def block_of(session: Session, appointment_id: int) -> str | None:
    """The exact invitation block last written into this appointment's note, if any."""
    data = session.get(GotoMeetingData, appointment_id)
    return data.data.get("block") if data else None


def meeting_state(session: Session, appointment_id: int) -> MeetingState:
    """What users see: created, pending (retrying, with the last error), failed (given up), or none."""
    data = session.get(GotoMeetingData, appointment_id)
    job = session.exec(select(MeetingJob).where(MeetingJob.appointment_id == appointment_id)).first()
    join_url, meeting_id = (data.join_url, data.meeting_id) if data else (None, None)
    if job is not None:
        state = "failed" if job.failed_at is not None else "pending"
        return MeetingState(state, join_url, meeting_id, job.last_error, job.attempts)
    if meeting_id:
        return MeetingState("created", join_url, meeting_id)
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
    """Record, inside the saving transaction, that this appointment's meeting must be brought in line.

    A job that is running right now sees the higher version when it finishes and runs again.
    """
    bumped = session.execute(
        sa.update(MeetingJob)
        .where(MeetingJob.appointment_id == appointment_id)
        .values(version=MeetingJob.version + 1, next_attempt_at=utcnow(), attempts=0, failed_at=None)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:
        session.add(MeetingJob(kind="sync", appointment_id=appointment_id))
        session.flush()


def plan_delete(session: Session, appointment_id: int) -> int | None:
    """Before an appointment is deleted: keep a job that deletes its meeting at GoTo (it outlives the row).

    Creates still unanswered for it stay in the ledger, which outlives the appointment too.
    """
    data = session.get(GotoMeetingData, appointment_id)
    if data is None or not data.meeting_id:
        return None
    job = MeetingJob(kind="delete", account=data.account, meeting_id=data.meeting_id)
    session.add(job)
    session.flush()
    return job.id


def _claim(session: Session, query: sa.Select[Any], now: datetime) -> MeetingJob | None:
    query = query.where(
        sa.or_(MeetingJob.claimed_until.is_(None), MeetingJob.claimed_until < now), MeetingJob.failed_at.is_(None)
    )
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


def run_now(engine: Engine, api: GotoApi, job_id: int | None) -> bool:
    """Run one job right away if nobody else holds it (e.g. the delete job of an appointment just deleted)."""
    if job_id is None:
        return True
    with session_scope(engine, immediate=True) as session:
        job = _claim(session, select(MeetingJob).where(MeetingJob.id == job_id), utcnow())
    return run_job(engine, api, job_id) if job else False


def sync_now(engine: Engine, api: GotoApi, appointment_id: int, *, patience: float = 15.0) -> MeetingState:
    """Run this appointment's job now (after a save, or "retry now") and say where its meeting stands.

    If a worker holds the job right now, wait (up to `patience` seconds) for it and run what it left, so the
    person who just saved sees the outcome of *their* save instead of a transient "pending".
    """
    _unfail(engine, appointment_id)
    pause = threading.Event()
    for _ in range(int(patience / 0.2)):
        job_id = claim_for_appointment(engine, appointment_id)
        if job_id is not None:
            if not run_job(engine, api, job_id):
                break  # GoTo failed: the job waits for its backoff, the state says why
            continue  # a save arrived while it ran: run again
        with session_scope(engine) as session:
            job = session.exec(select(MeetingJob).where(MeetingJob.appointment_id == appointment_id)).first()
            if job is None or job.failed_at is not None or job.next_attempt_at > utcnow():
                break
        pause.wait(0.2)  # another runner is talking to GoTo; look again shortly
    with session_scope(engine) as session:
        return meeting_state(session, appointment_id)


def _unfail(engine: Engine, appointment_id: int) -> None:
    """Asking again (a save, "retry now") gives a job that gave up a fresh set of attempts."""
    with session_scope(engine, immediate=True) as session:
        session.execute(
            sa.update(MeetingJob)
            .where(MeetingJob.appointment_id == appointment_id, MeetingJob.failed_at.is_not(None))
            .values(failed_at=None, attempts=0, next_attempt_at=utcnow())
        )


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
    """Do one claimed job; False when it must be tried again later. Never raises for a failing job."""
    with session_scope(engine) as session:
        job = session.get(MeetingJob, job_id)
        if job is None:
            return True
        kind, account, meeting_id, appointment_id, version = (
            job.kind,
            job.account,
            job.meeting_id,
            job.appointment_id,
            job.version,
        )
    try:
        if kind == "delete":
            api.delete_meeting(account, meeting_id)  # type: ignore[arg-type]
        elif kind == "create":
            ledger.settle(engine, api, job_id)  # removes the entry itself once settled
            return True
        else:
            sync.sync_appointment(engine, api, appointment_id)  # type: ignore[arg-type]
    except CreateUnsettled as err:
        _postpone(engine, job_id, err, count=False)
        return False
    except GotoError as err:
        _postpone(engine, job_id, err)
        return False
    except Exception as err:  # a bug or an unreadable secret: recorded and retried like any failure
        log.exception("meeting job %s (%s, appointment %s) crashed", job_id, kind, appointment_id)
        _postpone(engine, job_id, err)
        return False
    return _finish(engine, job_id, version)


def _finish(engine: Engine, job_id: int, version: int) -> bool:
    """Compare-and-delete: a job planned again while it ran stays, due now, for one more run."""
    with session_scope(engine, immediate=True) as session:
        gone = session.execute(sa.delete(MeetingJob).where(MeetingJob.id == job_id, MeetingJob.version == version))
        if gone.rowcount == 1:
            return True
        session.execute(
            sa.update(MeetingJob).where(MeetingJob.id == job_id).values(claimed_until=None, next_attempt_at=utcnow())
        )
    log.info("meeting job %s changed while it ran; it runs again", job_id)
    return True


def _postpone(engine: Engine, job_id: int, err: Exception, *, count: bool = True) -> None:
    text = (str(err) or type(err).__name__)[:500]
    with session_scope(engine, immediate=True) as session:
        job = session.get(MeetingJob, job_id)
        if job is None:
            return
        attempts = job.attempts + (1 if count else 0)
        delay = BACKOFF[min(max(attempts - 1, 0), len(BACKOFF) - 1)] if count else timedelta(seconds=5)
        retry_after = getattr(err, "retry_after", None)
        if retry_after:
            delay = max(delay, timedelta(seconds=float(retry_after)))
        delay *= random.uniform(0.8, 1.2)  # jitter: jobs failing together do not retry together
        job.attempts, job.claimed_until, job.last_error = attempts, None, text
        job.next_attempt_at = utcnow() + delay
        if attempts >= MAX_ATTEMPTS:
            job.failed_at = utcnow()
            log.error("meeting job %s (%s) gave up after %s attempts: %s", job_id, job.kind, attempts, text)
        else:
            log.warning(
                "meeting job %s (%s) failed (attempt %s), retry at %s: %s",
                job_id,
                job.kind,
                attempts,
                job.next_attempt_at.isoformat(timespec="seconds"),
                text,
            )
        session.add(job)
