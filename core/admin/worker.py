"""`roomdesk worker`: the background loop. Each pass runs every job once and reports what it did."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from core.admin import health
from core.goto import bulk_work
from core.goto.connect import GotoConnection
from core.meetings import jobs as meetings
from core.reporting import history
from core.series import cleanup as series_cleanup

TOKEN_HORIZON = timedelta(minutes=10)


@bulk_work()  # the worker's GoTo calls yield to users' saves sharing the same client
def run_pass(engine: Engine, connection: GotoConnection) -> str:
    """One pass over every job; returns a one-line report."""
    outcomes = connection.tokens.refresh_expiring(TOKEN_HORIZON)
    failed = [f"{o.room}: {o.detail}" for o in outcomes if not o.ok]
    try:  # series first: occurrences it opens ahead of time get their meetings in this same pass
        series = series_cleanup.run_series_pass(engine)
    except Exception as err:
        series = f"series step failed: {type(err).__name__}: {err}"
    done, postponed = meetings.run_due(engine, connection.client)
    sessions = collect_history_step(engine, connection)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    line = (
        f"{stamp} tokens refreshed: {sum(o.ok for o in outcomes)}, failed: {len(failed)}; "
        f"meeting jobs done: {done}, postponed: {postponed}; {series}; {sessions}"
    )
    return line + ("".join(f"\n  {f}" for f in failed))


def collect_history_step(engine: Engine, connection: GotoConnection) -> str:
    """Collect the GoTo history of the linked accounts that are due (paced; after the meeting jobs)."""
    try:
        collected = history.collect_history(engine, connection.client)
    except Exception as err:
        return f"history step failed: {type(err).__name__}: {err}"
    failed = sum(1 for c in collected if c.error)
    return f"history: {sum(c.new_sessions for c in collected)} new session(s) from {len(collected)} room(s)" + (
        f", {failed} failed" if failed else ""
    )


def start_in_background(engine: Engine, connection: GotoConnection, interval: float = 30.0) -> threading.Event:
    """The dashboard's own worker thread (jobs are claimed, so a separate `roomdesk worker` may run too)."""
    stop = threading.Event()

    def loop() -> None:
        for _ in run(engine, connection, once=False, interval=interval, stop=stop, kind="embedded"):
            pass

    threading.Thread(target=loop, name="roomdesk-worker", daemon=True).start()
    return stop


def run(
    engine: Engine,
    connection: GotoConnection,
    *,
    once: bool,
    interval: float,
    stop: threading.Event | None = None,
    kind: str = "worker",
) -> Iterator[str]:
    """Pass after pass until stopped (or a single pass with once=True); each pass leaves a heartbeat."""
    stop = stop or threading.Event()
    name, started = health.worker_name(kind), datetime.now(UTC)
    while True:
        try:
            report = run_pass(engine, connection)
        except Exception as err:
            report = f"pass failed: {type(err).__name__}: {err}"
        health.record_heartbeat(engine, worker=name, kind=kind, started_at=started, interval=interval, report=report)
        yield report
        if once or stop.wait(interval):
            return
