"""Server-side sign-in sessions: the browser keeps a random, signed id; the database keeps its hash and lifetime.

Nothing in the cookie grants access by itself or tells anything about the user: the id is 32 random bytes,
signed with a key derived from the installation's secret key so a forged or garbled cookie is refused before
any lookup, and stored only as a SHA-256 hash. A session ends on sign-out, after `idle` without activity,
at its absolute end, or when the user's password, role or active state changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.kernel import audit, crypto
from core.kernel.config import Settings, get_settings
from core.kernel.db import write_lock
from core.kernel.models import SignInSession, User, utcnow

COOKIE = "roomdesk_session"
# Writing last_seen_at on every rerun would turn each click into a write; a minute of slack is harmless.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta


def lifetime(config: Settings | None = None) -> Lifetime:
    """Idle time and absolute lifetime from ROOMDESK_SESSION_IDLE_HOURS / ROOMDESK_SESSION_MAX_DAYS."""
    config = config or get_settings()
    return Lifetime(idle=timedelta(hours=config.session_idle_hours), absolute=timedelta(days=config.session_max_days))


def _signing_keys(config: Settings | None) -> list[bytes]:
    # One derived key per configured secret key, newest first: a key rotation keeps sessions signed before it.
    return [hmac.new(key, b"roomdesk signin session", hashlib.sha256).digest() for key in crypto.load_keys(config)]


def _signature(key: bytes, raw: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, raw.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def hash_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def verified_hash(cookie: str | None, config: Settings | None = None) -> str | None:
    """The stored hash a cookie stands for, if its signature is ours (compared in constant time)."""
    if not cookie or cookie.count(".") != 1:
        return None
    raw, signature = cookie.split(".")
    if not raw or not signature:
        return None
    for key in _signing_keys(config):
        if hmac.compare_digest(_signature(key, raw), signature):
            return hash_id(raw)
    return None


def start_session(
    session: Session,
    *,
    user: User,
    method: str = "password",
    client_address: str = "",
    user_agent: str = "",
    now: datetime | None = None,
    config: Settings | None = None,
) -> str:
    """Record a new session for `user`; returns the cookie value (shown to the browser only, never stored)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            id_hash=hash_id(raw),
            user_id=user.id,  # type: ignore[arg-type]
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime(config).absolute,
            client_address=client_address[:64],
            user_agent=user_agent[:200],
        )
    )
    return f"{raw}.{_signature(_signing_keys(config)[0], raw)}"


def is_live(row: SignInSession, now: datetime, span: Lifetime) -> bool:
    """Not ended, not idle for longer than allowed, and before its absolute end."""
    return row.ended_at is None and now < row.expires_at and now - row.last_seen_at < span.idle


def resume_session(
    session: Session, cookie: str | None, *, now: datetime | None = None, config: Settings | None = None
) -> tuple[User, SignInSession] | None:
    """The active user of a live session, and the session (its activity noted); None otherwise."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    id_hash = verified_hash(cookie, config)
    if id_hash is None:
        return None
    now = now or utcnow()
    row = session.get(SignInSession, id_hash)
    if row is None:
        return None
    if not is_live(row, now, lifetime(config)):
        if row.ended_at is None:
            row.ended_at, row.ended_reason = now, "expired"
            session.add(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return user, row


def end_session(
    session: Session, cookie: str | None, *, reason: str = "signed_out", now: datetime | None = None
) -> None:
    """Sign-out: the session is over on the server, whatever the browser still holds."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    id_hash = verified_hash(cookie)
    row = session.get(SignInSession, id_hash) if id_hash else None
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_reason = now or utcnow(), reason
        session.add(row)


def end_user_sessions(
    session: Session, *, user_id: int, reason: str, keep: str | None = None, now: datetime | None = None
) -> int:
    """End every open session of a user except the one whose cookie is `keep`; the number ended."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    keep_hash = verified_hash(keep) if keep else None
    rows = session.exec(
        select(SignInSession).where(SignInSession.user_id == user_id, col(SignInSession.ended_at).is_(None))
    ).all()
    ended = 0
    for row in rows:
        if row.id_hash != keep_hash:
            row.ended_at, row.ended_reason = now or utcnow(), reason
            session.add(row)
            ended += 1
    return ended


@dataclass(frozen=True)
class SessionView:
    """What My settings lists: never the id or its hash, only a short reference and the facts."""

    ref: str
    method: str
    created_at: datetime
    last_seen_at: datetime
    client_address: str
    user_agent: str
    current: bool


def list_sessions(
    session: Session, *, user: User, current: str | None = None, now: datetime | None = None
) -> list[SessionView]:
    """The user's live sessions, newest activity first."""
    now, span = now or utcnow(), lifetime()
    current_hash = verified_hash(current) if current else None
    rows = session.exec(
        select(SignInSession)
        .where(SignInSession.user_id == user.id, col(SignInSession.ended_at).is_(None))
        .order_by(col(SignInSession.last_seen_at).desc())
    ).all()
    return [
        SessionView(
            ref=row.id_hash[:8],
            method=row.method,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            client_address=row.client_address,
            user_agent=row.user_agent,
            current=row.id_hash == current_hash,
        )
        for row in rows
        if is_live(row, now, span)
    ]


def sign_out_everywhere(session: Session, *, user: User, now: datetime | None = None) -> int:
    """The user ends all their sessions, this one included; the number ended."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    ended = end_user_sessions(session, user_id=user.id, reason="signed_out_everywhere", now=now)  # type: ignore[arg-type]
    audit.record(session, actor=user, action="session.sign_out_everywhere", entity="user", entity_id=user.id,
                 after={"ended": ended})  # fmt: skip
    return ended
