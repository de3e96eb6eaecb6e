"""GoTo's per-API rate limit, enforced by the sandbox when asked to (off by default).

GoTo's "Rate Limiting" reference: "Rate limits are applied per API", "default | 10 requests per second", and
"If you exceed the limit, you will receive a 429 HTTP status code". It documents no Retry-After header, so the
sandbox sends none unless `retry_after` is set. Switch it on with POST /_sandbox/rate-limit
{"per_second": 10, "retry_after": null} (per_second 0 turns it off) or ROOMDESK_SANDBOX_RATE_LIMIT at start.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from core.kernel.config import load_settings

_LIMITED = ("/G2M/rest",)  # the meetings API; OAuth and the sandbox's own controls are not counted


@dataclass
class RateLimit:
    """A sliding one-second window per API; `refused` counts the 429s it answered."""

    per_second: int = 0
    retry_after: int | None = None
    refused: int = 0
    clock: Callable[[], float] = time.monotonic
    _recent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_env(cls) -> RateLimit:
        """ROOMDESK_SANDBOX_RATE_LIMIT, as read by core.kernel.config (0, the default, turns the limit off)."""
        return cls(per_second=load_settings().sandbox_rate_limit)

    def configure(self, data: Any) -> None:
        """Set from the control endpoint's JSON; ValueError names what is wrong."""
        if not isinstance(data, dict) or not isinstance(data.get("per_second", 0), int):
            raise ValueError("per_second must be an integer (0 turns the limit off)")
        retry = data.get("retry_after")
        if retry is not None and (not isinstance(retry, int) or retry < 0):
            raise ValueError("retry_after must be a whole number of seconds or null")
        with self._lock:
            self.per_second, self.retry_after = max(0, int(data.get("per_second", 0))), retry
            self.refused = 0
            self._recent.clear()

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"per_second": self.per_second, "retry_after": self.retry_after, "refused": self.refused}

    def admit(self) -> bool:
        """Whether one more request fits in the last second."""
        with self._lock:
            if self.per_second <= 0:
                return True
            now = self.clock()
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.per_second:
                self.refused += 1
                return False
            self._recent.append(now)
            return True


class RateLimiting:
    """ASGI middleware: a request over the limit is answered 429 before it reaches the API."""

    def __init__(self, app: ASGIApp, limit: RateLimit) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_LIMITED) or self.limit.admit():
            await self.app(scope, receive, send)
            return
        retry = self.limit.retry_after
        headers = {"Retry-After": str(retry)} if retry is not None else {}
        body = {"int_err_code": "TooManyRequests", "msg": "Rate limit exceeded: 10 requests per second per API"}
        await JSONResponse(body, status_code=429, headers=headers)(scope, receive, send)
