"""Groups (admin): create, rename, delete (refused while in use, with the reason) and members."""

from __future__ import annotations

import streamlit as st

from core.access import auth, people
from core.access.auth import NO_MEMBERS
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from ui.session import engine, error, flash, guard, t

user = guard("admin")
st.title(t("groups.title"))
st.info(t("groups.builtin_help"), icon=":material/info:")
with session_scope(engine()) as session:
    groups = people.list_groups(session, actor=user)
    users = auth.list_users(session)


def used_for(view: people.GroupView) -> str:
    uses = [t("groups.builtin")] if view.group.builtin else []
    uses += [t("groups.authorized")] if view.authorized else []
    uses += [t("groups.rights", count=view.room_rights)] if view.room_rights else []
    return ", ".join(uses) or "—"


st.dataframe(
    [
        {
            t("groups.col_name"): g.group.name,
            t("groups.col_members"): ", ".join(g.members),
            t("groups.col_used"): used_for(g),
        }
        for g in groups
    ],
    hide_index=True,
    width="stretch",
)

with st.form("new_group", clear_on_submit=True):
    name = st.text_input(t("groups.new_name"), key="new_group_name")
    if st.form_submit_button(t("groups.add"), type="primary"):
        try:
            with session_scope(engine()) as session:
                added = people.add_group(session, actor=user, name=name)
            flash(t("groups.added", name=added.name))
            st.rerun()
        except RoomDeskError as err:
            error(err)

by_id = {g.group.id: g for g in groups}
view = by_id[st.selectbox(t("groups.pick"), list(by_id), format_func=lambda i: by_id[i].group.name, key="group_pick")]
group = view.group
if not group.builtin:
    with st.form(f"rename_group_{group.id}"):
        new_name = st.text_input(t("groups.rename_to"), value=group.name, key=f"rename_group_name_{group.id}")
        if st.form_submit_button(t("groups.rename")):
            try:
                with session_scope(engine()) as session:
                    renamed = people.rename_group(session, actor=user, group_id=group.id, name=new_name)
                flash(t("groups.renamed", name=renamed.name))
                st.rerun()
            except RoomDeskError as err:
                error(err)
if group.name in NO_MEMBERS:
    st.caption(t("groups.no_members_here", name=group.name))
else:
    names = {u.id: f"{u.display_name} ({u.username})" for u in users}
    with st.form(f"group_members_{group.id}"):
        chosen = st.multiselect(
            t("groups.members"),
            list(names),
            default=[u.id for u in users if u.username in view.members],
            format_func=names.get,
            key=f"group_members_pick_{group.id}",
        )
        if st.form_submit_button(t("groups.save_members"), type="primary"):
            try:
                with session_scope(engine()) as session:
                    people.set_members(session, actor=user, group_id=group.id, user_ids=chosen)
                flash(t("groups.members_saved", name=group.name))
                st.rerun()
            except RoomDeskError as err:
                error(err)
if not group.builtin and st.button(t("groups.delete"), key="group_delete", icon=":material/delete:"):
    try:
        with session_scope(engine()) as session:
            people.delete_group(session, actor=user, group_id=group.id)
        flash(t("groups.deleted", name=group.name))
        st.rerun()
    except RoomDeskError as err:
        error(err)
