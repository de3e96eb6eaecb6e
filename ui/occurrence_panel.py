"""On the Appointments page: one occurrence of a series (open it, skip it, edit the series), and "make recurring"."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core.booking.appointments import AppointmentView
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime, format_time
from core.kernel.models import User
from core.meetings import jobs as meetings
from core.series import occurrences
from core.series.rules import describe_rule
from core.series.views import get_occurrence, upcoming
from ui.goto import goto
from ui.session import engine, error, flash, lang, t

EDIT = "series_edit"  # what the Series page should open: {"id", "start"} or {"convert": appointment id}


def occurrence_panel(user: User, series_id: int, start: datetime) -> None:
    """What a selected occurrence row offers; opening it detaches it and creates its GoTo meeting (rule 7)."""
    try:
        with session_scope(engine()) as s:
            view = get_occurrence(s, user=user, series_id=series_id, start=start)
    except RoomDeskError as err:
        error(err)
        return
    if view.opened_id is not None:  # opened meanwhile (by someone else or the worker): edit it as an appointment
        st.session_state["editing"] = view.opened_id
        st.rerun()
    zone = user.time_zone
    st.divider()
    st.subheader(view.subject)
    st.markdown(
        t(
            "series.occurrence_of",
            when=f"{format_datetime(view.start, lang(), zone)} – {format_time(view.end, lang(), zone)}",
            rule=describe_rule(view.rule, view.time_zone, lang()),
            room=view.room or "—",
            organizer=view.organizer,
        )
    )
    if view.overbooked_with:
        st.warning(
            t("appointments.is_overbooked", names=", ".join(f"“{c['subject']}”" for c in view.overbooked_with)),
            icon=":material/error:",
        )
    st.caption(t("series.open_explain"))
    left, mid, right = st.columns(3)
    if left.button(t("series.open"), type="primary", key="open_occurrence", icon=":material/open_in_new:"):
        try:
            with session_scope(engine()) as s:
                opened = occurrences.open_occurrence(s, user=user, series_id=series_id, start=start)
            state = meetings.sync_now(engine(), goto().client, opened.id)  # type: ignore[arg-type]
            message = t("series.opened", subject=view.subject)
            flash(message + (" " + t("meeting.saved_pending") if state.state == "pending" else ""))
            st.session_state["editing"] = opened.id
            st.rerun()
        except RoomDeskError as err:
            error(err)
    if mid.button(t("series.edit_series"), key="edit_series", icon=":material/event_repeat:"):
        st.session_state[EDIT] = {"id": series_id, "start": start}
        st.switch_page("pages/series.py")
    with right.popover(t("series.delete_occurrence"), icon=":material/event_busy:"):
        st.write(t("series.delete_occurrence_confirm", when=format_datetime(view.start, lang(), zone)))
        if st.button(t("series.delete_occurrence_really"), type="primary", key="delete_occurrence"):
            try:
                with session_scope(engine()) as s:
                    jobs = occurrences.delete_occurrence(s, user=user, series_id=series_id, start=start)
                for job in jobs:  # the meeting goes at GoTo now; if GoTo is down the worker retries
                    meetings.run_now(engine(), goto().client, job)
                flash(t("series.occurrence_deleted", when=format_datetime(view.start, lang(), zone)))
                st.rerun()
            except RoomDeskError as err:
                error(err)


def make_recurring_button(view: AppointmentView) -> None:
    """Below a saved appointment: turn it into a series on the Series page."""
    if st.button(t("series.make_recurring"), key=f"make_recurring_{view.id}", icon=":material/event_repeat:"):
        st.session_state[EDIT] = {"convert": view.id}
        st.switch_page("pages/series.py")


def upcoming_occurrences(user: User, series_id: int) -> None:
    """Below a series: its next occurrences, each of which can be opened right here."""
    with session_scope(engine()) as s:
        starts = upcoming(s, user=user, series_id=series_id)
    if not starts:
        return
    st.markdown(f"**{t('series.upcoming')}**")
    for i, start in enumerate(starts):
        when, button = st.columns([3, 1])
        when.write(format_datetime(start, lang(), user.time_zone))
        if button.button(t("series.open"), key=f"open_upcoming_{i}"):
            try:
                with session_scope(engine()) as s:
                    opened = occurrences.open_occurrence(s, user=user, series_id=series_id, start=start)
                meetings.sync_now(engine(), goto().client, opened.id)  # type: ignore[arg-type]
                flash(t("series.opened", subject=opened.subject))
                st.session_state["editing"] = opened.id
                st.switch_page("pages/appointments.py")
            except RoomDeskError as err:
                error(err)
