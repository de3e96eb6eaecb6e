"""The create ledger: every POST /meetings is written down before it is sent and stays until it is settled.

GoTo has no idempotency keys, so a create whose answer was lost (a 500 after the effect, a stall past the
timeout, a crash) may or may not have made a meeting. Its ledger entry (a `MeetingJob` of kind "create")
keeps what was *sent* - account, subject, times, when - so the look-up searches for exactly that, whatever
the appointment looks like by then, and the entry outlives the appointment. Settling an entry means: a
meeting found at GoTo that Room Desk does not hold is deleted (GoTo gives the join link only in the create
answer, so a found meeting can never carry a link GoTo gave; the appointment's own job then creates a
fresh one if it still wants a meeting), or the meeting is proven absent. Either way the entry goes.
"""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.goto import GotoAmbiguousCreate, GotoApi, GotoError, Meeting, MeetingSpec
from core.kernel.db import session_scope
from core.kernel.models import GotoMeetingData, MeetingJob, utcnow

log = logging.getLogger(__name__)
# A claimed job (or a create in flight) whose runner died becomes claimable again after this. Longer than
# the GoTo client's worst case for one call (timeouts and Retry-After waits included).
LEASE = timedelta(seconds=float(os.environ.get("ROOMDESK_JOB_LEASE_SECONDS", "300")))


class CreateUnsettled(GotoError):
    """An earlier create of this appointment is still unanswered; creating again now could make a second one."""

    def __init__(self) -> None:
        super().__init__(
            "GoTo has not yet answered an earlier request for this meeting; Room Desk checks again shortly."
        )


@dataclass(frozen=True)
class Created:
    """A meeting GoTo confirmed, with the ledger entry that must be closed in the transaction that stores it."""

    meeting: Meeting
    entry_id: int
    account: str


def create_meeting(
    engine: Engine, api: GotoApi, *, appointment_id: int | None, account: str, spec: MeetingSpec
) -> Created:
    """The one way Room Desk creates a GoTo meeting: settle earlier unanswered creates, write down, then POST.

    Raises GotoError (the create is then either forgotten, when GoTo certainly did not execute it, or left in
    the ledger for the worker to settle) or CreateUnsettled. The caller stores the meeting and calls
    `confirm(session, created)` in the same transaction, or `disown(session, created)` if it will not keep it.
    """
    if appointment_id is not None:
        settle_for_appointment(engine, api, appointment_id)
    entry_id = _record(engine, appointment_id, account, spec)
    try:
        meeting = api.create_meeting(account, spec)
    except GotoAmbiguousCreate as err:
        log.warning("create for appointment %s on %s unanswered, kept in the ledger: %s", appointment_id, account, err)
        _release(engine, entry_id, str(err))
        raise
    except GotoError:  # refused, rate limited or never sent: GoTo certainly made nothing
        _forget(engine, entry_id)
        raise
    except BaseException as err:  # we cannot tell whether it was sent: the worker looks it up
        _release(engine, entry_id, f"{type(err).__name__}: {err}")
        raise
    return Created(meeting, entry_id, account)


def confirm(session: Session, created: Created) -> None:
    """The meeting is stored as an appointment's: its ledger entry is done."""
    session.execute(sa.delete(MeetingJob).where(MeetingJob.id == created.entry_id))


def disown(session: Session, created: Created) -> None:
    """Nobody keeps this confirmed meeting (the appointment went meanwhile): the entry now deletes it at GoTo."""
    session.execute(
        sa.update(MeetingJob)
        .where(MeetingJob.id == created.entry_id)
        .values(meeting_id=created.meeting.meeting_id, claimed_until=None, next_attempt_at=utcnow())
    )


def disown_later(engine: Engine, created: Created) -> None:
    """`disown` in its own transaction (after the transaction that should have stored the meeting failed)."""
    with session_scope(engine, immediate=True) as session:
        disown(session, created)


def settle_for_appointment(engine: Engine, api: GotoApi, appointment_id: int) -> None:
    """Settle every open create of this appointment; CreateUnsettled if one is still in flight elsewhere."""
    while True:
        with session_scope(engine, immediate=True) as session:
            open_ids = session.exec(
                select(MeetingJob.id).where(MeetingJob.kind == "create", MeetingJob.sent_for == appointment_id)
            ).all()
            entry = _claim_entry(session, open_ids)
        if not open_ids:
            return
        if entry is None:
            raise CreateUnsettled()
        try:
            settle(engine, api, entry)
        except BaseException as err:
            _release(engine, entry, f"{type(err).__name__}: {err}")  # the appointment's job reports the failure
            raise


def _claim_entry(session: Session, ids: list[int]) -> int | None:
    now = utcnow()
    for entry_id in ids:
        claimed = session.execute(
            sa.update(MeetingJob)
            .where(
                MeetingJob.id == entry_id, sa.or_(MeetingJob.claimed_until.is_(None), MeetingJob.claimed_until < now)
            )
            .values(claimed_until=now + LEASE)
        )
        if claimed.rowcount == 1:
            return entry_id
    return None


