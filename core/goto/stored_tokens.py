"""Stored GoTo tokens: decrypted on use, refreshed ahead of expiry, one refresh per account at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.goto import GotoAuthExpired, GotoError, TokenSet
from core.kernel import audit, crypto
from core.kernel.db import session_scope
from core.kernel.models import Room, RoomLink, utcnow

REFRESH_AHEAD = timedelta(minutes=5)


class OAuthClient(Protocol):
    def authorize_url(self, redirect_uri: str, state: str, code_verifier: str) -> str: ...
    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet: ...
    def refresh(self, refresh_token: str) -> TokenSet: ...


class NotLinked(GotoAuthExpired):
    """The room has no stored link (never linked, or unlinked)."""


@dataclass(frozen=True)
class RefreshOutcome:
    room: str
    ok: bool
    detail: str = ""


class StoredTokens:
    """The TokenSource the GoTo client uses in Room Desk: tokens live encrypted in the database."""

    def __init__(
        self, engine: Engine, oauth: OAuthClient | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine, self.oauth, self.clock = engine, oauth, clock

    def access_token(self, account: str) -> str:
        with session_scope(self.engine) as session:
            link = _link_for(session, account)
            token, fresh = crypto.decrypt(link.access_token), link.expires_at - self.clock() > REFRESH_AHEAD
        return token if fresh else self._refresh(account, stale=token)

    def refreshed_access_token(self, account: str, rejected: str) -> str:
        return self._refresh(account, stale=rejected)

    def _refresh(self, account: str, *, stale: str | None, ahead: timedelta = REFRESH_AHEAD) -> str:
        """Refresh under a lock held across processes; whoever waited reuses the token just obtained."""
        if self.oauth is None:
            raise GotoError("no OAuth client configured for token refresh")
        try:
            with session_scope(self.engine, immediate=True) as session:  # BEGIN IMMEDIATE on SQLite
                link = _link_for(session, account, lock=True)  # SELECT ... FOR UPDATE on PostgreSQL
                current = crypto.decrypt(link.access_token)
                if current != stale and link.expires_at - self.clock() > ahead:
                    return current  # another thread or process refreshed while we waited for the lock
                tokens = self.oauth.refresh(crypto.decrypt(link.refresh_token))
                link.access_token, link.expires_at = crypto.encrypt(tokens.access_token), tokens.expires_at
                link.refresh_token = crypto.encrypt(tokens.refresh_token)
                link.last_refresh_at, link.last_error, link.refresh_count = self.clock(), "", link.refresh_count + 1
                session.add(link)
                return tokens.access_token
        except GotoAuthExpired as err:
            if getattr(err, "needs_relinking", False) and not isinstance(err, NotLinked):
                self._mark_needs_relinking(account, str(err))
            raise
        except GotoError as err:
            self._note_error(account, str(err))
            raise

    def _mark_needs_relinking(self, account: str, detail: str) -> None:
        with session_scope(self.engine) as session:
            link = _link_for(session, account)
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


def _link_for(session, account: str, *, lock: bool = False) -> RoomLink:  # type: ignore[no-untyped-def]
    query = select(RoomLink).join(Room, Room.id == RoomLink.room_id).where(Room.goto_account == account.lower())
    link = session.exec(query.with_for_update() if lock else query).first()
    if link is None:
        raise NotLinked(f"the GoTo account {account} is not linked")
    if link.status == "needs_relinking":
        raise NotLinked(f"the GoTo account {account} needs relinking")
    return link
