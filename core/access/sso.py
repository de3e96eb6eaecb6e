"""Single sign-on: a person the identity provider vouches for is matched to a Room Desk user by verified e-mail.

Nobody gets an account by accident: an unknown, unverified or ambiguous address signs nobody in; the person
is told to ask an admin. Roles stay those of the matched Room Desk user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from core.kernel.errors import RoomDeskError
from core.kernel.models import User


class SsoRefused(RoomDeskError):
    """The identity provider's person cannot be signed in; the message says what to ask an admin for."""

    key = "error.sso_unknown"


@dataclass(frozen=True)
class Identity:
    email: str | None
    email_verified: bool
    name: str
    issuer: str
    subject: str


def _truthy(value: Any) -> bool:
    # Most providers send a JSON boolean; some (older Cognito, some SAML bridges) send the string "true".
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    """The claims Room Desk relies on, from an ID token (what st.user holds)."""
    email = str(claims.get("email") or "").strip().lower() or None
    return Identity(
        email=email,
        email_verified=_truthy(claims.get("email_verified")),
        name=str(claims.get("name") or claims.get("preferred_username") or email or ""),
        issuer=str(claims.get("iss") or ""),
        subject=str(claims.get("sub") or ""),
    )


def match_identity(identity: Identity, candidates: Sequence[User]) -> User:
    """The one active user with this verified address; otherwise refused, with the reason."""
    if identity.email is None:
        raise SsoRefused("error.sso_no_email")
    if not identity.email_verified:
        raise SsoRefused("error.sso_unverified", email=identity.email)
    same = [u for u in candidates if (u.email or "").strip().lower() == identity.email]
    active = [u for u in same if u.active]
    if len(active) > 1:
        raise SsoRefused("error.sso_ambiguous", email=identity.email, count=len(active))
    if not active:
        raise SsoRefused("error.sso_inactive" if same else "error.sso_unknown", email=identity.email)
    return active[0]


def sign_in_with_identity(session: Session, claims: Mapping[str, Any]) -> User:
    """The Room Desk user the identity provider's signed-in person is (matched by verified e-mail)."""
    identity = identity_from_claims(claims)
    candidates = (
        session.exec(select(User).where(sa.func.lower(sa.func.trim(User.email)) == identity.email)).all()
        if identity.email
        else []
    )
    return match_identity(identity, candidates)
