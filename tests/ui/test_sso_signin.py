"""Sign-in with the identity provider (st.login / st.user) when [auth] is configured; local accounts keep working."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from core.access.auth import add_user
from core.kernel.db import session_scope
from tests.ui.conftest import page

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "roomdesk",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def dashboard(*, user: dict[str, object], auth: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    at = page("dashboard.py")
    at.secrets["auth"] = auth or AUTH
    at.user = user
    return at


def anna(engine: Engine, *, role: str = "admin") -> int:
    with session_scope(engine) as s:
        return add_user(s, username="anna", password=None, role=role, email="anna@example.org").id  # type: ignore[return-value]


def test_before_sign_in_the_provider_button_and_the_local_form_are_offered(app_engine: Engine) -> None:
    at = dashboard(user={"is_logged_in": False}).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with your organisation account", "Sign in"]
    assert "Or sign in with a Room Desk user name and password:" in [c.value for c in at.caption]


def test_named_providers_get_a_button_each(app_engine: Engine) -> None:
    providers = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": "x",
        "okta": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")},
    }
    at = dashboard(user={"is_logged_in": False}, auth=providers).run()
    assert [b.label for b in at.button][0] == "Sign in with Okta"


def test_a_verified_known_person_is_signed_in_as_their_room_desk_user(app_engine: Engine) -> None:
    user_id = anna(app_engine)
    at = dashboard(user={"is_logged_in": True, "email": "Anna@Example.org", "email_verified": True}).run()
    assert not at.exception
    assert at.session_state["user_id"] == user_id
    assert "Timeline" in [t.value for t in at.title]  # an admin lands on the timeline


def test_an_unknown_person_gets_the_ask_an_admin_page_and_no_account(app_engine: Engine) -> None:
    anna(app_engine)
    at = dashboard(user={"is_logged_in": True, "email": "mallory@example.org", "email_verified": True}).run()
    assert not at.exception and "user_id" not in at.session_state
    assert [e.value for e in at.error] == [
        "You are signed in as mallory@example.org, but Room Desk has no user with "
        "this e-mail address. Ask an administrator to add you."
    ]
    assert any("never creates accounts" in i.value for i in at.info)
    assert [b.label for b in at.button] == ["Sign out of the identity provider"]  # no password form either
    at.button(key="sso_sign_out").click().run()
    assert at.user == {"is_logged_in": False}


def test_an_unverified_address_signs_nobody_in(app_engine: Engine) -> None:
    anna(app_engine)
    at = dashboard(user={"is_logged_in": True, "email": "anna@example.org", "email_verified": False}).run()
    assert "user_id" not in at.session_state
    assert "has not verified the e-mail address anna@example.org" in at.error[0].value


def sign_out_button() -> None:
    import streamlit as st

    from ui.session import current_user, sign_out

    st.write(f"signed in: {current_user().username}")  # type: ignore[union-attr]
    if st.button("Sign out", key="out"):
        sign_out()


def test_signing_out_of_room_desk_ends_the_provider_session_too(app_engine: Engine) -> None:
    anna(app_engine)
    at = AppTest.from_function(sign_out_button, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "anna@example.org", "email_verified": True}
    at.run()
    assert [m.value for m in at.markdown] == ["signed in: anna"]
    at.button(key="out").click().run()
    assert not at.exception
    assert at.user == {"is_logged_in": False} and "user_id" not in at.session_state


def test_without_an_identity_provider_local_accounts_work_as_before(app_engine: Engine, admin: int) -> None:
    at = page("dashboard.py").run()
    assert [b.label for b in at.button] == ["Sign in"]
    at.text_input(key="signin_username").input("boss")
    at.text_input(key="signin_password").input("correct horse")
    at.button[0].click().run()
    assert at.session_state["user_id"] == admin
