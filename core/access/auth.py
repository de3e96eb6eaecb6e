"""Local accounts: argon2 password hashes, sign-in, adding users and their preferences."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from core.kernel import audit
from core.kernel.errors import NotFound, RoomDeskError, SignInFailed, ValidationFailed
from core.kernel.i18n import LANGUAGES
from core.kernel.models import Group, Membership, Role, User

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer time the same either way.
_DUMMY_HASH = _hasher.hash("no such user")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password; one vague error for every failure."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise SignInFailed() from None
    if user is None or not user.active or not user.password_hash:
        raise SignInFailed()
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
) -> User:
    """Create a local user in the named groups; every wrong field is reported at once."""
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
    if password is not None and len(password) < MIN_PASSWORD:
        problems.append(RoomDeskError("error.password_short", field="password", min=MIN_PASSWORD))
    if time_zone not in available_timezones():
        problems.append(RoomDeskError("error.time_zone_invalid", field="time_zone", zone=time_zone))
    found = {g.name: g for g in session.exec(select(Group).where(Group.name.in_(groups)))} if groups else {}
    for name in groups:
        if name not in found:
            problems.append(RoomDeskError("error.group_unknown", field="groups", group=name))
    if problems:
        raise ValidationFailed(problems)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        email=email,
        role=role,
        password_hash=hash_password(password) if password else None,
        time_zone=time_zone,
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
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed([RoomDeskError("error.language_invalid", field="language")])
    if time_zone not in available_timezones():
        raise ValidationFailed([RoomDeskError("error.time_zone_invalid", field="time_zone", zone=time_zone)])
    row = get_user(session, user.id)  # type: ignore[arg-type]
    row.language, row.time_zone = language, time_zone
    session.add(row)
    return row
