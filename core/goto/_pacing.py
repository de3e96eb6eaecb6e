"""Client-side pacing of GoTo calls: one schedule per GoTo client, shared by every thread of the process.

GoTo's "Rate Limiting" reference: "Each API has a maximum number of requests that can be made in a given time
interval ... The error response with return a 429 HTTP status code. Rate limits are applied per API", with one
published figure, "default | 10 requests per second". It documents no rate-limit headers and no Retry-After;
when a 429 does carry Retry-After, every thread waits it out, not just the one that was refused.

Requests are spaced `1 / rate` apart (a GCRA with a burst of one), so any sliding second holds at most `rate + 1`
of them: the default rate of 8 stays within GoTo's 10 even when the network delays one request and not the next. A user's save goes before bulk work (the worker, imports,
reconcile): bulk work may only reserve the very next slot, so a save waits behind at most one bulk request.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)

USER, BULK = "user", "bulk"
_priority: contextvars.ContextVar[str] = contextvars.ContextVar("goto_priority", default=USER)


@contextmanager
def bulk_work() -> Iterator[None]:
    """GoTo calls made inside this block (in this thread or task) yield to users' saves."""
    token = _priority.set(BULK)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> str:
    """USER unless inside `bulk_work()`."""
    return _priority.get()


@dataclass(frozen=True)
class PacingStats:
    """What the pacer did so far, for progress reports and benchmarks."""

    sent: int
    waited_seconds: float
    bulk_waiting: int
    held_until: float  # monotonic moment until which GoTo asked us to wait (0: not held)


class Pacer:
    """Hands out send slots; `rate` requests per second (0: unpaced, only Retry-After holds apply)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = 0.0  # the earliest moment the next request may be sent
        self._held_until = 0.0
        self._users_waiting = 0
        self._bulk_waiting = 0
        self._sent = 0
        self._waited = 0.0

    def wait_turn(self, priority: str | None = None, *, ignore_hold: bool = False) -> float:
        """Block until this request may be sent; the seconds waited (`ignore_hold`: the caller waited it out)."""
        priority = priority or current_priority()
        waited = 0.0
        with self._lock:
            if priority == USER:
                self._users_waiting += 1
            else:
                self._bulk_waiting += 1
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    start = max(self._next, 0.0 if ignore_hold else self._held_until, now)
                    # Bulk work takes only a slot that is (almost) due and never one a waiting user could have.
                    if priority == USER or (self._users_waiting == 0 and start - now <= self.interval):
                        self._next = start + self.interval
                        self._sent += 1
                        delay = start - now
                        self._waited += delay
                        break
                    pause = max(self.interval, 0.005, min(start - now, 0.25))
                self._sleep(pause)
                waited += pause
            if delay > 0:
                self._sleep(delay)
            return waited + delay
        finally:
            with self._lock:
                if priority == USER:
                    self._users_waiting -= 1
                else:
                    self._bulk_waiting -= 1

    def hold(self, seconds: float) -> None:
        """GoTo asked everyone to wait (429 with Retry-After, or a backoff after a 429): no slot before then."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if until > self._held_until:
                self._held_until = until
                log.info("GoTo asked to slow down: holding every request for %.1f s", seconds)

    def stats(self) -> PacingStats:
        """Counters so far."""
        with self._lock:
            held = self._held_until if self._held_until > self._clock() else 0.0
            return PacingStats(self._sent, self._waited, self._bulk_waiting, held)