def settle(engine: Engine, api: GotoApi, entry_id: int) -> None:
    """Settle one claimed ledger entry: delete what it made (found by what was sent) or prove it absent.

    Raises GotoError while GoTo cannot tell, and CreateUnsettled while an identical create is in flight
    (its meeting would look the same); the entry then stays.
    """
    with session_scope(engine) as session:
        entry = session.get(MeetingJob, entry_id)
        if entry is None or entry.kind != "create":
            return
        account, meeting_id = entry.account or "", entry.meeting_id
        sent = MeetingSpec(entry.subject or "", entry.starts_at, entry.ends_at)  # type: ignore[arg-type]
    if meeting_id:  # confirmed, but its appointment went before the meeting could be stored
        api.delete_meeting(account, meeting_id)
        log.info("deleted meeting %s on %s whose appointment went while it was created", meeting_id, account)
        _forget(engine, entry_id)
        return
    if sent.ends_at <= utcnow():
        _forget(engine, entry_id)  # an ended meeting can no longer start: nothing left to settle
        return
    _ensure_no_twin_in_flight(engine, entry_id, account, sent)
    listed = [m for m in api.upcoming_meetings(account) if sent.matches(m)]
    # Read what Room Desk holds *after* listing: a meeting confirmed meanwhile is then known, not taken as lost.
    _ensure_no_twin_in_flight(engine, entry_id, account, sent)
    held = known_meeting_ids(engine, account)
    lost = next((m for m in listed if m.meeting_id not in held), None)
    if lost is not None:
        api.delete_meeting(account, lost.meeting_id)
        log.info(
            "found meeting %s on %s from an unanswered create (entry %s); deleted it",
            lost.meeting_id,
            account,
            entry_id,
        )
    else:
        log.info("create entry %s on %s: no such meeting at GoTo, proven absent", entry_id, account)
    _forget(engine, entry_id)


def known_meeting_ids(engine: Engine, account: str) -> set[str]:
    """Meeting ids on this account Room Desk holds: stored on appointments or waiting for their delete."""
    with session_scope(engine) as session:
        stored = session.exec(select(GotoMeetingData.meeting_id).where(GotoMeetingData.account == account)).all()
        jobs = session.exec(
            select(MeetingJob.meeting_id).where(MeetingJob.account == account, MeetingJob.meeting_id.is_not(None))
        ).all()
    return {m for m in [*stored, *jobs] if m}


def open_creates(engine: Engine, account: str) -> list[MeetingSpec]:
    """What unsettled creates sent to this account (reconcile counts meetings like these as Room Desk's)."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(MeetingJob.subject, MeetingJob.starts_at, MeetingJob.ends_at).where(
                MeetingJob.kind == "create", MeetingJob.account == account, MeetingJob.meeting_id.is_(None)
            )
        ).all()
    return [MeetingSpec(s or "", a, b) for s, a, b in rows if a and b]


def _ensure_no_twin_in_flight(engine: Engine, entry_id: int, account: str, sent: MeetingSpec) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        twin = session.exec(
            select(MeetingJob.id).where(
                MeetingJob.kind == "create",
                MeetingJob.id != entry_id,
                MeetingJob.account == account,
                MeetingJob.subject == sent.subject,
                MeetingJob.starts_at == sent.starts_at,
                MeetingJob.ends_at == sent.ends_at,
                MeetingJob.claimed_until.is_not(None),
                MeetingJob.claimed_until > now,
            )
        ).first()
    if twin is not None:
        raise CreateUnsettled()


def _record(engine: Engine, appointment_id: int | None, account: str, spec: MeetingSpec) -> int:
    now = utcnow()
    entry = MeetingJob(
        kind="create",
        sent_for=appointment_id,
        account=account,
        subject=spec.subject,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        sent_at=now,
        claimed_until=now + LEASE,  # in flight: nobody settles it while the POST may still be answered
        next_attempt_at=now,
    )
    with session_scope(engine, immediate=True) as session:
        session.add(entry)
        session.flush()
        return entry.id  # type: ignore[return-value]


def _release(engine: Engine, entry_id: int, error: str) -> None:
    """The POST is over without an answer: the entry may now be settled (soon, by whoever comes first)."""
    with session_scope(engine, immediate=True) as session:
        session.execute(
            sa.update(MeetingJob)
            .where(MeetingJob.id == entry_id)
            .values(claimed_until=None, last_error=error[:500], next_attempt_at=utcnow() + _soon())
        )


def _soon() -> timedelta:
    return timedelta(seconds=random.uniform(1.0, 5.0))  # a little later, so GoTo has settled too


def _forget(engine: Engine, entry_id: int) -> None:
    with session_scope(engine, immediate=True) as session:
        session.execute(sa.delete(MeetingJob).where(MeetingJob.id == entry_id))
