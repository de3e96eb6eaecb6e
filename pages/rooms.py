"""Rooms (admin): one room per GoTo account; create, edit, deactivate, who may book it, and its GoTo link."""

from __future__ import annotations

import streamlit as st

from core.booking import rooms
from core.kernel.db import session_scope
from ui.rooms_forms import edit_room_form, new_room_form, rooms_table
from ui.rooms_link import ROOM_KEY, link_panel, linking_result
from ui.rooms_permissions import permissions_panel
from ui.session import engine, guard, t

user = guard("admin")
linking_result()
st.title(t("rooms.title"))
st.caption(t("rooms.intro"))

with session_scope(engine()) as session:
    all_rooms = rooms.list_rooms(session, user=user, include_inactive=True)
rooms_table(all_rooms)
new_room_form(user, expanded=not all_rooms)
if not all_rooms:
    st.stop()

st.subheader(t("rooms.edit"))
by_id = {r.id: r for r in all_rooms}
if st.session_state.get(ROOM_KEY) not in by_id:
    st.session_state.pop(ROOM_KEY, None)  # a room picked before it was deactivated elsewhere, or a stale link
room = by_id[st.selectbox(t("rooms.room"), list(by_id), format_func=lambda i: by_id[i].name, key=ROOM_KEY)]
edit_room_form(user, room)
permissions_panel(user, room)
link_panel(user, room)
