"""Faults on demand: the next N matching calls answer 429 or 5xx, stall, or hand out a new refresh token."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import asdict, dataclass
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_KINDS = ("429", "500", "502", "503", "504", "stall")
# A refresh answer leaves out the refresh token unless GoTo renewed it, so "new_refresh_token" forces a renewal;
# "omit_refresh_token" (the default answer now) is kept so older scripts stay valid.
KINDS = (*HTTP_KINDS, "new_refresh_token", "omit_refresh_token")
_UNTOUCHED = ("/_sandbox", "/developer")  # the controls themselves never fail
_DEFAULT_PREFIX = {"new_refresh_token": "/oauth/token", "omit_refresh_token": "/oauth/token"}


@dataclass
class Fault:
    """One queued fault; `remaining` counts down per matching call."""

    kind: str
    remaining: int = 1
    retry_after: int = 1
    stall_seconds: float = 30.0
    path_prefix: str = "/G2M/rest"


def parse_fault(data: Any) -> Fault:
    """A Fault from the control endpoint's JSON; ValueError names what is wrong."""
    if not isinstance(data, dict) or str(data.get("kind")) not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    try:
        fault = Fault(
            kind=str(data["kind"]),
            remaining=int(data.get("count", 1)),
            retry_after=int(data.get("retry_after", 1)),
            stall_seconds=float(data.get("stall_seconds", 30.0)),
            path_prefix=str(data.get("path_prefix") or _DEFAULT_PREFIX.get(str(data["kind"]), "/G2M/rest")),
        )
    except (TypeError, ValueError) as err:
        raise ValueError("count and retry_after must be integers, stall_seconds a number") from err
    if fault.remaining < 1 or fault.retry_after < 0 or fault.stall_seconds < 0:
        raise ValueError("count must be at least 1; retry_after and stall_seconds not negative")
    return fault


class Faults:
    """The queue of pending faults (in memory: a restarted sandbox starts healthy)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind those already pending."""
        with self._lock:
            self._queue.append(fault)

    def reset(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._queue.clear()

    def pending(self) -> list[dict[str, Any]]:
        """The pending faults, as JSON-able dicts."""
        with self._lock:
            return [asdict(f) for f in self._queue]

    def take(self, path: str, kinds: tuple[str, ...]) -> Fault | None:
        """Use up one call of the first pending fault of these kinds that matches `path`."""
        with self._lock:
            for fault in self._queue:
                if fault.kind in kinds and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    return fault
        return None


class FaultInjection:
    """ASGI middleware: refused calls never reach the app; a stalled call is executed, only its answer is late."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_UNTOUCHED):
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["path"], HTTP_KINDS)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "stall":
            # Executing first models the worst case for a client: the work is done, the answer never arrives.
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(fault.stall_seconds)
            for message in held:
                await send(message)
        else:
            status = int(fault.kind)
            headers = {"Retry-After": str(fault.retry_after)} if status == 429 else {}
            body = {
                "int_err_code": "TooManyRequests" if status == 429 else "ServerError",
                "msg": "Rate limit exceeded" if status == 429 else "Internal server error (sandbox fault)",
            }
            await JSONResponse(body, status_code=status, headers=headers)(scope, receive, send)
