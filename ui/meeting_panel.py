"""The appointment's GoTo meeting: state, the invitation block, retry, start."""

from __future__ import annotations

import streamlit as st

from core.access import addon
from core.booking import start as starting
from core.booking.appointments import AppointmentView
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.models import User
from core.meetings import jobs as meetings
from ui.goto import goto
from ui.session import engine, error, t


def meeting_panel(user: User, view: AppointmentView) -> None:
    """Shown below the form of a saved appointment that has (or should have) a GoTo meeting."""
    state = view.meeting
    if state.state == "none" and view.room is None:
        return
    with session_scope(engine()) as session:
        if not addon.may_use_goto(session, user):
            st.caption(t("appointments.no_goto"))
            return
    with st.container(border=True):
        st.markdown(f"**{t('meeting.title')}**")
        if state.state == "none":
            st.caption(t("meeting.none", room=view.room))
            return
        if state.state == "failed":
            st.error(t("meeting.failed", attempts=state.attempts, error=state.error), icon=":material/error:")
        if state.state == "pending" and state.attempts:
            st.warning(
                t("meeting.retrying", attempts=state.attempts, error=state.error), icon=":material/hourglass_top:"
            )
        elif state.state == "pending":
            st.warning(
                t("meeting.pending", error=state.error or t("meeting.pending_first")), icon=":material/hourglass_top:"
            )
        if state.state in ("pending", "failed") and st.button(
            t("meeting.retry"), key=f"retry_meeting_{view.id}", icon=":material/refresh:"
        ):
            result = meetings.sync_now(engine(), goto().client, view.id)
            (st.success if result.state == "created" else st.warning)(t(f"meeting.after_retry_{result.state}"))
            st.rerun()
        if view.invitation:
            st.caption(t("meeting.invitation_below"))
            st.code(view.invitation.strip("\n"), language=None)
        if state.state == "created" and st.button(
            t("meeting.start"), key=f"start_meeting_{view.id}", icon=":material/play_arrow:", type="primary"
        ):
            try:
                with session_scope(engine()) as session:
                    result = starting.start_meeting(session, user=user, appointment_id=view.id, api=goto().client)
                st.session_state[f"start_url_{view.id}"] = (result.url, result.as_host)
            except RoomDeskError as err:
                error(err)
        if opened := st.session_state.get(f"start_url_{view.id}"):
            url, as_host = opened
            st.link_button(t("meeting.open_host" if as_host else "meeting.open_join"), url, icon=":material/videocam:")
