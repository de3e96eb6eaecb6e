"""Settings (admin): booking policy and external access (the OAuth redirect URL GoTo must know)."""
from __future__ import annotations

import streamlit as st

from core import auth, external_access, settings
from core.db import session_scope
from core.errors import RoomDeskError
from ui.session import engine, error, flash, guard, t

user = guard("admin")
st.title(t("settings.title"))

with session_scope(engine()) as session:
    forbid = settings.forbid_overbooking(session)
    access = external_access.get_external_access(session)
    url = external_access.show_redirect_url(session, user=user)
    people = auth.list_users(session)

st.subheader(t("settings.policy"))
new_forbid = st.toggle(t("settings.forbid_overbooking"), value=forbid, key="forbid_overbooking",
                       help=t("settings.forbid_overbooking_help"))
if new_forbid != forbid:
    with session_scope(engine()) as session:
        settings.set_forbid_overbooking(session, user=user, forbid=new_forbid)
    flash(t("settings.saved"))
    st.rerun()

st.subheader(t("settings.external"))
st.caption(t("settings.external_intro"))
if url:
    st.code(url, language=None)  # st.code has a copy button
    if access.activation_valid:
        st.success(t("settings.activation_valid"), icon=":material/check_circle:")
    else:
        st.error(t("settings.activation_invalid"), icon=":material/warning:")
with st.form("external_address"):
    address = st.text_input(t("settings.system_address"), value=access.system_address, key="system_address",
                            placeholder="https://roomdesk.example.org", help=t("settings.system_address_help"))
    if st.form_submit_button(t("action.save")):
        try:
            with session_scope(engine()) as session:
                external_access.set_system_address(session, user=user, address=address)
            flash(t("settings.saved"))
            st.rerun()
        except RoomDeskError as err:
            error(err)
names = {p.id: p.display_name for p in people}
chosen = st.selectbox(t("settings.access_user"), list(names), format_func=names.get, key="access_user",
                      index=list(names).index(access.access_user_id) if access.access_user_id in names else None,
                      help=t("settings.access_user_help"))
if chosen is not None and chosen != access.access_user_id:
    try:
        with session_scope(engine()) as session:
            external_access.set_access_user(session, user=user, access_user_id=chosen)
        flash(t("settings.saved"))
        st.rerun()
    except RoomDeskError as err:
        error(err)
with st.popover(t("settings.regenerate"), disabled=not access.has_token):
    st.warning(t("settings.regenerate_warning"))
    if st.button(t("settings.regenerate_really"), type="primary", key="regenerate_token"):
        with session_scope(engine()) as session:
            external_access.regenerate_token(session, user=user)
        flash(t("settings.regenerated"))
        st.rerun()
