"""Linking rooms to their GoTo accounts (OAuth code flow with PKCE) and keeping the tokens fresh."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from core.access import addon
from core.access.external_access import current_token, get_external_access
from core.access.permissions import may_book, may_manage, require_role
from core.goto import GotoApi, GotoError, GotoOAuthError, TokenSet
from core.goto.stored_tokens import OAuthClient
from core.kernel import audit, crypto
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, PermissionDenied, RoomDeskError
from core.kernel.models import OAuthState, Role, Room, RoomLink, User, utcnow
from core.meetings import jobs as meetings

STATE_LIFETIME = timedelta(minutes=10)
WORKER_AHEAD = timedelta(minutes=10)  # the worker refreshes what expires within this


class LinkFailed(RoomDeskError):
    key = "error.link_failed"


@dataclass(frozen=True)
class LinkStatus:
    room_id: int
    status: str  # not_linked | linked | needs_relinking
    email: str | None = None
    expires_at: datetime | None = None
    last_refresh_at: datetime | None = None
    last_error: str = ""


@dataclass(frozen=True)
class PendingLink:
    """A claimed, valid state: who started linking which room, and how to finish the code exchange."""

    user_id: int
    room_id: int
    redirect_uri: str
    code_verifier: str


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def link_statuses(session: Session, room_ids: list[int]) -> dict[int, LinkStatus]:
    """The link state of each room (no token ever leaves this function)."""
    links = {link.room_id: link for link in session.exec(select(RoomLink).where(RoomLink.room_id.in_(room_ids)))}
    return {
        rid: LinkStatus(
            rid,
            links[rid].status,
            links[rid].email,
            links[rid].expires_at,
            links[rid].last_refresh_at,
            links[rid].last_error,
        )
        if rid in links
        else LinkStatus(rid, "not_linked")
        for rid in room_ids
    }


def start_linking(
    session: Session, *, user: User, room_id: int, oauth: OAuthClient, now: datetime | None = None
) -> str:
    """The GoTo authorize URL for this room; the state is stored (hashed), single use, bound to user and room."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound("error.room_unknown", room=room_id)
    if not may_manage(session, user, room_id):
        raise PermissionDenied("error.room_manage_denied", room=room.name)
    addon.ensure_may_use_goto(session, user)  # linking is a GoTo feature (authorized groups)
    if not room.goto_account:
        raise LinkFailed("error.link_no_account", room=room.name)
    access = get_external_access(session)
    if access.redirect_url is None:
        raise LinkFailed("error.link_no_redirect")
    now = now or utcnow()
    state, verifier = crypto.new_token(32), crypto.new_token(48)
    session.add(
        OAuthState(
            state_hash=_hash(state),
            user_id=user.id,
            room_id=room_id,
            code_verifier=crypto.encrypt(verifier),
            redirect_uri=access.redirect_url,
            created_at=now,
            expires_at=now + STATE_LIFETIME,
        )
    )
    audit.record(session, actor=user, action="room.link_started", entity="room", entity_id=room_id)
    return oauth.authorize_url(access.redirect_url, state, verifier, login_hint=room.goto_account)


