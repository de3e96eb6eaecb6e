"""Rooms (admin): one room per GoTo account; create, edit, deactivate, and who may book it."""

from __future__ import annotations

import streamlit as st

from core.access import auth
from core.booking import rooms
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.meetings import accounts
from ui.goto import goto
from ui.session import engine, error, flash, guard, lang, t

user = guard("admin")
st.title(t("rooms.title"))
st.caption(t("rooms.intro"))


with session_scope(engine()) as session:
    all_rooms = rooms.list_rooms(session, user=user, include_inactive=True)
    users = auth.list_users(session)
    groups = rooms.list_groups(session)

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

with st.expander(t("rooms.new"), expanded=not all_rooms):
    with st.form("new_room", clear_on_submit=True):
        name = st.text_input(t("rooms.name"), key="new_room_name")
        account = st.text_input(t("rooms.goto_account"), key="new_room_account", help=t("rooms.goto_account_help"))
        description = st.text_area(t("rooms.description"), key="new_room_description")
        if st.form_submit_button(t("rooms.create"), type="primary"):
            try:
                with session_scope(engine()) as session:
                    room = rooms.create_room(session, user=user, data=rooms.RoomInput(name, account, description))
                flash(t("rooms.created", name=room.name))
                st.rerun()
            except RoomDeskError as err:
                error(err)

if not all_rooms:
    st.stop()
st.subheader(t("rooms.edit"))
by_id = {r.id: r for r in all_rooms}
room = by_id[st.selectbox(t("rooms.room"), list(by_id), format_func=lambda i: by_id[i].name, key="edit_room")]
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
                rooms.update_room(session, user=user, room_id=room.id, data=rooms.RoomInput(name, account, description))
            flash(t("rooms.saved", name=name))
            st.rerun()
        except RoomDeskError as err:
            error(err)
toggle = t("rooms.deactivate") if room.active else t("rooms.reactivate")
if st.button(toggle, key=f"toggle_room_{room.id}"):
    with session_scope(engine()) as session:
        rooms.set_room_active(session, user=user, room_id=room.id, active=not room.active)
    flash(t("rooms.deactivated" if room.active else "rooms.reactivated", name=room.name))
    st.rerun()

st.subheader(t("rooms.permissions"))
with session_scope(engine()) as session:
    grants = rooms.list_permissions(session, user=user, room_id=room.id)
for perm in grants:
    left, right = st.columns([5, 1])
    rights = " · ".join(
        t(k) for k, on in (("rooms.may_book", perm.may_book), ("rooms.may_manage", perm.may_manage)) if on
    )
    left.write(
        f"{':material/person:' if perm.subject_kind == 'user' else ':material/group:'} **{perm.subject_name}** — {rights or '—'}"
    )
    if right.button(t("rooms.revoke"), key=f"revoke_{perm.id}"):
        with session_scope(engine()) as session:
            rooms.revoke(session, user=user, permission_id=perm.id)
        st.rerun()
if not grants:
    st.info(t("rooms.no_permissions"))
subjects = {f"group:{g.id}": t("rooms.group_label", name=g.name) for g in groups} | {
    f"user:{u.id}": t("rooms.user_label", name=u.display_name) for u in users
}
with st.form(f"grant_{room.id}", clear_on_submit=True):
    subject = st.selectbox(t("rooms.subject"), list(subjects), format_func=subjects.get, key=f"grant_subject_{room.id}")
    book = st.checkbox(t("rooms.may_book"), value=True, key=f"grant_book_{room.id}")
    manage = st.checkbox(t("rooms.may_manage"), key=f"grant_manage_{room.id}")
    if st.form_submit_button(t("rooms.grant")):
        try:
            with session_scope(engine()) as session:
                kind, subject_id = subject.split(":")
                rooms.grant(
                    session,
                    user=user,
                    room_id=room.id,
                    may_book=book,
                    may_manage_room=manage,
                    **{f"{kind}_id": int(subject_id)},
                )
            st.rerun()
        except RoomDeskError as err:
            error(err)

st.subheader(t("rooms.goto_link"))
with session_scope(engine()) as session:
    link = accounts.link_statuses(session, [room.id])[room.id]
status_text = {
    "not_linked": t("rooms.not_linked"),
    "linked": t("rooms.linked"),
    "needs_relinking": t("rooms.needs_relinking"),
}[link.status]
(st.error if link.status == "needs_relinking" else st.info if link.status == "not_linked" else st.success)(
    status_text + (f" — {link.email}" if link.email else "")
)
if link.status != "not_linked":
    st.caption(
        t(
            "rooms.link_details",
            expires=format_datetime(link.expires_at, lang(), user.time_zone) if link.expires_at else "—",
            refreshed=format_datetime(link.last_refresh_at, lang(), user.time_zone) if link.last_refresh_at else "—",
        )
    )
    if link.last_error:
        st.caption(t("rooms.link_last_error", error=link.last_error))
buttons = st.columns(3)
if room.goto_account and buttons[0].button(t("rooms.link"), key=f"link_{room.id}", type="primary"):
    try:
        with session_scope(engine()) as session:
            st.session_state[f"authorize_{room.id}"] = accounts.start_linking(
                session, user=user, room_id=room.id, oauth=goto().client
            )
    except RoomDeskError as err:
        error(err)
if url := st.session_state.get(f"authorize_{room.id}"):
    st.link_button(t("rooms.continue_to_goto"), url, icon=":material/login:")
    st.caption(t("rooms.continue_hint", account=room.goto_account))
if link.status != "not_linked" and buttons[1].button(t("rooms.test_connection"), key=f"test_{room.id}"):
    try:
        with session_scope(engine()) as session:
            count = accounts.test_connection(session, user=user, room_id=room.id, api=goto().client)
        st.success(t("rooms.test_ok", count=count))
    except RoomDeskError as err:
        error(err)
if link.status != "not_linked" and buttons[2].button(t("rooms.unlink"), key=f"unlink_{room.id}"):
    with session_scope(engine()) as session:
        accounts.unlink(session, user=user, room_id=room.id)
    flash(t("rooms.unlinked", name=room.name))
    st.rerun()
if not room.goto_account:
    st.caption(t("rooms.link_needs_account"))
