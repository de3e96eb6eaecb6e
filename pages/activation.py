"""Activation desk (support; admins may look): register systems' redirect URLs at GoTo, or reject them."""

from __future__ import annotations

import streamlit as st

from core.admin import activation
from core.goto.sandbox import SANDBOX_CLIENT_ID
from core.kernel.config import get_settings
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from ui.goto import goto
from ui.session import engine, error, flash, guard, lang, t

user = guard("support", "admin")
st.title(t("activation.title"))
st.caption(t("activation.intro"))
may_act = user.role == "support"
connection = goto()
register = activation.sandbox_registrar(connection.sandbox.data_dir) if connection.sandbox else None
client_id = SANDBOX_CLIENT_ID if connection.sandbox else get_settings().goto_client_id or "—"
center = f"{connection.sandbox.url}/developer" if connection.sandbox else "https://developer.goto.com/"


def when(moment) -> str:  # type: ignore[no-untyped-def]
    return format_datetime(moment, lang(), user.time_zone) if moment else "—"


status = st.segmented_control(
    t("activation.show"),
    [*activation.STATUSES, "all"],
    default=activation.PENDING,
    format_func=lambda s: t(f"activation.status_{s}"),
    key="activation_status",
)
with session_scope(engine()) as session:
    requests = activation.list_requests(session, user=user, status=None if status in (None, "all") else status)
    pending = activation.pending_urls(session, user=user)

with st.expander(t("activation.bulk", count=len(pending))):
    st.caption(t("activation.bulk_intro"))
    st.code("\n".join(pending) or t("activation.bulk_empty"), language=None)

if not requests:
    st.info(t("activation.none"))
    st.stop()
table = st.dataframe(
    [
        {
            t("activation.system_name"): r.system_name,
            t("activation.status"): t(f"activation.status_{r.status}"),
            t("activation.requested_by"): r.requested_by,
            t("activation.requested_at"): when(r.requested_at),
            t("activation.redirect_url"): r.url,
        }
        for r in requests
    ],
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="activation_table",
)
picked = requests[table.selection.rows[0]] if table and table.selection.rows else requests[0]

st.subheader(t("activation.request_title", system=picked.system_name, id=picked.id))
st.markdown(
    t(f"activation.status_{picked.status}")
    + " · "
    + t(
        "activation.requested_line", by=picked.requested_by, at=when(picked.requested_at), contact=picked.contact or "—"
    )
)
if picked.note:
    st.caption(picked.note)
if picked.is_current:
    st.code(picked.url, language=None)  # the copy button sits on the code block
else:
    st.caption(t("activation.url_outdated", hint=picked.url))
if picked.status == activation.REGISTERED:
    st.success(
        t(
            "activation.registered_line",
            by=picked.decided_by,
            at=when(picked.decided_at),
            via=t(f"activation.via_{picked.registered_via or 'manual'}"),
        ),
        icon=":material/check_circle:",
    )
elif picked.status == activation.REJECTED:
    st.warning(t("activation.rejected_line", by=picked.decided_by, at=when(picked.decided_at), reason=picked.reason))
if picked.status != activation.PENDING:
    st.stop()

st.markdown(f"**{t('activation.checklist')}**")
done = [
    st.checkbox(t(step, client=client_id, center=center), key=f"step_{i}_{picked.id}", disabled=not may_act)
    for i, step in enumerate(activation.DEVELOPER_CENTER_STEPS)
]
if register is not None:
    st.info(t("activation.sandbox_note"), icon=":material/science:")
if not may_act:
    st.caption(t("activation.view_only"))
    st.stop()
left, right = st.columns([1, 3])
if left.button(
    t("activation.mark_registered"),
    type="primary",
    key=f"mark_registered_{picked.id}",
    disabled=register is None and not all(done),
    icon=":material/verified:",
):
    try:
        with session_scope(engine()) as session:
            activation.mark_registered(
                session, user=user, request_id=picked.id, register=register, steps_confirmed=all(done)
            )
        flash(t("activation.marked", system=picked.system_name))
        st.rerun()
    except RoomDeskError as err:
        error(err)
with right.popover(t("activation.reject"), icon=":material/block:"):
    reason = st.text_area(t("activation.reason"), key=f"reject_reason_{picked.id}", max_chars=500)
    if st.button(t("activation.reject_really"), key=f"reject_{picked.id}"):
        try:
            with session_scope(engine()) as session:
                activation.reject(session, user=user, request_id=picked.id, reason=reason)
            flash(t("activation.rejected", system=picked.system_name))
            st.rerun()
        except RoomDeskError as err:
            error(err)