def claim_state(session: Session, *, token: str, state: str, now: datetime | None = None) -> PendingLink:
    """Check the callback's token (constant time) and use up its state; the caller commits this at once."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    expected = current_token(session)
    if not token or expected is None or not crypto.same_secret(token, expected):
        raise LinkFailed("error.link_bad_token")
    row = session.get(OAuthState, _hash(state)) if state else None
    if row is None:
        raise LinkFailed("error.link_state_unknown")
    now = now or utcnow()
    used = session.execute(
        sa.update(OAuthState)
        .where(OAuthState.state_hash == row.state_hash, OAuthState.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # a conditional update, so two tabs racing with one state cannot both win
        raise LinkFailed("error.link_state_used")
    if row.expires_at <= now:
        raise LinkFailed("error.link_state_expired")
    return PendingLink(row.user_id, row.room_id, row.redirect_uri, crypto.decrypt(row.code_verifier))


def finish_linking(
    session: Session, *, pending: PendingLink, code: str | None, error: str | None, oauth: OAuthClient
) -> Room:
    """Exchange the code, check the account is the room's, store the encrypted tokens."""
    room = session.get(Room, pending.room_id)
    starter = session.get(User, pending.user_id)
    if room is None or starter is None:
        raise LinkFailed("error.link_state_unknown")
    if error:
        raise LinkFailed("error.link_denied" if error == "access_denied" else "error.link_goto_error", detail=error)
    if not code:
        raise LinkFailed("error.link_no_code")
    access_user = session.get(User, get_external_access(session).access_user_id or -1)
    if access_user is None or not may_book(session, access_user, room.id):  # type: ignore[arg-type]
        raise LinkFailed("error.link_access_user", room=room.name)
    try:
        tokens = oauth.exchange_code(code, pending.redirect_uri, pending.code_verifier)
    except GotoOAuthError as err:
        raise LinkFailed("error.link_code_rejected", detail=str(err)) from err
    except GotoError as err:
        raise LinkFailed("error.link_goto_down", detail=str(err)) from err
    # GoTo names the signed-in user only in the token answer's `principal` ("Who the token represents"); e-mail
    # addresses are compared case-insensitively, as GoTo's sign-in treats them.
    if not tokens.account:
        raise LinkFailed("error.link_no_principal", account=room.goto_account, room=room.name)
    if tokens.account != (room.goto_account or "").strip().lower():
        raise LinkFailed(
            "error.link_wrong_account", email=tokens.principal.strip(), account=room.goto_account, room=room.name
        )
    write_lock(session)  # GoTo answered: now the lock for the writes (never held across the exchange above)
    link = session.get(RoomLink, room.id) or RoomLink(
        room_id=room.id,
        email="",
        access_token="",
        refresh_token="",
        expires_at=tokens.expires_at,
    )
    _store_tokens(link, tokens)
    link.status, link.linked_at, link.linked_by_id, link.last_error = "linked", utcnow(), starter.id, ""
    session.add(link)
    planned = meetings.plan_for_room(session, room.id)  # type: ignore[arg-type]  # room.id is set once the room is stored; upcoming bookings get meetings
    audit.record(
        session,
        actor=starter,
        effective_user=access_user,
        action="room.linked",
        entity="room",
        entity_id=room.id,
        after={"email": link.email, "expires_at": link.expires_at.isoformat(), "meetings_planned": planned},
    )
    return room


def _store_tokens(link: RoomLink, tokens: TokenSet) -> None:
    link.email = tokens.account
    # GoTo's token answer no longer names organizer or account keys; nothing in Room Desk needs them.
    link.account_key, link.organizer_key = "", ""
    link.access_token = crypto.encrypt(tokens.access_token)
    link.refresh_token = crypto.encrypt(tokens.refresh_token)
    link.expires_at = tokens.expires_at


def test_connection(session: Session, *, user: User, room_id: int, api: GotoApi) -> int:
    """Call GoTo with the room's tokens (GET /upcomingMeetings); the number of upcoming meetings."""
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound("error.room_unknown", room=room_id)
    if not may_manage(session, user, room_id):
        raise PermissionDenied("error.room_manage_denied", room=room.name)
    if session.get(RoomLink, room_id) is None or not room.goto_account:
        raise LinkFailed("error.link_not_linked")
    try:
        return len(api.upcoming_meetings(room.goto_account))
    except GotoError as err:
        raise LinkFailed("error.link_test_failed", room=room.name, detail=str(err)) from err


def unlink(session: Session, *, user: User, room_id: int) -> None:
    """Admins only: forget the room's tokens (GoTo keeps nothing of ours to revoke)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    link = session.get(RoomLink, room_id)
    if link is None:
        raise NotFound("error.link_not_linked")
    audit.record(
        session,
        actor=user,
        action="room.unlinked",
        entity="room",
        entity_id=room_id,
        before={"email": link.email, "status": link.status},
    )
    session.delete(link)
