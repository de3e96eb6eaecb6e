"""The Settings page's forms: each section changes nothing until its Save, and a refusal keeps what was chosen.

Every form saves through one core service in one transaction, so a refused part stores nothing of the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import streamlit as st

from core.access import addon, external_access, settings
from core.access.addon import AddonSettings
from core.access.external_access import ExternalAccess
from core.admin import activation
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.kernel.models import User
from ui.session import engine, error, flash, lang, t


def _save(user: User, action: Callable[..., Any], done: str, **values: Any) -> None:
    """Run one settings service in its own transaction; a refusal is shown, a success reruns the page."""
    try:
        with session_scope(engine()) as session:
            action(session, user=user, **values)
    except RoomDeskError as err:
        error(err)
    else:
        flash(done)
        st.rerun()


def policy_form(user: User, forbid: bool) -> None:
    """Whether an overbooking warning may be overridden."""
    with st.form("booking_policy_form"):
        chosen = st.toggle(
            t("settings.forbid_overbooking"),
            value=forbid,
            key="forbid_overbooking",
            help=t("settings.forbid_overbooking_help"),
        )
        if st.form_submit_button(t("action.save")):
            _save(user, settings.set_forbid_overbooking, t("settings.saved"), forbid=chosen)


def goto_features_form(user: User, config: AddonSettings, groups: dict[int, str], names: dict[int, str]) -> None:
    """Who may use GoTo, and the user the add-on runs as; the warnings about the stored choice below."""
    options: list[int | None] = [None, *names]
    with st.form("authorized_groups_form"):
        chosen = st.multiselect(
            t("addon.authorized_groups"),
            list(groups),
            default=list(config.authorized_group_ids),
            format_func=groups.get,
            key="authorized_groups",
            help=t("addon.authorized_groups_help"),
        )
        run_as = st.selectbox(
            t("addon.run_as"),
            options,
            key="run_as_user",
            help=t("addon.run_as_help"),
            format_func=lambda i: t("addon.run_as_none") if i is None else names[i],
            index=options.index(config.run_as_user_id) if config.run_as_user_id in options else 0,
        )
        if st.form_submit_button(t("action.save")):
            _save(user, addon.save_goto_features, t("settings.saved"), group_ids=chosen, run_as_user_id=run_as)
    for warning in config.warnings:
        st.warning(warning.message(lang()), icon=":material/warning:")


def redirect_url_state(access: ExternalAccess, url: str | None, state: activation.ActivationState, user: User) -> None:
    """The redirect URL to register at GoTo, whether it is registered, and where its activation request stands."""
    if url:
        st.code(url, language=None)  # st.code has a copy button
        if access.activation_valid:
            st.success(t("settings.activation_valid"), icon=":material/check_circle:")
        else:
            st.error(t("settings.activation_invalid"), icon=":material/warning:")
    request = state.request
    if request is None:
        return

    def when(moment: datetime | None) -> str:
        return format_datetime(moment, lang(), user.time_zone) if moment else "—"

    if state.state == "active":
        st.caption(t("activation.state_active", by=request.decided_by or "—", at=when(request.decided_at)))
    elif state.state == "pending":
        st.info(
            t("activation.state_pending", by=request.requested_by, at=when(request.requested_at)),
            icon=":material/hourglass_top:",
        )
    elif state.state == "rejected":
        st.warning(
            t("activation.state_rejected", by=request.decided_by, reason=request.reason), icon=":material/block:"
        )


def activation_request_form(user: User, state: activation.ActivationState, system_name: str) -> None:
    """Ask support to register the redirect URL; offered while nothing is requested or the last was rejected."""
    if state.state not in ("not_requested", "rejected"):
        return
    with st.form("activation_request_form"):
        st.caption(t("activation.request_intro"))
        left, right = st.columns(2)
        name = left.text_input(t("activation.system_name"), value=system_name, key="activation_system_name")
        contact = right.text_input(t("activation.contact"), value=user.email or "", key="activation_contact")
        if st.form_submit_button(t("activation.request"), type="primary"):
            _save(user, activation.file_request, t("activation.requested_flash"), system_name=name, contact=contact)


def external_access_form(user: User, access: ExternalAccess, names: dict[int, str]) -> None:
    """The address GoTo sends people back to, and the user the account-link callback runs as."""
    with st.form("external_address"):
        address = st.text_input(
            t("settings.system_address"),
            value=access.system_address,
            key="system_address",
            placeholder="https://roomdesk.example.org",
            help=t("settings.system_address_help"),
        )
        access_user = st.selectbox(
            t("settings.access_user"),
            list(names),
            format_func=names.get,
            key="access_user",
            index=list(names).index(access.access_user_id) if access.access_user_id in names else None,
            help=t("settings.access_user_help"),
        )
        if st.form_submit_button(t("action.save")):
            _save(
                user,
                external_access.save_external_access,
                t("settings.saved"),
                address=address,
                access_user_id=access_user,
            )


def regenerate_token(user: User, access: ExternalAccess) -> None:
    """A new redirect-URL token, behind a confirmation: the old URL stops working."""
    with st.popover(t("settings.regenerate"), disabled=not access.has_token):
        st.warning(t("settings.regenerate_warning"))
        if st.button(t("settings.regenerate_really"), type="primary", key="regenerate_token"):
            _save(user, external_access.regenerate_token, t("settings.regenerated"))
