"""The OAuth redirect URL: GoTo sends the browser here after someone allowed (or denied) access."""

from __future__ import annotations

import streamlit as st

from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.meetings import accounts
from ui.goto import goto
from ui.session import engine, error, guard, t

params = st.query_params
if "state" not in params:
    guard()  # no OAuth answer to process: behave like any other page
    st.stop()

st.title(t("callback.title"))
try:
    with session_scope(engine()) as session:  # committed on its own: a state is used up even if linking fails
        pending = accounts.claim_state(session, token=params.get("token", ""), state=params.get("state", ""))
    with session_scope(engine()) as session:
        room = accounts.finish_linking(
            session, pending=pending, code=params.get("code"), error=params.get("error"), oauth=goto().client
        )
    st.success(t("callback.linked", room=room.name), icon=":material/check_circle:")
except RoomDeskError as err:
    error(err)
st.query_params.clear()  # the code and state are single use; keep them out of the address bar and history
st.markdown(f"[{t('callback.back')}](./)")  # a fresh start of the app; sign in there if needed
