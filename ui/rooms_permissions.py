"""Who may book (and manage) a room: the grants, revoking one, and granting a user or a group."""

from __future__ import annotations

import streamlit as st

from core.access import auth
from core.booking import rooms
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.models import Room, User
from ui.session import engine, error, t


def permissions_panel(user: User, room: Room) -> None:
    """The room's grants with a Revoke button each, and the form for a new grant."""
    st.subheader(t("rooms.permissions"))
    with session_scope(engine()) as session:
        grants = rooms.list_permissions(session, user=user, room_id=room.id)  # type: ignore[arg-type]
        users, groups = auth.list_users(session), rooms.list_groups(session)
    for perm in grants:
        left, right = st.columns([5, 1])
        rights = " · ".join(
            t(k) for k, on in (("rooms.may_book", perm.may_book), ("rooms.may_manage", perm.may_manage)) if on
        )
        icon = ":material/person:" if perm.subject_kind == "user" else ":material/group:"
        left.write(f"{icon} **{perm.subject_name}** — {rights or '—'}")
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
        subject = st.selectbox(
            t("rooms.subject"), list(subjects), format_func=subjects.get, key=f"grant_subject_{room.id}"
        )
        book = st.checkbox(t("rooms.may_book"), value=True, key=f"grant_book_{room.id}")
        manage = st.checkbox(t("rooms.may_manage"), key=f"grant_manage_{room.id}")
        if st.form_submit_button(t("rooms.grant")):
            kind, subject_id = subject.split(":")
            try:
                with session_scope(engine()) as session:
                    rooms.grant(
                        session,
                        user=user,
                        room_id=room.id,  # type: ignore[arg-type]
                        may_book=book,
                        may_manage_room=manage,
                        **{f"{kind}_id": int(subject_id)},
                    )
                st.rerun()
            except RoomDeskError as err:
                error(err)
