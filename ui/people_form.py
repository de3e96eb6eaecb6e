"""The person form of the People page: one form for a new person and for editing one."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

import streamlit as st

from core.access.auth import NO_MEMBERS
from core.access.people import Person
from core.kernel.models import Role
from ui.session import t


def person_form(
    key: str, person: Person | None, group_names: list[str], *, submit: str, with_password: bool = False
) -> dict[str, Any] | None:
    """The submitted fields (keyword arguments of the people services), or None until submitted."""
    user = person.user if person else None
    zones = sorted(available_timezones())
    roles = [r.value for r in Role]
    languages = {"": t("profile.language_browser"), "en": "English", "de": "Deutsch"}
    choosable = [g for g in group_names if g not in NO_MEMBERS]
    with st.form(key, clear_on_submit=user is None):
        username = st.text_input(t("people.username"), key=f"{key}_username") if user is None else None
        display_name = st.text_input(
            t("people.display_name"), value=user.display_name if user else "", key=f"{key}_display"
        )
        email = st.text_input(t("people.email"), value=(user.email or "") if user else "", key=f"{key}_email")
        role = st.selectbox(
            t("people.role"),
            roles,
            index=roles.index(user.role) if user else roles.index("staff"),
            format_func=lambda r: t(f"role.{r}"),
            key=f"{key}_role",
        )
        groups = st.multiselect(
            t("people.groups"),
            choosable,
            default=[g for g in (person.groups if person else []) if g in choosable],
            key=f"{key}_groups",
        )
        language = st.selectbox(
            t("people.language"),
            list(languages),
            index=list(languages).index((user.language or "") if user else ""),
            format_func=languages.get,
            key=f"{key}_language",
        )
        zone = st.selectbox(
            t("people.time_zone"),
            zones,
            index=zones.index(user.time_zone if user else "Europe/Berlin"),
            key=f"{key}_zone",
        )
        password = (
            st.text_input(t("people.password"), type="password", key=f"{key}_password", help=t("password.rule"))
            if with_password
            else None
        )
        if not st.form_submit_button(submit, type="primary"):
            return None
    data: dict[str, Any] = {
        "display_name": display_name,
        "email": email or None,
        "role": role,
        "groups": tuple(groups),
        "language": language or None,
        "time_zone": zone,
    }
    if user is None:
        data |= {"username": username or "", "password": password or None}
    return data
