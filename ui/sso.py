"""Single sign-on through Streamlit's built-in OIDC (st.login / st.user) when `[auth]` is in the secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from core.access import sso
from core.kernel.db import session_scope
from core.kernel.models import User
from ui.session import USER_KEY, engine, lang, t

REFUSED_KEY = "sso_refused"


def _auth_section() -> dict[str, Any] | None:
    try:
        return dict(st.secrets["auth"]) if "auth" in st.secrets else None
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return None  # no secrets file at all: local accounts only


def configured() -> bool:
    return _auth_section() is not None


def providers() -> list[str | None]:
    """Named providers ([auth.<name>]) or, when there are none, the unnamed default one (None)."""
    section = _auth_section() or {}
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    return named or [None]


def _signed_in_at_provider() -> bool:
    return configured() and bool(st.user.get("is_logged_in"))


def user_from_identity_provider() -> User | None:
    """The Room Desk user of the person signed in at the identity provider, remembered for this session."""
    if not _signed_in_at_provider() or st.session_state.get(REFUSED_KEY):
        return None
    with session_scope(engine()) as session:
        try:
            user = sso.sign_in_with_identity(session, st.user.to_dict())
        except sso.SsoRefused as err:
            st.session_state[REFUSED_KEY] = err
            return None
    st.session_state[USER_KEY] = user.id
    st.session_state["lang"] = user.language
    return user


def sign_in_options() -> bool:
    """The identity provider's sign-in button; True when it already answered "unknown person" instead."""
    if not configured():
        return False
    refused: sso.SsoRefused | None = st.session_state.get(REFUSED_KEY)
    if refused is not None and _signed_in_at_provider():
        st.error(refused.message(lang()), icon=":material/person_off:")
        st.info(t("sso.ask_admin"), icon=":material/support_agent:")
        if st.button(t("sso.sign_out"), key="sso_sign_out"):
            st.session_state.pop(REFUSED_KEY, None)
            st.logout()
        return True
    for provider in providers():
        label = t("sso.sign_in_with", provider=provider.title() if provider else t("sso.organisation"))
        if st.button(label, key=f"sso_sign_in_{provider or 'default'}", type="primary", icon=":material/login:"):
            st.login(provider)
    st.caption(t("sso.or_password"))
    return False


def sign_out_of_identity_provider() -> None:
    """Leaving Room Desk also ends the identity provider's session cookie, or the next visit signs in again."""
    if _signed_in_at_provider():
        st.logout()
