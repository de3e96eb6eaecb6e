"""Single sign-on matching: only a verified e-mail of exactly one active user signs anybody in."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.access import sso
from core.access.auth import add_user
from core.kernel.models import User


def claims(**over) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "is_logged_in": True,
        "email": "anna@example.org",
        "email_verified": True,
        "name": "Anna",
        "iss": "https://idp.example.org",
        "sub": "42",
    } | over


def person(session: Session, username: str, email: str | None, *, role: str = "staff", active: bool = True) -> User:
    user = add_user(session, username=username, password=None, role=role, email=email)
    user.active = active
    session.add(user)
    session.flush()
    return user


def refusal(session: Session, **over) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(sso.SsoRefused) as caught:
        sso.sign_in_with_identity(session, claims(**over))
    return caught.value.key


def test_a_verified_address_signs_in_its_user_whatever_the_case(session: Session) -> None:
    anna = person(session, "anna", " Anna@Example.org", role="admin")
    assert sso.sign_in_with_identity(session, claims(email="ANNA@example.ORG")).id == anna.id


@pytest.mark.parametrize(
    ("verified", "ok"),
    [(True, True), ("true", True), ("TRUE", True), (False, False), ("false", False), (None, False), (1, False)],
)
def test_only_a_verified_address_counts(session: Session, verified, ok) -> None:  # type: ignore[no-untyped-def]
    person(session, "anna", "anna@example.org")
    over = {"email_verified": verified} if verified is not None else {"email_verified": None}
    if ok:
        assert sso.sign_in_with_identity(session, claims(**over)).username == "anna"
    else:
        assert refusal(session, **over) == "error.sso_unverified"


def test_an_unknown_person_gets_no_account_but_is_told_to_ask_an_admin(session: Session) -> None:
    person(session, "ben", "ben@example.org")
    assert refusal(session) == "error.sso_unknown"
    message = sso.SsoRefused("error.sso_unknown", email="anna@example.org").message("en")
    assert "anna@example.org" in message and "Ask an administrator" in message
    assert session.query(User).count() == 1  # nobody was created


def test_no_address_deactivated_or_ambiguous_users_are_refused(session: Session) -> None:
    assert refusal(session, email=None) == "error.sso_no_email"
    person(session, "anna", "anna@example.org", active=False)
    assert refusal(session) == "error.sso_inactive"
    person(session, "anna2", "anna@example.org")
    assert sso.sign_in_with_identity(session, claims()).username == "anna2"  # the deactivated twin is ignored
    person(session, "anna3", "ANNA@example.org")
    assert refusal(session) == "error.sso_ambiguous"


def test_the_identity_takes_what_room_desk_relies_on() -> None:
    identity = sso.identity_from_claims(claims(email=" Anna@Example.org ", name=None, preferred_username="anna"))
    assert identity == sso.Identity("anna@example.org", True, "anna", "https://idp.example.org", "42")
