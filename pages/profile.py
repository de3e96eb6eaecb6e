"""My settings: language and time zone of the signed-in user."""

from __future__ import annotations

from zoneinfo import available_timezones

import streamlit as st

from core.access import auth
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from ui.session import engine, error, flash, guard, t

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
