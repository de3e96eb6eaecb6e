"""Series (staff): recurring appointments, their cleanup (rule 8), and meetings ahead of time (admins)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import streamlit as st

from core.booking import appointments
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.meetings import jobs as meetings
from core.series import cleanup as series_cleanup
from core.series import occurrences
from core.series.rules import describe_rule
from core.series.views import get_series, list_series
from ui.goto import goto
from ui.occurrence_panel import EDIT, upcoming_occurrences
from ui.series_form import series_editor
from ui.session import engine, error, flash, guard, lang, t

user = guard("admin", "staff")
st.title(t("series.title"))

with session_scope(engine()) as session:
    due = series_cleanup.series_needing_cleanup(session)
if due:
    with st.container(border=True):
        st.warning(t("series.cleanup_due", count=len(due)), icon=":material/link_off:")
        st.dataframe(
            [
                {
                    t("series.subject"): d.subject,
                    t("series.first"): format_datetime(d.first_start, lang(), user.time_zone),
                    t("appointments.organizer"): d.organizer,
                }
                for d in due
            ],
            hide_index=True,
            width="stretch",
        )
        if st.button(t("series.cleanup_all"), type="primary", key="cleanup_all", icon=":material/cleaning_services:"):
            with session_scope(engine()) as session:
                cleaned = series_cleanup.clean_up_series(session, actor=user)
            flash(t("series.cleaned", count=len(cleaned)))
            st.rerun()
else:
    st.caption(t("series.cleanup_none"))

if user.role == "admin":
    with st.expander(t("series.meetings_ahead_hours")), session_scope(engine()) as session:
        hours = st.number_input(
            t("series.ahead_hours"),
            0,
            series_cleanup.MAX_AHEAD_HOURS,
            series_cleanup.meetings_ahead_hours(session),
            key="ahead_hours",
            help=t("series.ahead_help"),
        )
        if st.button(t("action.save"), key="save_ahead"):
            try:
                series_cleanup.set_meetings_ahead_hours(session, user=user, hours=int(hours))
                st.success(t("series.ahead_saved", hours=int(hours)))
            except RoomDeskError as err:
                error(err)

mine = st.toggle(t("appointments.mine"), key="series_mine")
with session_scope(engine()) as session:
    rows = list_series(session, user=user, mine_only=mine)
table = (
    None
    if not rows
    else st.dataframe(
        [
            {
                t("series.subject"): r.subject,
                t("series.rule"): describe_rule(r.rule, r.time_zone, lang()),
                t("appointments.room"): r.room or "—",
                t("appointments.organizer"): r.organizer,
                t("series.next"): format_datetime(r.next_start, lang(), user.time_zone) if r.next_start else "—",
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="series_table",
    )
)
if not rows:
    st.info(t("series.none"))
if st.button(t("series.new"), key="new_series", icon=":material/add:"):
    st.session_state[EDIT] = {"new": True}
elif table and table.selection.rows and st.session_state.get("series_picked") != rows[table.selection.rows[0]].id:
    st.session_state["series_picked"] = rows[table.selection.rows[0]].id
    st.session_state[EDIT] = {"id": rows[table.selection.rows[0]].id}

target = st.session_state.get(EDIT)
if not target:
    st.stop()
st.divider()
try:
    with session_scope(engine()) as session:
        view = get_series(session, user=user, series_id=target["id"]) if "id" in target else None
        single = (
            appointments.get_appointment(session, user=user, appointment_id=target["convert"])
            if "convert" in target
            else None
        )
except RoomDeskError as err:
    error(err)
    st.session_state.pop(EDIT, None)
    st.stop()
st.subheader(
    t("series.edit", subject=view.subject) if view else t("series.make_recurring") if single else t("series.new")
)
tz = ZoneInfo(user.time_zone)
seed = (
    {
        "key": f"c{single.id}",
        "subject": single.subject,
        "start": single.starts_at.astimezone(tz),
        "end": single.ends_at.astimezone(tz),
        "room_id": single.room_id,
        "note": single.note,
        "participant_ids": single.participant_ids,
        "external_emails": single.external_emails,
        "version": single.version,
        "convert_id": single.id,
    }
    if single
    else {}
)
series_editor(user, view=view, seed=seed, occurrence=target.get("start"))
if view:
    upcoming_occurrences(user, view.id)
    cut = target.get("start") or view.starts_at
    following = "start" in target and cut > view.starts_at  # from the first occurrence on it is the whole series
    with st.popover(t("series.delete_following" if following else "series.delete"), icon=":material/delete:"):
        when = format_datetime(cut, lang(), view.time_zone)
        st.write(
            t("rules.delete_following_confirm", subject=view.subject, when=when)
            if following
            else t("rules.delete_series_confirm", subject=view.subject)
        )
        if st.button(t("series.delete_really"), type="primary", key="delete_series"):
            try:
                with session_scope(engine()) as session:
                    jobs = occurrences.end_series(
                        session, user=user, series_id=view.id, start=cut, expected_version=view.version
                    )
                for job in jobs:  # meetings of opened occurrences go at GoTo now; the worker retries failures
                    meetings.run_now(engine(), goto().client, job)
                st.session_state.pop(EDIT, None)
                flash(
                    t("rules.deleted_following", subject=view.subject, when=when)
                    if following
                    else t("series.deleted", subject=view.subject)
                )
                st.rerun()
            except RoomDeskError as err:
                error(err)
