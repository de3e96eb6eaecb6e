"""`roomdesk worker`: the background loop. Each pass runs every job once and reports what it did."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine

from core.connect import GotoConnection

TOKEN_HORIZON = timedelta(minutes=10)


def run_pass(engine: Engine, connection: GotoConnection) -> str:
    """One pass over every job; returns a one-line report."""
    outcomes = connection.tokens.refresh_expiring(TOKEN_HORIZON)
    failed = [f"{o.room}: {o.detail}" for o in outcomes if not o.ok]
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    line = f"{stamp} tokens refreshed: {sum(o.ok for o in outcomes)}, failed: {len(failed)}"
    return line + ("".join(f"\n  {f}" for f in failed))


def run(engine: Engine, connection: GotoConnection, *, once: bool, interval: float,
        stop: threading.Event | None = None) -> Iterator[str]:
    """Pass after pass until stopped (or a single pass with once=True)."""
    stop = stop or threading.Event()
    while True:
        yield run_pass(engine, connection)
        if once or stop.wait(interval):
            return
