"""The Rooms page's list and forms: every room at a glance, a new room, and editing the chosen one."""

from __future__ import annotations

import streamlit as st

from core.booking import rooms
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.models import Room, User
from ui.session import engine, error, flash, t

NEW_ROOM_KEYS = ("new_room_name", "new_room_account", "new_room_description")


def rooms_table(all_rooms: list[Room]) -> None:
    """Name, GoTo account, description and status of every room."""
    st.dataframe(
        [
            {
                t("rooms.name"): r.name,
                t("rooms.goto_account"): r.goto_account or "—",
                t("rooms.description"): r.description,
                t("rooms.status"): t("rooms.active") if r.active else t("rooms.inactive"),
            }
            for r in all_rooms
        ],
        hide_index=True,
        width="stretch",
    )


def new_room_form(user: User, *, expanded: bool) -> None:
    """A new room; what was typed stays in the form when a field is wrong, and is cleared once it is saved."""
    with st.expander(t("rooms.new"), expanded=expanded), st.form("new_room"):
        name = st.text_input(t("rooms.name"), key="new_room_name")
        account = st.text_input(t("rooms.goto_account"), key="new_room_account", help=t("rooms.goto_account_help"))
        description = st.text_area(t("rooms.description"), key="new_room_description")
        if st.form_submit_button(t("rooms.create"), type="primary"):
            try:
                with session_scope(engine()) as session:
                    room = rooms.create_room(session, user=user, data=rooms.RoomInput(name, account, description))
            except RoomDeskError as err:
                error(err)
            else:
                for key in NEW_ROOM_KEYS:
                    del st.session_state[key]
                flash(t("rooms.created", name=room.name))
                st.rerun()


def edit_room_form(user: User, room: Room) -> None:
    """Name, GoTo account and description of the chosen room, and (de)activating it."""
    with st.form(f"edit_room_{room.id}"):
        name = st.text_input(t("rooms.name"), value=room.name, key=f"edit_name_{room.id}")
        account = st.text_input(
            t("rooms.goto_account"),
            value=room.goto_account or "",
            key=f"edit_account_{room.id}",
            help=t("rooms.goto_account_help"),
        )
        description = st.text_area(t("rooms.description"), value=room.description, key=f"edit_description_{room.id}")
        if st.form_submit_button(t("action.save"), type="primary"):
            try:
                with session_scope(engine()) as session:
                    data = rooms.RoomInput(name, account, description)
                    rooms.update_room(session, user=user, room_id=room.id, data=data)  # type: ignore[arg-type]
                flash(t("rooms.saved", name=name))
                st.rerun()
            except RoomDeskError as err:
                error(err)
    toggle = t("rooms.deactivate") if room.active else t("rooms.reactivate")
    if st.button(toggle, key=f"toggle_room_{room.id}"):
        with session_scope(engine()) as session:
            rooms.set_room_active(session, user=user, room_id=room.id, active=not room.active)  # type: ignore[arg-type]
        flash(t("rooms.deactivated" if room.active else "rooms.reactivated", name=room.name))
        st.rerun()
