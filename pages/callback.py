"""The OAuth redirect URL: GoTo sends the browser here after someone allowed (or denied) access.

The tab that clicked "Link GoTo account" comes back here. Signed in as the admin who started linking, it goes
straight back to the room on the Rooms page, which shows the new link state. Otherwise (the sign-in ended
meanwhile) this page says what happened, in the language of whoever started linking.
"""

from __future__ import annotations

import streamlit as st

from core.kernel.i18n import pick_language, translate
from core.meetings.callback import complete_linking
from ui.goto import goto
from ui.rooms_link import back_to_room
from ui.session import current_user, engine, guard, lang

params = st.query_params
if "state" not in params:
    guard()  # no OAuth answer to process: behave like any other page
    st.stop()

user = current_user()
outcome = complete_linking(
    engine(),
    token=params.get("token", ""),
    state=params.get("state", ""),
    code=params.get("code"),
    error=params.get("error"),
    oauth=goto().client,
    signed_in_user_id=user.id if user else None,
)
st.query_params.clear()  # the code and state are single use; keep them out of the address bar and history
if user is not None and user.role == "admin" and outcome.room_id is not None and outcome.starter_id == user.id:
    back_to_room(outcome)

language = lang() if user else pick_language(outcome.language, st.context.locale)
st.title(translate("callback.title", language))
if outcome.error is None:
    st.success(translate("callback.linked", language, room=outcome.room_name), icon=":material/check_circle:")
else:
    st.error(outcome.error.message(language), icon=":material/error:")
# A plain link (no target): the dashboard opens in this tab, at the Rooms page once signed in.
st.html(f"<p><a href='./rooms'>{translate('callback.back', language)}</a></p>")
