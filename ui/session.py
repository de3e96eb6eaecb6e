"""The signed-in user, the page guard and the user's language and zone."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from core.access import auth
from core.admin.startup import demo_credentials, prepare_database
from core.kernel.config import get_settings
from core.kernel.db import get_engine, session_scope
from core.kernel.errors import RoomDeskError, ValidationFailed
from core.kernel.i18n import pick_language, translate
from core.kernel.models import User

USER_KEY = "user_id"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = get_engine(url)
    prepare_database(engine, get_settings())
    return engine


def engine() -> Engine:
    """The shared, migrated engine of the configured database (demo seeded on first start)."""
    return _engine_for(get_settings().database_url)


def current_user() -> User | None:
    """The signed-in user, re-read every run so a deactivated account loses access at once."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        from ui.sso import user_from_identity_provider  # single sign-on, when [auth] is configured

        return user_from_identity_provider()
    with session_scope(engine()) as session:
        try:
            return auth.get_user(session, user_id)
        except RoomDeskError:
            st.session_state.pop(USER_KEY, None)
            return None


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
            with session_scope(engine()) as session:
                user = auth.authenticate(session, username, password)
            st.session_state[USER_KEY] = user.id
            st.session_state["lang"] = user.language
            st.rerun()
        except RoomDeskError as err:
            error(err)
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
    from ui.sso import sign_out_of_identity_provider

    sign_out_of_identity_provider()
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def activation_banner() -> None:
    """Loud on every admin page: linking cannot work while the redirect URL is not registered at GoTo."""
    from core.access.external_access import get_external_access

    with session_scope(engine()) as session:
        access = get_external_access(session)
    if access.redirect_url is None:
        st.warning(t("banner.external_not_configured"), icon=":material/link:")
    elif not access.activation_valid:
        st.error(t("banner.activation_invalid"), icon=":material/warning:")
