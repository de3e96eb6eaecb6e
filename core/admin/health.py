"""Is the installation healthy? Worker heartbeats and the meeting job queue, for `roomdesk status` and the sidebar."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.kernel.db import session_scope
from core.kernel.models import MeetingJob, WorkerHeartbeat, utcnow

log = logging.getLogger(__name__)
MIN_SILENCE = timedelta(minutes=2)  # a worker is alive while its last beat is younger than 3 intervals, or this
FAILING_GRACE = timedelta(minutes=15)  # a job failing for longer than this makes the installation unhealthy
OVERDUE_GRACE = timedelta(minutes=10)  # a due job nobody picked up for this long: the workers do not keep up
FORGET_AFTER = timedelta(days=7)  # heartbeats of workers gone this long are deleted


def worker_name(kind: str = "worker") -> str:
    """This process's worker identity: the host and process id (a dashboard thread says so)."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return base if kind == "worker" else f"{kind} {base}"


def record_heartbeat(
    engine: Engine, *, worker: str, kind: str, started_at: datetime, interval: float, report: str
) -> None:
    """Record one finished pass of `worker`; never raises (a worker must not die of its own health check)."""
    now = utcnow()
    try:
        with session_scope(engine, immediate=True) as session:
            beat = session.get(WorkerHeartbeat, worker) or WorkerHeartbeat(worker=worker, started_at=started_at)
            beat.kind, beat.beat_at, beat.interval_seconds = kind, now, interval
            beat.passes += 1
            beat.last_report = report[:500]
            session.add(beat)
            session.execute(sa.delete(WorkerHeartbeat).where(col(WorkerHeartbeat.beat_at) < now - FORGET_AFTER))
    except Exception:
        log.exception("could not record the heartbeat of worker %s", worker)


@dataclass(frozen=True)
class WorkerState:
    worker: str
    kind: str
    started_at: datetime
    beat_at: datetime
    passes: int
    alive: bool
    last_report: str


@dataclass(frozen=True)
class Health:
    checked_at: datetime
    workers: list[WorkerState]
    pending: int  # meeting jobs waiting (due or later)
    failing: int  # ... of them whose last attempt failed
    failing_since: datetime | None  # the oldest failing job was recorded then
    overdue_since: datetime | None  # the oldest job due but not picked up
    problems: list[str] = field(default_factory=list)  # text keys (ops.problem.*), empty when healthy

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def alive(self) -> list[WorkerState]:
        return [w for w in self.workers if w.alive]

    @property
    def last_beat(self) -> datetime | None:
        return max((w.beat_at for w in self.workers), default=None)


def _alive(beat: WorkerHeartbeat, now: datetime) -> bool:
    return now - beat.beat_at <= max(MIN_SILENCE, timedelta(seconds=3 * beat.interval_seconds))


def system_health(session: Session, *, now: datetime | None = None) -> Health:
    """Workers (alive or silent, since when), pending and failing meeting jobs, and what is wrong."""
    now = now or utcnow()
    beats = session.exec(select(WorkerHeartbeat).order_by(col(WorkerHeartbeat.beat_at).desc())).all()
    workers = [
        WorkerState(b.worker, b.kind, b.started_at, b.beat_at, b.passes, _alive(b, now), b.last_report) for b in beats
    ]
    failed = (MeetingJob.attempts > 0) & (MeetingJob.last_error != "")
    unclaimed = sa.or_(col(MeetingJob.claimed_until).is_(None), col(MeetingJob.claimed_until) < now)
    pending, failing, failing_since = session.exec(
        select(
            sa.func.count(),
            sa.func.count().filter(failed),
            sa.func.min(MeetingJob.created_at).filter(failed),
        )
    ).one()
    overdue_since = session.exec(
        select(sa.func.min(MeetingJob.next_attempt_at)).where(MeetingJob.next_attempt_at <= now, unclaimed)
    ).one()
    failing_since = _aware(failing_since)
    overdue_since = _aware(overdue_since)
    problems = []
    if not any(w.alive for w in workers):
        problems.append("ops.problem.no_worker")
    if failing_since is not None and now - failing_since > FAILING_GRACE:
        problems.append("ops.problem.failing")
    if overdue_since is not None and now - overdue_since > OVERDUE_GRACE:
        problems.append("ops.problem.overdue")
    return Health(now, workers, int(pending), int(failing), failing_since, overdue_since, problems)


def _aware(value: datetime | str | None) -> datetime | None:
    # Aggregates bypass the column type, so SQLite hands back text and PostgreSQL a naive datetime (both UTC).
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def check(engine: Engine) -> Health:
    """The health of the installation behind `engine`, in its own read transaction."""
    with session_scope(engine) as session:
        return system_health(session)
