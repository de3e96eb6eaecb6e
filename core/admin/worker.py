"""`roomdesk worker`: the background loop. Each pass runs every job once and reports what it did."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from core.admin import health
from core.goto import bulk_work
from core.goto.connect import GotoConnection
from core.kernel.logs import configure_logging
from core.meetings import jobs as meetings
from core.reporting import history
from core.series import cleanup as series_cleanup

TOKEN_HORIZON = timedelta(minutes=10)
log = logging.getLogger(__name__)


@bulk_work()  # the worker's GoTo calls yield to users' saves sharing the same client
def run_pass(engine: Engine, connection: GotoConnection) -> str:
    """One pass over every job; returns a one-line report. A failing step is logged and the others still run."""
    failed: list[str] = []
    refreshed = 0
    try:
        outcomes = connection.tokens.refresh_expiring(TOKEN_HORIZON)
        refreshed = sum(o.ok for o in outcomes)
        failed = [f"{o.room}: {o.detail}" for o in outcomes if not o.ok]
    except Exception as err:
        log.exception("token refresh step failed")
        failed = [f"token refresh step failed: {type(err).__name__}: {err}"]
    try:  # series first: occurrences it opens ahead of time get their meetings in this same pass
        series = series_cleanup.run_series_pass(engine)
    except Exception as err:
        log.exception("series step failed")
        series = f"series step failed: {type(err).__name__}: {err}"
    try:
        done, postponed = meetings.run_due(engine, connection.client)
    except Exception:  # run_due records job failures itself; this is the database being unreachable
        log.exception("meeting job step failed")
        done, postponed = 0, -1
    sessions = collect_history_step(engine, connection)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    line = (
        f"{stamp} tokens refreshed: {refreshed}, failed: {len(failed)}; "
        f"meeting jobs done: {done}, postponed: {postponed}; {series}; {sessions}"
    )
    for failure in failed:
        log.warning("token refresh failed: %s", failure)
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
    configure_logging()
    stop = threading.Event()

    def loop() -> None:
        for report in run(engine, connection, once=False, interval=interval, stop=stop, kind="embedded"):
            log.info("worker pass: %s", report)

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
            log.exception("worker pass failed")
            report = f"pass failed: {type(err).__name__}: {err}"
        health.record_heartbeat(engine, worker=name, kind=kind, started_at=started, interval=interval, report=report)
        yield report
        if once or stop.wait(interval):
            return
