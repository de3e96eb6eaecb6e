"""People (admin): find, create and edit users, deactivate or reactivate them, send a one-time set-password link."""

from __future__ import annotations

import streamlit as st

from core.access import people
from core.admin.password_links import issue_reset_link
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.kernel.models import Role
from ui.people_form import person_form
from ui.session import app_address, engine, error, flash, guard, lang, t

user = guard("admin")
st.title(t("people.title"))
with session_scope(engine()) as session:
    group_names = [g.group.name for g in people.list_groups(session, actor=user)]
roles = [r.value for r in Role]
any_ = t("people.any")
search, role, group, status = st.columns([3, 1, 1, 1])
query = search.text_input(t("people.search"), key="people_search", placeholder=t("people.search_help"))
role_filter = role.selectbox(
    t("people.filter_role"), [any_, *roles], key="people_role", format_func=lambda r: r if r == any_ else t(f"role.{r}")
)
group_filter = group.selectbox(t("people.filter_group"), [any_, *group_names], key="people_group")
states = {any_: None, t("people.active"): True, t("people.inactive"): False}
active = states[status.selectbox(t("people.filter_active"), list(states), key="people_active")]
with session_scope(engine()) as session:
    found = people.list_people(
        session,
        actor=user,
        search=query,
        role=None if role_filter == any_ else role_filter,
        group=None if group_filter == any_ else group_filter,
        active=active,
    )
st.caption(t("people.count", count=len(found)))
st.dataframe(
    [
        {
            t("people.col_username"): p.user.username,
            t("people.col_name"): p.user.display_name,
            t("people.col_email"): p.user.email or "—",
            t("people.col_role"): t(f"role.{p.user.role}"),
            t("people.col_groups"): ", ".join(p.groups),
            t("people.col_status"): t("people.active") if p.user.active else t("people.inactive"),
        }
        for p in found
    ],
    hide_index=True,
    width="stretch",
)

with st.expander(t("people.new"), expanded=False):
    data = person_form("new_person", None, group_names, submit=t("people.create"), with_password=True)
    if data is not None:
        try:
            with session_scope(engine()) as session:
                created = people.create_person(session, actor=user, **data)
            flash(t("people.created", name=created.display_name))
            st.rerun()
        except RoomDeskError as err:
            error(err)

if not found:
    st.info(t("people.none"))
    st.stop()
st.subheader(t("people.edit"))
by_id = {p.user.id: p for p in found}
picked = by_id[
    st.selectbox(
        t("people.pick"),
        list(by_id),
        format_func=lambda i: f"{by_id[i].user.display_name} ({by_id[i].user.username})",
        key="people_pick",
    )
]
data = person_form(f"edit_person_{picked.user.id}", picked, group_names, submit=t("action.save"))
if data is not None:
    try:
        with session_scope(engine()) as session:
            people.update_user(session, actor=user, user_id=picked.user.id, **data)
        flash(t("people.saved", name=data["display_name"] or picked.user.username))
        st.rerun()
    except RoomDeskError as err:
        error(err)

left, right = st.columns(2)
if picked.user.active and left.button(t("people.deactivate"), key="people_deactivate", icon=":material/person_off:"):
    try:
        with session_scope(engine()) as session:
            people.set_active(session, actor=user, user_id=picked.user.id, active=False)
        flash(t("people.deactivated", name=picked.user.display_name))
        st.rerun()
    except RoomDeskError as err:
        error(err)
if not picked.user.active and left.button(
    t("people.reactivate"), key="people_reactivate", icon=":material/person_add:"
):
    with session_scope(engine()) as session:
        people.set_active(session, actor=user, user_id=picked.user.id, active=True)
    flash(t("people.reactivated", name=picked.user.display_name))
    st.rerun()
if picked.user.active and right.button(t("people.reset"), key="people_reset", icon=":material/lock_reset:"):
    try:
        link = issue_reset_link(engine(), actor=user, user_id=picked.user.id, base_url=app_address())
        until = format_datetime(link.valid_until, lang(), user.time_zone)
        st.success(t("people.reset_link", name=picked.user.display_name, until=until), icon=":material/key:")
        st.code(link.url, language=None)
        if link.mailed_to:
            st.info(t("people.reset_mailed", email=link.mailed_to))
    except RoomDeskError as err:
        error(err)
