"""Settings (admin): booking policy, who may use GoTo, run-as user, external access, activation, fields."""

from __future__ import annotations

import streamlit as st

from core.access import addon, auth, external_access, settings
from core.admin import activation
from core.booking import rooms
from core.kernel.db import session_scope
from ui import settings_forms as forms
from ui.session import engine, guard, t

user = guard("admin")
st.title(t("settings.title"))

with session_scope(engine()) as session:
    forbid = settings.forbid_overbooking(session)
    access = external_access.get_external_access(session)
    url = external_access.show_redirect_url(session, user=user)
    names = {p.id: p.display_name for p in auth.list_users(session)}
    groups = {g.id: g.name for g in rooms.list_groups(session)}
    config = addon.get_addon_settings(session)
    state = activation.activation_state(session)
    system_name = activation.default_system_name(session)

st.subheader(t("settings.policy"))
forms.policy_form(user, forbid)

st.subheader(t("addon.title"))
forms.goto_features_form(user, config, groups, names)

st.subheader(t("settings.external"))
st.caption(t("settings.external_intro"))
forms.redirect_url_state(access, url, state, user)
forms.activation_request_form(user, state, system_name)
forms.external_access_form(user, access, names)
forms.regenerate_token(user, access)

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
