"""Sign-in: every page shows only the sign-in form until someone signs in."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import page

PAGES = ["dashboard.py", "pages/timeline.py", "pages/appointments.py", "pages/rooms.py", "pages/profile.py"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_only_the_sign_in_form_without_a_user(app_engine: Engine, path: str) -> None:
    at = page(path).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in to Room Desk"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert len(at.dataframe) == 0 and len(at.get("plotly_chart")) == 0


def test_wrong_password_says_so_and_stays_signed_out(app_engine: Engine, admin: int) -> None:
    at = page("dashboard.py").run()
    at.text_input(key="signin_username").input("boss")
    at.text_input(key="signin_password").input("nope nope")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["User name or password is wrong."]
    assert "user_id" not in at.session_state


def test_signing_in_lands_an_admin_on_the_timeline(app_engine: Engine, admin: int) -> None:
    at = page("dashboard.py").run()
    at.text_input(key="signin_username").input("boss")
    at.text_input(key="signin_password").input("correct horse")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user_id"] == admin
    assert "Timeline" in [t.value for t in at.title]


def test_staff_cannot_open_admin_pages(app_engine: Engine, staff: int) -> None:
    at = page("pages/rooms.py", user_id=staff).run()
    assert [e.value for e in at.error] == ["This page is not available for your role."]
    assert len(at.dataframe) == 0


def test_an_installation_with_its_own_users_shows_no_demo_sign_ins(app_engine: Engine, admin: int) -> None:
    at = page("dashboard.py").run()
    assert len(at.table) == 0 and "Demo" not in " ".join(e.label for e in at.expander)


def test_first_start_on_an_empty_database_seeds_the_demo_and_shows_its_sign_ins(app_env) -> None:  # type: ignore[no-untyped-def]
    at = page("dashboard.py").run()
    shown = at.table[0].value.to_string()
    assert "admin" in shown and "roomdesk-demo" in shown
    at.text_input(key="signin_username").input("admin")
    at.text_input(key="signin_password").input("roomdesk-demo")
    at.button[0].click().run()
    assert not at.exception and "user_id" in at.session_state


def _cookie_scripts(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.proto.body for e in at.get("html") if "document.cookie" in e.proto.body]


def sign_in_then_out() -> None:
    import streamlit as st

    from ui.session import current_user, sign_in_form, sign_out, write_cookie

    user = current_user()
    write_cookie()
    if user is None:
        sign_in_form()
    elif st.button("Sign out", key="out"):
        sign_out()
        st.rerun()


def test_signing_in_writes_the_cookie_and_signing_out_clears_only_that_one(app_engine: Engine, admin: int) -> None:
    """(That a click right after signing in cannot lose the cookie is shown in a real browser, by the linking
    journey in tests/e2e/test_dashboard.py: GoTo's callback finds the tab signed in.)"""
    at = AppTest.from_function(sign_in_then_out, default_timeout=30).run()
    assert _cookie_scripts(at) == []
    at.text_input(key="signin_username").input("boss")
    at.text_input(key="signin_password").input("correct horse")
    at.button[0].click().run()
    written = _cookie_scripts(at)
    assert len(written) == 1 and "roomdesk_session=" in written[0] and "Max-Age=0" not in written[0]
    at.run()  # the browser (AppTest has none) has not sent it back: every run writes it again
    assert _cookie_scripts(at) == written
    cookie = written[0].split("roomdesk_session=")[1].split(";")[0]
    at.button(key="out").click().run()
    cleared = _cookie_scripts(at)
    assert len(cleared) == 1 and "Max-Age=0" in cleared[0]
    assert f'includes("roomdesk_session={cookie}")' in cleared[0]  # never a cookie another tab signed in with
