"""Sign-in throttling: growing delays after a few failed passwords, then a temporary lock.

Counted per user name (failures since its last successful sign-in) and per client address (all failures),
over a sliding window. The answer is a refusal with the time to wait, never a sleep: a sleeping server thread
would let a guesser tie up the dashboard instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.kernel.db import write_lock
from core.kernel.errors import RoomDeskError
from core.kernel.models import SignInAttempt


class SignInThrottled(RoomDeskError):
    """Too many failed sign-ins; the message says how long to wait."""

    key = "error.signin_wait"


@dataclass(frozen=True)
class Limits:
    free: int  # failures allowed before delays start
    lock: int  # failures within the window that lock
    max_delay: timedelta
    lock_for: timedelta


WINDOW = timedelta(minutes=15)
PER_USER = Limits(free=3, lock=10, max_delay=timedelta(seconds=60), lock_for=timedelta(minutes=15))
PER_ADDRESS = Limits(free=10, lock=50, max_delay=timedelta(seconds=60), lock_for=timedelta(minutes=15))


def wait_after(failures: int, last_failure: datetime, limits: Limits) -> datetime | None:
    """When the next try is allowed after `failures` failures, the last at `last_failure`; None: right away."""
    if failures >= limits.lock:
        return last_failure + limits.lock_for
    if failures > limits.free:
        delay = min(timedelta(seconds=2 ** (failures - limits.free)), limits.max_delay)
        return last_failure + delay
    return None


def _aware(moment: datetime | None) -> datetime | None:
    # max() loses the column type, so the database's naive UTC comes back as it is stored.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _failures(session: Session, *, column: sa.ColumnElement[bool], since: datetime) -> tuple[int, datetime | None]:
    count, last = session.exec(
        select(sa.func.count(), sa.func.max(SignInAttempt.at)).where(
            column, col(SignInAttempt.at) >= since, sa.not_(SignInAttempt.succeeded)
        )
    ).one()
    return count, _aware(last)


def check(session: Session, *, username: str, client_address: str, now: datetime) -> None:
    """Refuse with the time to wait when this user name or this address failed too often lately."""
    since = now - max(WINDOW, PER_USER.lock_for)
    last_success = session.exec(
        select(sa.func.max(SignInAttempt.id)).where(SignInAttempt.username == username, SignInAttempt.succeeded)
    ).one()
    mine = SignInAttempt.username == username
    if last_success is not None:  # by id, not time: a success and the failures before it may share a moment
        mine = sa.and_(mine, col(SignInAttempt.id) > last_success)
    checks = [
        (_failures(session, column=mine, since=since), PER_USER),
        (_failures(session, column=SignInAttempt.client_address == client_address, since=since), PER_ADDRESS),
    ]
    for (count, last), limits in checks:
        until = wait_after(count, last, limits) if last else None
        if until is not None and now < until:
            seconds = math.ceil((until - now).total_seconds())
            if count >= limits.lock:
                raise SignInThrottled("error.signin_locked", minutes=math.ceil(seconds / 60))
            raise SignInThrottled("error.signin_wait", seconds=seconds)


def record(session: Session, *, username: str, client_address: str, succeeded: bool, now: datetime) -> None:
    write_lock(session)  # reads, then writes: the write lock before the first read
    session.add(SignInAttempt(at=now, username=username[:80], client_address=client_address[:64], succeeded=succeeded))
