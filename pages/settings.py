"""Settings (admin): booking policy, who may use GoTo, run-as user, external access, activation, fields."""

from __future__ import annotations

import streamlit as st

from core.access import addon, auth, external_access, settings
from core.admin import activation
from core.booking import rooms
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from ui.session import engine, error, flash, guard, lang, t

user = guard("admin")
st.title(t("settings.title"))

with session_scope(engine()) as session:
    forbid = settings.forbid_overbooking(session)
    access = external_access.get_external_access(session)
    url = external_access.show_redirect_url(session, user=user)
    people = auth.list_users(session)
    groups = {g.id: g.name for g in rooms.list_groups(session)}
    config = addon.get_addon_settings(session)
    state = activation.activation_state(session)
    system_name = activation.default_system_name(session)


def save(action, **values) -> None:  # type: ignore[no-untyped-def]
    """Run one settings service in its own transaction; a refusal is shown, a success reruns the page."""
    try:
        with session_scope(engine()) as session:
            action(session, user=user, **values)
        flash(t("settings.saved"))
        st.rerun()
    except RoomDeskError as err:
        error(err)


def when(moment) -> str:  # type: ignore[no-untyped-def]
    return format_datetime(moment, lang(), user.time_zone) if moment else "—"


st.subheader(t("settings.policy"))
new_forbid = st.toggle(
    t("settings.forbid_overbooking"), value=forbid, key="forbid_overbooking", help=t("settings.forbid_overbooking_help")
)
if new_forbid != forbid:
    save(settings.set_forbid_overbooking, forbid=new_forbid)

st.subheader(t("addon.title"))
with st.form("authorized_groups_form"):
    chosen = st.multiselect(
        t("addon.authorized_groups"),
        list(groups),
        default=list(config.authorized_group_ids),
        format_func=groups.get,
        key="authorized_groups",
        help=t("addon.authorized_groups_help"),
    )
    if st.form_submit_button(t("action.save")):
        save(addon.set_authorized_groups, group_ids=chosen)
names = {p.id: p.display_name for p in people}
options = [None, *names]
run_as = st.selectbox(
    t("addon.run_as"),
    options,
    key="run_as_user",
    help=t("addon.run_as_help"),
    format_func=lambda i: t("addon.run_as_none") if i is None else names[i],
    index=options.index(config.run_as_user_id) if config.run_as_user_id in options else 0,
)
if run_as != config.run_as_user_id:
    save(addon.set_run_as_user, run_as_user_id=run_as)
for warning in config.warnings:
    st.warning(warning.message(lang()), icon=":material/warning:")

st.subheader(t("settings.external"))
st.caption(t("settings.external_intro"))
if url:
    st.code(url, language=None)  # st.code has a copy button
    if access.activation_valid:
        st.success(t("settings.activation_valid"), icon=":material/check_circle:")
    else:
        st.error(t("settings.activation_invalid"), icon=":material/warning:")
request = state.request
if state.state == "active" and request is not None:
    st.caption(t("activation.state_active", by=request.decided_by or "—", at=when(request.decided_at)))
elif state.state == "pending":
    st.info(
        t("activation.state_pending", by=request.requested_by, at=when(request.requested_at)),  # type: ignore[union-attr]
        icon=":material/hourglass_top:",
    )
elif state.state == "rejected":
    st.warning(
        t("activation.state_rejected", by=request.decided_by, reason=request.reason),  # type: ignore[union-attr]
        icon=":material/block:",
    )
if state.state in ("not_requested", "rejected"):
    with st.form("activation_request_form"):
        st.caption(t("activation.request_intro"))
        left, right = st.columns(2)
        name = left.text_input(t("activation.system_name"), value=system_name, key="activation_system_name")
        contact = right.text_input(t("activation.contact"), value=user.email or "", key="activation_contact")
        if st.form_submit_button(t("activation.request"), type="primary"):
            save(activation.file_request, system_name=name, contact=contact)
with st.form("external_address"):
    address = st.text_input(
        t("settings.system_address"),
        value=access.system_address,
        key="system_address",
        placeholder="https://roomdesk.example.org",
        help=t("settings.system_address_help"),
    )
    if st.form_submit_button(t("action.save")):
        save(external_access.set_system_address, address=address)
chosen_access = st.selectbox(
    t("settings.access_user"),
    list(names),
    format_func=names.get,
    key="access_user",
    index=list(names).index(access.access_user_id) if access.access_user_id in names else None,
    help=t("settings.access_user_help"),
)
if chosen_access is not None and chosen_access != access.access_user_id:
    save(external_access.set_access_user, access_user_id=chosen_access)
with st.popover(t("settings.regenerate"), disabled=not access.has_token):
    st.warning(t("settings.regenerate_warning"))
    if st.button(t("settings.regenerate_really"), type="primary", key="regenerate_token"):
        with session_scope(engine()) as session:
            external_access.regenerate_token(session, user=user)
        flash(t("settings.regenerated"))
        st.rerun()

st.subheader(t("addon.fields"))
st.caption(t("addon.fields_intro"))
st.dataframe(
    [
        {
            t("addon.field_name"): f.name,
            t("addon.field_label"): t(f.label_key),
            t("addon.field_where"): t(f"addon.field_on_{f.entity}"),
            t("addon.field_shown"): t("addon.field_visible") if f.visible else t("addon.field_internal"),
            t("addon.field_purpose"): t(f.purpose_key),
        }
        for f in addon.FIELDS
    ],
    hide_index=True,
    width="stretch",
)
