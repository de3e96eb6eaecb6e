"""Local accounts: argon2 password hashes, sign-in (throttled, audited), passwords and one-time reset links."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.access import sessions, settings, throttle
from core.access.permissions import require_role
from core.kernel import audit
from core.kernel.db import session_scope, write_lock
from core.kernel.errors import NotFound, RoomDeskError, SignInFailed, ValidationFailed
from core.kernel.i18n import LANGUAGES
from core.kernel.models import GROUP_ALL, GROUP_NONE, Group, Membership, PasswordReset, Role, User, utcnow

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer time the same either way.
_DUMMY_HASH = _hasher.hash("no such user")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD = 10
DEMO_PASSWORD = "roomdesk-demo"  # the demo's sign-ins; refused on any installation that is not the demo
RESET_VALID = timedelta(hours=24)
# Groups whose meaning is fixed: everybody is in "All" implicitly, nobody may be in "None".
NO_MEMBERS = (GROUP_ALL, GROUP_NONE)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str, username: str = "", *, demo: bool = False) -> RoomDeskError | None:
    """Why a new password is not good enough, or None: long enough, not repetitive, not the user name."""
    if len(password) < MIN_PASSWORD:
        return RoomDeskError("error.password_short", field="password", min=MIN_PASSWORD)
    lowered = password.lower()
    weak = len(set(password)) < 5 or (username and username.lower() in lowered)
    if weak or (lowered == DEMO_PASSWORD and not demo):
        return RoomDeskError("error.password_weak", field="password")
    return None


def is_demo_installation(session: Session) -> bool:
    return bool(settings.get_value(session, settings.DEMO_SEEDED, False))


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password; one vague error for every failure."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise SignInFailed() from None
    if user is None or not user.active or not user.password_hash:
        raise SignInFailed()
    if password == DEMO_PASSWORD and not is_demo_installation(session):
        raise SignInFailed()  # a demo account copied into a real installation must not open it
    return user


@dataclass(frozen=True)
class SignedIn:
    user: User
    cookie: str  # the browser's session cookie value; never stored


def sign_in(
    engine: Engine,
    *,
    username: str,
    password: str,
    client_address: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> SignedIn:
    """Check the password (throttled per user name and address), record and audit the try, start a session.

    Owns its transaction: a failed try is committed too, or throttling could never count it.
    """
    now, name = now or utcnow(), username.strip().lower()[:80]
    address = client_address or "local"
    outcome: RoomDeskError | None = None
    with session_scope(engine, immediate=True) as session:
        try:
            throttle.check(session, username=name, client_address=address, now=now)
            user = authenticate(session, name, password)
        except throttle.SignInThrottled as err:
            outcome = err
            _audit_sign_in(session, None, name, address, "user.sign_in_throttled")
        except SignInFailed as err:
            outcome = err
            throttle.record(session, username=name, client_address=address, succeeded=False, now=now)
            _audit_sign_in(session, None, name, address, "user.sign_in_failed")
        else:
            throttle.record(session, username=name, client_address=address, succeeded=True, now=now)
            _audit_sign_in(session, user, name, address, "user.sign_in")
            cookie = sessions.start_session(session, user=user, client_address=address, user_agent=user_agent, now=now)
    if outcome is not None:
        raise outcome
    return SignedIn(user=user, cookie=cookie)


def sign_in_with_provider(engine: Engine, *, user: User, client_address: str = "", user_agent: str = "") -> str:
    """A server session for a person the identity provider vouched for (already matched to `user`)."""
    with session_scope(engine) as session:
        _audit_sign_in(session, user, user.username, client_address or "local", "user.sign_in_sso")
        return sessions.start_session(
            session, user=user, method="sso", client_address=client_address or "local", user_agent=user_agent
        )


def _audit_sign_in(session: Session, user: User | None, name: str, address: str, action: str) -> None:
    found = user or session.exec(select(User).where(User.username == name)).first()
    audit.record(
        session,
        actor=user,
        action=action,
        entity="user",
        entity_id=found.id if found else None,
        after={"username": name, "client_address": address},
    )


def _set_password(session: Session, user: User, password: str, *, keep: str | None, now: datetime) -> None:
    user.password_hash = hash_password(password)
    session.add(user)
    sessions.end_user_sessions(session, user_id=user.id, reason="password_changed", keep=keep, now=now)  # type: ignore[arg-type]


def change_password(
    session: Session, *, user: User, current: str, new: str, keep: str | None = None, now: datetime | None = None
) -> None:
    """The user's own change: the current password is required; every other session of theirs ends."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    row = get_user(session, user.id)  # type: ignore[arg-type]
    try:
        _hasher.verify(row.password_hash or _DUMMY_HASH, current)
    except (VerificationError, InvalidHashError):
        raise ValidationFailed([RoomDeskError("error.password_current_wrong", field="current")]) from None
    if problem := password_problem(new, row.username):
        raise ValidationFailed([problem])
    _set_password(session, row, new, keep=keep, now=now or utcnow())
    audit.record(session, actor=row, action="user.password_changed", entity="user", entity_id=row.id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset_link(session: Session, *, actor: User | None, user_id: int, now: datetime | None = None) -> str:
    """A one-time set-password token for `user_id` (admins only); earlier unused tokens stop working."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    if actor is not None:  # None: the server's command line, whose operator owns the installation
        require_role(actor, Role.admin)
    now = now or utcnow()
    user = get_user(session, user_id)
    for old in session.exec(
        select(PasswordReset).where(PasswordReset.user_id == user_id, col(PasswordReset.used_at).is_(None))
    ):
        old.used_at = now
        session.add(old)
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            token_hash=_token_hash(token),
            user_id=user_id,
            created_by_id=actor.id if actor else None,
            created_at=now,
            expires_at=now + RESET_VALID,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="user.reset_link",
        entity="user",
        entity_id=user.id,
        after={"valid_until": (now + RESET_VALID).isoformat()},
    )
    return token


def reset_link_user(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """Whose password an unused, unexpired token may set; None for any other token."""
    row = session.get(PasswordReset, _token_hash(token)) if token else None
    if row is None or row.used_at is not None or (now or utcnow()) >= row.expires_at:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def set_password_with_link(session: Session, *, token: str, new: str, now: datetime | None = None) -> User:
    """Use a reset link once: set the password, end every session of that user."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    now = now or utcnow()
    user = reset_link_user(session, token, now=now)
    if user is None:
        raise RoomDeskError("error.reset_link_invalid")
    if problem := password_problem(new, user.username):
        raise ValidationFailed([problem])
    row = session.get(PasswordReset, _token_hash(token))
    row.used_at = now  # type: ignore[union-attr]
    session.add(row)
    _set_password(session, user, new, keep=None, now=now)
    audit.record(session, actor=user, action="user.password_reset", entity="user", entity_id=user.id)
    return user


def add_user(
    session: Session,
    *,
    username: str,
    password: str | None,
    role: str,
    display_name: str = "",
    email: str | None = None,
    groups: tuple[str, ...] = (),
    actor: User | None = None,
    time_zone: str = "Europe/Berlin",
    language: str | None = None,
) -> User:
    """Create a local user in the named groups; every wrong field is reported at once."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    username = username.strip().lower()
    problems: list[RoomDeskError] = []
    if not USERNAME.match(username):
        problems.append(RoomDeskError("error.username_invalid", field="username"))
    elif session.exec(select(User).where(User.username == username)).first():
        problems.append(RoomDeskError("error.username_taken", field="username", username=username))
    if role not in {r.value for r in Role}:
        problems.append(
            RoomDeskError("error.role_invalid", field="role", role=role, roles=", ".join(r.value for r in Role))
        )
    if password is not None and (problem := password_problem(password, username, demo=is_demo_installation(session))):
        problems.append(problem)
    if language is not None and language not in LANGUAGES:
        problems.append(RoomDeskError("error.language_invalid", field="language"))
    if time_zone not in available_timezones():
        problems.append(RoomDeskError("error.time_zone_invalid", field="time_zone", zone=time_zone))
    found = {g.name: g for g in session.exec(select(Group).where(Group.name.in_(groups)))} if groups else {}
    for name in groups:
        if name not in found:
            problems.append(RoomDeskError("error.group_unknown", field="groups", group=name))
        elif name in NO_MEMBERS:
            problems.append(RoomDeskError("error.group_no_members", field="groups", group=name))
    if problems:
        raise ValidationFailed(problems)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        email=email,
        role=role,
        password_hash=hash_password(password) if password else None,
        time_zone=time_zone,
        language=language,
    )
    session.add(user)
    session.flush()
    for group in found.values():
        session.add(Membership(user_id=user.id, group_id=group.id))
    audit.record(
        session,
        actor=actor,
        action="user.add",
        entity="user",
        entity_id=user.id,
        after=audit.snapshot(user) | {"groups": sorted(found)},
    )
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("error.user_unknown")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).where(User.active).order_by(User.display_name)))


def set_preferences(session: Session, *, user: User, language: str | None, time_zone: str) -> User:
    """Save the user's own language and time zone."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed([RoomDeskError("error.language_invalid", field="language")])
    if time_zone not in available_timezones():
        raise ValidationFailed([RoomDeskError("error.time_zone_invalid", field="time_zone", zone=time_zone)])
    row = get_user(session, user.id)  # type: ignore[arg-type]
    row.language, row.time_zone = language, time_zone
    session.add(row)
    return row
