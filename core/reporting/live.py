"""Which meetings GoTo reports running on each account: shared, cached briefly, fetched in the background.

Every browser rerun of the Now page reads this cache; only a stale account triggers a GoTo call, made by one
background thread at a time, one account after another (the client paces them). So the page costs GoTo at
most one `GET /upcomingMeetings` per linked account per `ttl`, however many people look at it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.goto import GotoApi, GotoError
from core.kernel.models import utcnow

log = logging.getLogger(__name__)

TTL = 30.0  # seconds a status is fresh


@dataclass(frozen=True)
class Running:
    """A meeting GoTo reports ACTIVE."""

    meeting_id: str
    subject: str


@dataclass(frozen=True)
class AccountLive:
    """What GoTo said about one account, and when (error: it could not be asked)."""

    running: tuple[Running, ...]
    fetched_at: datetime
    error: str = ""


class LiveStatus:
    """The process-wide cache of running meetings per GoTo account."""

    def __init__(self, api: GotoApi, *, ttl: float = TTL, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.api, self.ttl, self._monotonic = api, ttl, monotonic
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, AccountLive]] = {}
        self._wanted: set[str] = set()
        self._worker: threading.Thread | None = None

    def snapshot(self, accounts: list[str], *, wait: float = 0.0) -> dict[str, AccountLive]:
        """The cached status of `accounts`; stale ones are refreshed in the background.

        `wait` seconds are spent (at most) for accounts never fetched yet, so a first look shows real data.
        """
        self._refresh_stale(accounts)
        deadline = self._monotonic() + wait
        while wait > 0 and self._monotonic() < deadline:
            with self._lock:
                missing = [a for a in accounts if a not in self._known]
                worker = self._worker
            if not missing or worker is None:
                break
            worker.join(min(0.05, max(deadline - self._monotonic(), 0)))
        with self._lock:
            return {a: self._known[a][1] for a in accounts if a in self._known}

    def forget(self, account: str) -> None:
        """Drop an account's status (after Room Desk started or ended a meeting on it)."""
        with self._lock:
            self._known.pop(account, None)

    def _refresh_stale(self, accounts: list[str]) -> None:
        now = self._monotonic()
        with self._lock:
            stale = {a for a in accounts if a not in self._known or now - self._known[a][0] >= self.ttl}
            self._wanted |= stale
            if not self._wanted or (self._worker is not None and self._worker.is_alive()):
                return
            self._worker = threading.Thread(target=self._run, name="roomdesk-live-status", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._worker = None
                    return
                account = self._wanted.pop()
            self._store(account, self._fetch(account))

    def _fetch(self, account: str) -> AccountLive:
        try:
            meetings = self.api.upcoming_meetings(account)
        except GotoError as err:
            log.warning("live status of %s unavailable: %s", account, err)
            return AccountLive((), utcnow(), str(err) or type(err).__name__)
        running = tuple(Running(m.meeting_id, m.subject) for m in meetings if m.status == "ACTIVE")
        return AccountLive(running, utcnow())

    def _store(self, account: str, live: AccountLive) -> None:
        with self._lock:
            self._known[account] = (self._monotonic(), live)
