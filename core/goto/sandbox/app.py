"""The sandbox as one Starlette app: OAuth, meetings API, developer center, controls, fault injection."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware

from core.goto.sandbox import attendance, control, history, meetings, oauth
from core.goto.sandbox.context import SandboxState
from core.goto.sandbox.faults import FaultInjection, Faults
from core.goto.sandbox.ratelimit import RateLimit, RateLimiting
from core.goto.sandbox.store import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Clock, Store, utc_now


def create_app(
    data_dir: Path,
    *,
    clock: Clock = utc_now,
    client_id: str = SANDBOX_CLIENT_ID,
    client_secret: str = SANDBOX_CLIENT_SECRET,
) -> Starlette:
    """The sandbox over `data_dir/sandbox.db`; `clock` lets tests move time (code and token expiry, meeting ends)."""
    moving = history.ShiftedClock(clock)  # POST /_sandbox/clock moves it
    store = Store(data_dir, moving)
    store.ensure_client(client_id, client_secret)
    attendance.ensure_schema(store)
    faults, limit = Faults(), RateLimit.from_env()
    app = Starlette(
        # More endpoints: add a module with its own `routes` list here (its middleware, if any, below).
        routes=[*oauth.routes, *meetings.routes, *history.routes, *control.routes],
        middleware=[Middleware(RateLimiting, limit=limit), Middleware(FaultInjection, faults=faults)],
    )
    app.state.sandbox = SandboxState(store, faults, client_id, client_secret, limit)
    app.state.sandbox_clock = moving
    return app
