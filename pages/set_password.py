"""The one-time set-password link an admin handed out: works without sign-in, once, for a limited time."""

from __future__ import annotations

import streamlit as st

from core.access import auth
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from ui.session import engine, error, t

st.title(t("reset.title"))
token = st.query_params.get("token", "") or st.session_state.get("reset_token", "")
st.session_state["reset_token"] = token
st.query_params.clear()  # the token is single use; keep it out of the address bar and the history
with session_scope(engine()) as session:
    owner = auth.reset_link_user(session, token)
if st.session_state.get("reset_done"):
    st.success(t("reset.done"), icon=":material/check_circle:")
    st.markdown(f"[{t('reset.to_signin')}](./)")  # a fresh start of the app, at the sign-in form
    st.stop()
if owner is None:
    error(RoomDeskError("error.reset_link_invalid"))
    st.stop()
st.caption(t("reset.for", name=owner.display_name))
with st.form("set_password"):
    new = st.text_input(t("password.new"), type="password", key="reset_new", help=t("password.rule"))
    again = st.text_input(t("password.repeat"), type="password", key="reset_again")
    submitted = st.form_submit_button(t("reset.submit"), type="primary")
if submitted:
    if new != again:
        st.error(t("password.mismatch"))
        st.stop()
    try:
        with session_scope(engine()) as session:
            auth.set_password_with_link(session, token=token, new=new)
        st.session_state["reset_done"] = True
        st.session_state.pop("reset_token", None)
        st.rerun()
    except RoomDeskError as err:
        error(err)
