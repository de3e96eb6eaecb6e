"""Stored GoTo tokens: decrypted on use, refreshed ahead of expiry, one refresh per account at a time.

A refresh is claimed with a lease on the room's link (a conditional UPDATE, committed at once), GoTo is called with
no transaction open, and the answer is committed in a second short transaction. Saves never wait for GoTo's token
endpoint (its retries and Retry-After pauses can take a minute); another thread or process that needs the same
account waits for the lease and then uses the token just obtained.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.goto import GotoAuthExpired, GotoError, TokenSet
from core.kernel import audit, crypto
from core.kernel.db import session_scope
from core.kernel.models import Room, RoomLink, utcnow

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(minutes=5)
# Longer than one refresh can take (connect + read timeouts, four retries, a Retry-After of up to 30 s).
LEASE = timedelta(minutes=3)


class OAuthClient(Protocol):
    def authorize_url(self, redirect_uri: str, state: str, code_verifier: str, login_hint: str = "") -> str: ...
    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet: ...
    def refresh(self, refresh_token: str) -> TokenSet: ...


class NotLinked(GotoAuthExpired):
    """The room has no stored link (never linked, or unlinked)."""


@dataclass(frozen=True)
class RefreshOutcome:
    room: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class _Claim:
    owner: str
    refresh_token: str


class StoredTokens:
    """The TokenSource the GoTo client uses in Room Desk: tokens live encrypted in the database."""

    def __init__(
        self,
        engine: Engine,
        oauth: OAuthClient | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine, self.oauth, self.clock, self.sleep = engine, oauth, clock, sleep
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def access_token(self, account: str) -> str:
        with session_scope(self.engine) as session:
            link = _link_for(session, account)
            token, fresh = crypto.decrypt(link.access_token), link.expires_at - self.clock() > REFRESH_AHEAD
        return token if fresh else self._refresh(account, stale=token)

    def refreshed_access_token(self, account: str, rejected: str) -> str:
        return self._refresh(account, stale=rejected)

    def _lock(self, account: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(account.lower(), threading.Lock())

    def _refresh(self, account: str, *, stale: str | None, ahead: timedelta = REFRESH_AHEAD) -> str:
        """Refresh once per account across threads (a lock) and processes (the lease); waiters reuse the result."""
        if self.oauth is None:
            raise GotoError("no OAuth client configured for token refresh")
        with self._lock(account):  # threads of this process queue here instead of polling the database
            pause = 0.05
            while True:
                claim, current = self._claim(account, stale=stale, ahead=ahead)
                if current is not None:
                    return current  # someone refreshed while we waited
                if claim is not None:
                    return self._run_refresh(account, claim)
                self.sleep(pause)  # another process holds the lease: wait for its answer
                pause = min(pause * 2, 0.5)

    def _claim(self, account: str, *, stale: str | None, ahead: timedelta) -> tuple[_Claim | None, str | None]:
        """(our claim, None), or (None, a token someone else just obtained), or (None, None) while leased."""
        now = self.clock()
        with session_scope(self.engine, immediate=True) as session:
            link = _link_for(session, account)
            current = crypto.decrypt(link.access_token)
            if current != stale and link.expires_at - now > ahead:
                return None, current
            if link.refresh_lease_until is not None and link.refresh_lease_until > now:
                return None, None
            owner = uuid.uuid4().hex
            taken = session.execute(
                sa.update(RoomLink)
                .where(
                    RoomLink.room_id == link.room_id,
                    RoomLink.refresh_lease_owner == link.refresh_lease_owner,
                    RoomLink.status == "linked",
                )
                .values(refresh_lease_owner=owner, refresh_lease_until=now + LEASE)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None, None
            return _Claim(owner, crypto.decrypt(link.refresh_token)), None

    def _run_refresh(self, account: str, claim: _Claim) -> str:
        """Call GoTo with no transaction open, then store what it answered (or why it failed)."""
        assert self.oauth is not None
        try:
            tokens = self.oauth.refresh(claim.refresh_token)
        except GotoAuthExpired as err:
            self._release(account, claim)
            if getattr(err, "needs_relinking", False) and not isinstance(err, NotLinked):
                self._mark_needs_relinking(account, claim, str(err))
            raise
        except GotoError as err:
            self._release(account, claim)
            self._note_error(account, str(err))
            log.warning("GoTo token refresh failed for %s: %s", account, err)
            raise
        except BaseException:
            self._release(account, claim)
            raise
        with session_scope(self.engine, immediate=True) as session:
            link = _link_for(session, account)
            if link.refresh_lease_owner != claim.owner and not tokens.refresh_rotated:
                log.info("refresh lease of %s expired before GoTo answered; the newer tokens stay", account)
            link.access_token, link.expires_at = crypto.encrypt(tokens.access_token), tokens.expires_at
            if tokens.refresh_rotated:  # GoTo renewed it; the old one no longer works
                link.refresh_token = crypto.encrypt(tokens.refresh_token)
            link.last_refresh_at, link.last_error, link.refresh_count = self.clock(), "", link.refresh_count + 1
            link.refresh_lease_owner, link.refresh_lease_until = "", None
            session.add(link)
        return tokens.access_token

    def _release(self, account: str, claim: _Claim) -> None:
        with session_scope(self.engine, immediate=True) as session:
            session.execute(
                sa.update(RoomLink)
                .where(RoomLink.refresh_lease_owner == claim.owner)
                .values(refresh_lease_owner="", refresh_lease_until=None)
            )

    def _mark_needs_relinking(self, account: str, claim: _Claim, detail: str) -> None:
        """GoTo refused the refresh token we sent; unless the account was linked anew meanwhile (another tab, or
        another process that refreshed first), the room needs relinking. Checked and written under one lock, so
        a fresh link is never marked broken by a late answer about the old one."""
        with session_scope(self.engine, immediate=True) as session:
            try:
                link = _link_for(session, account, lock=True)
            except NotLinked:
                return  # unlinked or already marked meanwhile: nothing to add
            if crypto.decrypt(link.refresh_token) != claim.refresh_token:
                log.info("GoTo refused an old refresh token of %s; the account was linked anew, it stays", account)
                return
            link.status, link.last_error = "needs_relinking", detail[:500]
            session.add(link)
            audit.record(
                session,
                actor=None,
                action="room.needs_relinking",
                entity="room",
                entity_id=link.room_id,
                after={"error": detail[:200]},
            )

    def _note_error(self, account: str, detail: str) -> None:
        with session_scope(self.engine) as session:
            link = _link_for(session, account)
            link.last_error = detail[:500]
            session.add(link)

    def refresh_expiring(self, within: timedelta) -> list[RefreshOutcome]:
        """Refresh every linked account whose token expires within `within` (the worker's job)."""
        with session_scope(self.engine) as session:
            due = session.exec(
                select(Room.name, Room.goto_account)
                .join(RoomLink, RoomLink.room_id == Room.id)
                .where(RoomLink.status == "linked", RoomLink.expires_at < self.clock() + within)
            ).all()
        outcomes = []
        for name, account in due:
            try:
                self._refresh(account, stale=None, ahead=within)
                outcomes.append(RefreshOutcome(name, True))
            except GotoError as err:
                outcomes.append(RefreshOutcome(name, False, str(err)))
        return outcomes


def _link_for(session, account: str, *, lock: bool = False) -> RoomLink:
    query = select(RoomLink).join(Room, Room.id == RoomLink.room_id).where(Room.goto_account == account.lower())
    link = session.exec(query.with_for_update() if lock else query).first()
    if link is None:
        raise NotLinked(f"the GoTo account {account} is not linked")
    if link.status == "needs_relinking":
        raise NotLinked(f"the GoTo account {account} needs relinking")
    return link
