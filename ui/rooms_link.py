"""A room's GoTo link: its state, Link (to GoTo and back in the same tab), test and unlink."""

from __future__ import annotations

import json

import streamlit as st

from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.kernel.models import Room, User
from core.meetings import accounts
from core.meetings.callback import CallbackOutcome
from ui.goto import goto
from ui.session import engine, error, flash, lang, t

ROOM_KEY = "edit_room"  # the Rooms page's room picker
RESULT_KEY = "goto_link_result"  # a failed linking, shown once on the room it was for


def back_to_room(outcome: CallbackOutcome) -> None:
    """From GoTo's callback to the room on the Rooms page, in this tab and session, with the result on top."""
    st.session_state[ROOM_KEY] = outcome.room_id
    if outcome.linked:
        flash(t("callback.linked", room=outcome.room_name))
    else:
        st.session_state[RESULT_KEY] = outcome.error
    st.switch_page("pages/rooms.py")  # no code or state in the address bar or history any more


def linking_result() -> None:
    """A linking that failed at GoTo or in the callback says why, once, at the top of the Rooms page."""
    failed = st.session_state.pop(RESULT_KEY, None)
    if isinstance(failed, RoomDeskError):
        error(failed)


def _send_browser_to(url: str) -> None:
    # The same tab goes to GoTo and GoTo brings it back; nothing is left behind that could be clicked once the
    # single-use state has expired. A script, since Streamlit's links and link buttons open a new tab.
    st.html(f"<script>window.location.assign({json.dumps(url)});</script>", unsafe_allow_javascript=True, width=1)


def _status(room: Room, user: User) -> accounts.LinkStatus:
    with session_scope(engine()) as session:
        link = accounts.link_statuses(session, [room.id])[room.id]  # type: ignore[list-item]
    text = {"not_linked": "rooms.not_linked", "linked": "rooms.linked", "needs_relinking": "rooms.needs_relinking"}
    show = {"needs_relinking": st.error, "not_linked": st.info}.get(link.status, st.success)
    show(t(text[link.status]) + (f" — {link.email}" if link.email else ""))
    if link.status != "not_linked":
        when = {
            name: format_datetime(moment, lang(), user.time_zone) if moment else "—"
            for name, moment in (("expires", link.expires_at), ("refreshed", link.last_refresh_at))
        }
        st.caption(t("rooms.link_details", **when))
        if link.last_error:
            st.caption(t("rooms.link_last_error", error=link.last_error))
    return link


def link_panel(user: User, room: Room) -> None:
    """The GoTo section of the chosen room."""
    st.subheader(t("rooms.goto_link"))
    link = _status(room, user)
    buttons = st.columns(3)
    if room.goto_account and buttons[0].button(t("rooms.link"), key=f"link_{room.id}", type="primary"):
        try:
            with session_scope(engine()) as session:
                url = accounts.start_linking(session, user=user, room_id=room.id, oauth=goto().client)  # type: ignore[arg-type]
        except RoomDeskError as err:
            error(err)
        else:
            st.caption(t("rooms.going_to_goto", account=room.goto_account))
            _send_browser_to(url)
    if link.status != "not_linked" and buttons[1].button(t("rooms.test_connection"), key=f"test_{room.id}"):
        try:
            with session_scope(engine()) as session:
                count = accounts.test_connection(session, user=user, room_id=room.id, api=goto().client)  # type: ignore[arg-type]
            st.success(t("rooms.test_ok", count=count))
        except RoomDeskError as err:
            error(err)
    if link.status != "not_linked" and buttons[2].button(t("rooms.unlink"), key=f"unlink_{room.id}"):
        with session_scope(engine()) as session:
            accounts.unlink(session, user=user, room_id=room.id)  # type: ignore[arg-type]
        flash(t("rooms.unlinked", name=room.name))
        st.rerun()
    if not room.goto_account:
        st.caption(t("rooms.link_needs_account"))
