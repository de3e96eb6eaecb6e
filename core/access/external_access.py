"""External access: the system address, the callback token and user, and the composed OAuth redirect URL."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session, select

from core.access.permissions import bookable_room_ids, require_role
from core.access.settings import get_value, put_value
from core.kernel import audit, crypto
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, RoomDeskError, ValidationFailed
from core.kernel.models import Role, Room, User

CALLBACK_PATH = "goto_callback"  # the Streamlit url_path of pages/callback.py
ADDRESS, TOKEN, ACCESS_USER, ACTIVATED_HASH = (
    "external.address",
    "external.token",
    "external.access_user",
    # Only a hash of the activated URL is stored: the URL carries the callback token, a secret.
    "external.activated_url_hash",
)


@dataclass(frozen=True)
class ExternalAccess:
    system_address: str
    has_token: bool
    access_user_id: int | None
    redirect_url: str | None  # None until an address and a token exist
    activated_hash: str | None  # hash of the URL registered at GoTo

    @property
    def activation_valid(self) -> bool:
        """Linking works only while the URL registered at GoTo is exactly the current redirect URL."""
        return (
            self.redirect_url is not None
            and self.activated_hash is not None
            and crypto.same_secret(url_digest(self.redirect_url), self.activated_hash)
        )


def url_digest(url: str) -> str:
    """The SHA-256 of a redirect URL: identifies it without storing the callback token it contains."""
    return hashlib.sha256(url.encode()).hexdigest()


def redirect_url(system_address: str, token: str) -> str:
    """System address + callback page path + token: the URL GoTo must have registered for this system."""
    return f"{system_address.rstrip('/')}/{CALLBACK_PATH}?token={token}"


def normalise_address(value: str) -> str:
    parts = urlsplit(value.strip())
    problems = []
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(RoomDeskError("error.address_invalid", field="system_address", address=value))
    elif parts.query or parts.fragment:
        problems.append(RoomDeskError("error.address_query", field="system_address"))
    if problems:
        raise ValidationFailed(problems)
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def current_token(session: Session) -> str | None:
    stored = get_value(session, TOKEN)
    return crypto.decrypt(stored) if stored else None


def get_external_access(session: Session) -> ExternalAccess:
    address, token = get_value(session, ADDRESS, ""), current_token(session)
    return ExternalAccess(
        system_address=address,
        has_token=token is not None,
        access_user_id=get_value(session, ACCESS_USER),
        redirect_url=redirect_url(address, token) if address and token else None,
        activated_hash=get_value(session, ACTIVATED_HASH),
    )


def show_redirect_url(session: Session, *, user: User) -> str | None:
    """The full redirect URL (it contains the token), for admins and support staff only."""
    require_role(user, Role.admin, Role.support)
    return get_external_access(session).redirect_url


def set_system_address(session: Session, *, user: User, address: str) -> ExternalAccess:
    """Change the system address; a changed address invalidates the activation."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    before = get_external_access(session)
    put_value(session, ADDRESS, normalise_address(address))
    if not current_token(session):
        put_value(session, TOKEN, crypto.encrypt(crypto.new_token()))
    after = get_external_access(session)
    audit.record(
        session,
        actor=user,
        action="external.address",
        entity="setting",
        entity_id=ADDRESS,
        before={"address": before.system_address},
        after={"address": after.system_address},
    )
    return after


def regenerate_token(session: Session, *, user: User) -> ExternalAccess:
    """A fresh callback token; the old redirect URL stops working and the activation becomes invalid."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    put_value(session, TOKEN, crypto.encrypt(crypto.new_token()))
    audit.record(session, actor=user, action="external.token_regenerated", entity="setting", entity_id=TOKEN)
    return get_external_access(session)


def set_access_user(session: Session, *, user: User, access_user_id: int) -> ExternalAccess:
    """The user the callback runs as; they must be able to book every room that has a GoTo account."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    target = session.get(User, access_user_id)
    if target is None or not target.active:
        raise NotFound("error.user_unknown", field="access_user")
    rooms = session.exec(select(Room).where(Room.active, Room.goto_account.is_not(None))).all()
    allowed = bookable_room_ids(session, target)
    missing = sorted(r.name for r in rooms if r.id not in allowed)
    if missing:
        raise ValidationFailed(
            [
                RoomDeskError(
                    "error.access_user_rights", field="access_user", user=target.display_name, rooms=", ".join(missing)
                )
            ]
        )
    before = get_value(session, ACCESS_USER)
    put_value(session, ACCESS_USER, access_user_id)
    audit.record(
        session,
        actor=user,
        action="external.access_user",
        entity="setting",
        entity_id=ACCESS_USER,
        before={"user_id": before},
        after={"user_id": access_user_id},
    )
    return get_external_access(session)


def record_activation(session: Session, *, url: str, actor: User | None) -> None:
    """Remember that `url` is registered at GoTo (what support staff confirm)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    put_value(session, ACTIVATED_HASH, url_digest(url))
    audit.record(
        session,
        actor=actor,
        action="external.activated",
        entity="setting",
        entity_id=ACTIVATED_HASH,
        after={"url_registered": True},
    )


def save_external_access(session: Session, *, user: User, address: str, access_user_id: int | None) -> ExternalAccess:
    """The Settings form's one save: address and access user, what changed, all of it or nothing."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    current = get_external_access(session)
    if normalise_address(address) != current.system_address:
        set_system_address(session, user=user, address=address)
    if access_user_id is not None and access_user_id != current.access_user_id:
        set_access_user(session, user=user, access_user_id=access_user_id)
    return get_external_access(session)
