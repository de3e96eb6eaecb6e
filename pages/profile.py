"""My settings: language and time zone, password, and where you are signed in (sign out everywhere)."""

from __future__ import annotations

from zoneinfo import available_timezones

import streamlit as st

from core.access import auth, sessions
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError, ValidationFailed
from core.kernel.i18n import format_datetime
from ui.session import current_cookie, engine, error, flash, guard, lang, sign_out, t

user = guard()
st.title(t("profile.title"))
zones = sorted(available_timezones())
languages = {"": t("profile.language_browser"), "en": "English", "de": "Deutsch"}
with st.form("profile"):
    language = st.selectbox(
        t("profile.language"),
        list(languages),
        format_func=languages.get,
        index=list(languages).index(user.language or ""),
        key="profile_language",
    )
    zone = st.selectbox(t("profile.time_zone"), zones, index=zones.index(user.time_zone), key="profile_zone")
    saved = st.form_submit_button(t("action.save"), type="primary")
if saved:
    try:
        with session_scope(engine()) as session:
            auth.set_preferences(session, user=user, language=language or None, time_zone=zone)
        st.session_state["lang"] = language or None
        flash(t("profile.saved"))
        st.rerun()
    except RoomDeskError as err:
        error(err)

st.subheader(t("password.title"))
if user.password_hash is None:
    st.caption(t("password.no_local"))
else:
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(t("password.current"), type="password", key="password_current")
        new = st.text_input(t("password.new"), type="password", key="password_new", help=t("password.rule"))
        again = st.text_input(t("password.repeat"), type="password", key="password_again")
        change = st.form_submit_button(t("password.submit"))
    if change:
        try:
            if new != again:
                raise ValidationFailed([RoomDeskError("password.mismatch", field="again")])
            with session_scope(engine()) as session:
                auth.change_password(session, user=user, current=current, new=new, keep=current_cookie())
            flash(t("password.changed"))
            st.rerun()
        except RoomDeskError as err:
            error(err)

st.subheader(t("sessions.title"))
with session_scope(engine()) as session:
    open_sessions = sessions.list_sessions(session, user=user, current=current_cookie())
st.table(
    [
        {
            t("sessions.col_since"): format_datetime(s.created_at, lang(), user.time_zone),
            t("sessions.col_seen"): format_datetime(s.last_seen_at, lang(), user.time_zone),
            t("sessions.col_method"): t(f"sessions.method_{s.method}")
            + (f" · {t('sessions.this')}" if s.current else ""),
            t("sessions.col_address"): s.client_address,
            t("sessions.col_browser"): s.user_agent[:80],
        }
        for s in open_sessions
    ],
    hide_index=True,
)
if st.button(t("sessions.sign_out_everywhere"), key="sign_out_everywhere", icon=":material/logout:"):
    with session_scope(engine()) as session:
        sessions.sign_out_everywhere(session, user=user)
    sign_out()
    st.rerun()
