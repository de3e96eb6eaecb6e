"""The signed-in user, the page guard and the user's language and zone.

A sign-in is a server-side session (core/access/sessions.py). The browser keeps only its signed random id in
a cookie, so a reload, a second tab or a deep link finds the session again; this Streamlit session keeps the
same value and re-checks it on every run, so "sign out everywhere" elsewhere signs this tab out too.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import streamlit as st
from sqlalchemy.engine import Engine

from core.access import auth, sessions
from core.admin.startup import demo_credentials, prepare_database
from core.kernel.config import get_settings
from core.kernel.db import get_engine, session_scope
from core.kernel.errors import RoomDeskError, ValidationFailed
from core.kernel.i18n import pick_language, translate
from core.kernel.models import User

USER_KEY = "user_id"
COOKIE_KEY = "signin_cookie"  # this tab's server session (the cookie value), checked on every run
ENDED_COOKIE = "cookie_to_clear"  # a session this tab ended: the browser forgets its cookie, if it still holds it


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = get_engine(url)
    prepare_database(engine, get_settings())
    return engine


def engine() -> Engine:
    """The shared, migrated engine of the configured database (demo seeded on first start)."""
    return _engine_for(get_settings().database_url)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""  # AppTest has no browser: its context answers with stand-ins


def _browser_cookie() -> str | None:
    return _text(st.context.cookies.get(sessions.COOKIE)) or None


def client_address() -> str:
    return _text(st.context.ip_address) or "local"


def user_agent() -> str:
    return _text(st.context.headers.get("User-Agent", ""))


def app_address() -> str:
    """The address this dashboard is served at, as the browser sees it (for links it hands out)."""
    parts = urlsplit(_text(st.context.url) or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}"


def current_user() -> User | None:
    """The signed-in user of a live server session, re-read every run so an ended session or a deactivated
    account loses access at once."""
    cookie = st.session_state.get(COOKIE_KEY) or _browser_cookie()
    if cookie:
        with session_scope(engine()) as session:
            found = sessions.resume_session(session, cookie)
        if found is not None:
            user, _ = found
            if st.session_state.get(USER_KEY) != user.id:
                st.session_state["lang"] = user.language
            st.session_state[USER_KEY], st.session_state[COOKIE_KEY] = user.id, cookie
            return user
        _forget_sign_in(clear_cookie=bool(_browser_cookie()))
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        from ui.sso import user_from_identity_provider  # single sign-on, when [auth] is configured

        user = user_from_identity_provider()
        if user is not None:
            remember_sign_in(auth.sign_in_with_provider(engine(), user=user, client_address=client_address()))
        return user
    # Signed in without a server session: only tests seed session_state this way.
    with session_scope(engine()) as session:
        try:
            return auth.get_user(session, user_id)
        except RoomDeskError:
            st.session_state.pop(USER_KEY, None)
            return None


def remember_sign_in(cookie: str) -> None:
    """This tab is signed in with this server session; the browser gets the cookie from `write_cookie`."""
    st.session_state[COOKIE_KEY] = cookie
    st.session_state.pop(ENDED_COOKIE, None)


def _forget_sign_in(*, clear_cookie: bool) -> None:
    for key in [USER_KEY, COOKIE_KEY, "lang"]:
        st.session_state.pop(key, None)
    if clear_cookie:
        st.session_state[ENDED_COOKIE] = _browser_cookie()


def write_cookie() -> None:
    """Keep the browser's cookie in step with this tab's sign-in (a script: Streamlit cannot send Set-Cookie).

    Written on every run until the browser sent it back, not once: a run can be cut short by the next click
    before its elements reach the browser, and a cookie written only in that run would be lost, so a reload or
    GoTo's callback would find the tab signed out. Clearing touches only the cookie this tab ended, never one
    another tab has signed in with since.
    SameSite=Strict keeps other sites from riding the session; Secure whenever the dashboard is on HTTPS.
    Not HttpOnly, since a script sets it: the value is only a signed random id, worthless once signed out.
    """
    signed_in, ended = st.session_state.get(COOKIE_KEY), st.session_state.get(ENDED_COOKIE)
    secure = "; Secure" if urlsplit(_text(st.context.url)).scheme == "https" else ""
    if signed_in and signed_in != _browser_cookie():
        age = int(sessions.lifetime().absolute.total_seconds())
        cookie = f"{sessions.COOKIE}={signed_in}; Path=/; Max-Age={age}; SameSite=Strict{secure}"
        script = f"document.cookie = {json.dumps(cookie)};"
    elif not signed_in and ended:
        held = f"{sessions.COOKIE}={ended}"
        gone = f"{sessions.COOKIE}=; Path=/; Max-Age=0; SameSite=Strict{secure}"
        script = f"if (document.cookie.split('; ').includes({json.dumps(held)})) document.cookie = {json.dumps(gone)};"
    else:
        return
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width=1)


def lang() -> str:
    user_id = st.session_state.get(USER_KEY)
    preferred = st.session_state.get("lang") if user_id else None
    return pick_language(preferred, st.context.locale)


def t(key: str, **params: object) -> str:
    return translate(key, lang(), **params)


def zone(user: User | None) -> str:
    """The user's saved zone; before sign-in the browser's."""
    return user.time_zone if user else (st.context.timezone or "Europe/Berlin")


def error(err: RoomDeskError) -> None:
    """Show a domain error; a failed validation shows one message per wrong field."""
    for problem in err.errors if isinstance(err, ValidationFailed) else [err]:
        st.error(problem.message(lang()), icon=":material/error:")


def sign_in_form() -> None:
    """The sign-in form, plus the demo sign-ins when this installation runs the demo."""
    st.title(t("signin.title"))
    st.caption(t("signin.intro"))
    from ui.sso import sign_in_options

    if sign_in_options():  # signed in at the identity provider, but unknown here: only "ask an admin"
        return
    with st.form("sign_in"):
        username = st.text_input(t("signin.username"), key="signin_username")
        password = st.text_input(t("signin.password"), type="password", key="signin_password")
        submitted = st.form_submit_button(t("signin.submit"), type="primary")
    if submitted:
        try:
            signed_in = auth.sign_in(
                engine(),
                username=username,
                password=password,
                client_address=client_address(),
                user_agent=user_agent(),
            )
        except RoomDeskError as err:
            error(err)
        else:
            st.session_state[USER_KEY] = signed_in.user.id
            st.session_state["lang"] = signed_in.user.language
            remember_sign_in(signed_in.cookie)
            st.rerun()  # the same address now runs the page asked for, if the role may see it
    creds = demo_credentials(engine())
    if creds:
        with st.expander(t("signin.demo_title"), expanded=True):
            st.caption(t("signin.demo_intro"))
            st.table(
                [
                    {t("signin.username"): u, t("signin.role"): t(f"role.{r}"), t("signin.password"): p}
                    for u, r, p in creds
                ]
            )


def flash(message: str) -> None:
    """A success message that survives the rerun that follows a save."""
    st.session_state["flash"] = message


def guard(*roles: str) -> User:
    """Every page calls this first: no user, no content; wrong role, a clear refusal."""
    user = current_user()
    if user is None:
        sign_in_form()
        st.stop()
    if roles and user.role not in roles:
        st.error(t("error.page_forbidden"))
        st.stop()
    if message := st.session_state.pop("flash", None):
        st.success(message, icon=":material/check_circle:")
    return user  # type: ignore[return-value]


def sign_out() -> None:
    """End this tab's server session, forget the cookie, and leave the identity provider too."""
    from ui.sso import sign_out_of_identity_provider

    cookie = st.session_state.get(COOKIE_KEY) or _browser_cookie()
    if cookie:
        with session_scope(engine()) as session:
            sessions.end_session(session, cookie)
    sign_out_of_identity_provider()
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if cookie:
        st.session_state[ENDED_COOKIE] = cookie


def current_cookie() -> str | None:
    """This tab's session cookie value, so My settings can mark it and keep it when ending the others."""
    return st.session_state.get(COOKIE_KEY)


def activation_banner() -> None:
    """Loud on every admin page: linking cannot work while the redirect URL is not registered at GoTo."""
    from core.access.external_access import get_external_access

    with session_scope(engine()) as session:
        access = get_external_access(session)
    if access.redirect_url is None:
        st.warning(t("banner.external_not_configured"), icon=":material/link:")
    elif not access.activation_valid:
        st.error(t("banner.activation_invalid"), icon=":material/warning:")
