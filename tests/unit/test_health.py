"""Health: a worker's heartbeat says it is alive; silence, failing or stuck meeting jobs make it unhealthy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from core.admin import health
from core.kernel.db import session_scope
from core.kernel.models import MeetingJob, utcnow


def beat(engine: Engine, name: str = "host:1", interval: float = 30.0) -> None:
    health.record_heartbeat(engine, worker=name, kind="worker", started_at=utcnow(), interval=interval, report="ok")


def test_a_fresh_installation_without_a_worker_is_unhealthy(engine: Engine) -> None:
    state = health.check(engine)
    assert state.workers == [] and state.problems == ["ops.problem.no_worker"] and not state.healthy


def test_a_worker_that_beat_recently_is_alive_and_counts_its_passes(engine: Engine) -> None:
    beat(engine)
    beat(engine)
    state = health.check(engine)
    assert state.healthy
    [worker] = state.workers
    assert worker.alive and worker.passes == 2 and worker.worker == "host:1" and worker.last_report == "ok"


def test_a_worker_silent_for_three_intervals_is_no_longer_alive(engine: Engine) -> None:
    beat(engine, interval=60)
    with session_scope(engine) as s:
        later = health.system_health(s, now=utcnow() + timedelta(minutes=3, seconds=5))
        still = health.system_health(s, now=utcnow() + timedelta(minutes=2, seconds=50))
    assert not later.workers[0].alive and later.problems == ["ops.problem.no_worker"]
    assert still.healthy


def test_jobs_failing_for_long_and_jobs_nobody_picks_up_are_problems(engine: Engine) -> None:
    beat(engine)
    long_ago = utcnow() - timedelta(minutes=20)
    with session_scope(engine) as s:
        s.add(
            MeetingJob(
                kind="delete",
                account="a@x.test",
                meeting_id="1",
                attempts=3,
                last_error="GoTo 503",
                created_at=long_ago,
                next_attempt_at=utcnow() + timedelta(minutes=5),
            )
        )
        s.add(MeetingJob(kind="delete", account="a@x.test", meeting_id="2", next_attempt_at=long_ago))
    state = health.check(engine)
    assert (state.pending, state.failing) == (2, 1)
    assert abs(state.failing_since - long_ago) < timedelta(seconds=1)  # type: ignore[operator]
    assert state.problems == ["ops.problem.failing", "ops.problem.overdue"]


def test_a_job_that_just_failed_once_is_not_yet_a_problem(engine: Engine) -> None:
    beat(engine)
    with session_scope(engine) as s:
        s.add(
            MeetingJob(
                kind="delete",
                account="a@x.test",
                meeting_id="1",
                attempts=1,
                last_error="GoTo 503",
                next_attempt_at=utcnow() + timedelta(seconds=30),
            )
        )
    state = health.check(engine)
    assert state.healthy and state.failing == 1
