"""Sign-in with argon2 hashes, user creation rules, roles and preferences."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.access.auth import add_user, authenticate, set_preferences
from core.access.permissions import require_role
from core.kernel.errors import PermissionDenied, SignInFailed, ValidationFailed
from core.kernel.models import Membership, User
from tests.conftest import make_user


def test_password_is_stored_as_an_argon2_hash(session: Session) -> None:
    make_user(session, username="anna", password="correct horse")
    stored = session.exec(select(User).where(User.username == "anna")).one().password_hash
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_authenticate_accepts_the_right_password_only(session: Session) -> None:
    make_user(session, username="anna", password="correct horse")
    assert authenticate(session, " Anna ", "correct horse").username == "anna"
    for name, password in [("anna", "wrong"), ("nobody", "correct horse"), ("anna", "")]:
        with pytest.raises(SignInFailed) as caught:
            authenticate(session, name, password)
        assert caught.value.message("en") == "User name or password is wrong."


def test_deactivated_users_cannot_sign_in(session: Session) -> None:
    user = make_user(session, username="gone", password="correct horse")
    user.active = False
    with pytest.raises(SignInFailed):
        authenticate(session, "gone", "correct horse")


def test_add_user_reports_every_wrong_field_at_once(session: Session) -> None:
    with pytest.raises(ValidationFailed) as caught:
        add_user(
            session, username="No Spaces!", password="short", role="boss", groups=("Nope",), time_zone="Nowhere/City"
        )
    assert set(caught.value.by_field()) == {"username", "password", "role", "groups", "time_zone"}


def test_add_user_joins_the_named_groups(session: Session) -> None:
    user = add_user(session, username="ext", password="long enough", role="staff", groups=("External",))
    assert len(session.exec(select(Membership).where(Membership.user_id == user.id)).all()) == 1


def test_require_role_refuses_other_roles(session: Session) -> None:
    support = make_user(session, role="support")
    with pytest.raises(PermissionDenied):
        require_role(support, "admin")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        require_role(None, "admin")  # type: ignore[arg-type]


def test_preferences_are_validated_and_saved(session: Session) -> None:
    user = make_user(session)
    set_preferences(session, user=user, language="de", time_zone="America/New_York")
    assert (user.language, user.time_zone) == ("de", "America/New_York")
    with pytest.raises(ValidationFailed):
        set_preferences(session, user=user, language="fr", time_zone="UTC")
