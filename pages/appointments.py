"""Appointments (staff): create, edit and delete appointments and book one GoTo room for each."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from core.access import addon, auth
from core.booking import appointments, rooms
from core.kernel.db import session_scope
from core.kernel.errors import OverbookingWarning, RoomDeskError, StaleAppointment
from core.kernel.i18n import format_datetime, format_time
from core.meetings import jobs as meetings
from core.meetings import mail
from core.series import agenda
from ui.goto import goto
from ui.meeting_panel import meeting_panel
from ui.occurrence_panel import make_recurring_button, occurrence_panel
from ui.session import engine, error, flash, guard, lang, t

user = guard("admin", "staff")
tz = ZoneInfo(user.time_zone)
st.title(t("appointments.title"))

left, mid, right = st.columns([2, 2, 1])
first_day = left.date_input(t("appointments.from"), value=datetime.now(tz).date(), key="list_from", format="DD.MM.YYYY")
weeks = mid.selectbox(t("appointments.weeks"), [1, 2, 4, 8], index=1, key="list_weeks")
mine = right.toggle(t("appointments.mine"), key="list_mine")
window_start = datetime.combine(first_day, time(0), tz)
with session_scope(engine()) as session:
    rows = agenda.list_appointments(
        session, user=user, start=window_start, end=window_start + timedelta(weeks=weeks), mine_only=mine
    )
    goto_allowed = addon.may_use_goto(session, user)  # services refuse anyway; this only hides what can't be used
    bookable = rooms.bookable_rooms(session, user=user) if goto_allowed else []
    people = auth.list_users(session)

table = (
    None
    if not rows
    else st.dataframe(
        [
            {
                t("appointments.when"): f"{format_datetime(r.start, lang(), user.time_zone)} – "
                f"{format_time(r.end, lang(), user.time_zone)}",
                t("appointments.subject"): ("↻ " if r.occurrence else "") + r.subject,
                t("appointments.room"): r.room or "—",
                t("appointments.organizer"): r.organizer,
                t("appointments.state"): t("appointments.overbooked") if r.overbooked else "",
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        # A row position means something only for this exact list: a new list is a new table with no selection,
        # so a change of filter or a delete never points the editor at whatever row now sits there.
        key=f"appointment_table_{hash(tuple((r.id, r.occurrence) for r in rows))}",
    )
)
if not rows:
    st.info(t("appointments.none"))
selected = table.selection.rows if table else []
if st.button(t("appointments.new"), key="new_appointment", icon=":material/add:"):
    st.session_state["editing"] = "new"
    st.session_state.pop("pending", None)
elif selected:
    picked = rows[selected[0]].id
    if rows[selected[0]].occurrence:  # one occurrence of a series: ui/occurrence_panel.py
        picked = ("occurrence", picked, rows[selected[0]].occurrence)
    if st.session_state.get("editing") != picked:
        st.session_state["editing"] = picked
        st.session_state.pop("pending", None)

editing = st.session_state.get("editing")
listed = {r.id for r in rows} | {("occurrence", r.id, r.occurrence) for r in rows if r.occurrence}
if editing not in listed and editing != "new":
    st.session_state.pop("editing", None)  # the editor shows only what the list shows
    st.stop()
if isinstance(editing, tuple):
    occurrence_panel(user, editing[1], editing[2])
    st.stop()
view = None
if editing != "new":
    try:
        with session_scope(engine()) as session:
            view = appointments.get_appointment(session, user=user, appointment_id=editing)
    except RoomDeskError as err:
        error(err)
        st.session_state.pop("editing", None)
        st.stop()

# The version the user started editing from: a save based on it is refused if someone saved in between.
opened_version = st.session_state.setdefault(f"opened_version_{view.id}", view.version) if view else None


def reload_editor() -> None:
    """Forget what this editor holds, so the next run shows the appointment as it is stored now."""
    for key in [k for k in st.session_state if k.endswith(f"_{suffix}") or k == f"opened_version_{suffix}"]:
        del st.session_state[key]


suffix = view.id if view else "new"
st.divider()
st.subheader(t("appointments.edit", subject=view.subject) if view else t("appointments.new"))
if view and view.overbooked_with:
    st.warning(
        t("appointments.is_overbooked", names=", ".join(f"“{c['subject']}”" for c in view.overbooked_with)),
        icon=":material/error:",
    )
now = datetime.now(tz)  # the user's zone, not the server's date
next_quarter = now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=15 * (now.minute // 15 + 1))
start0 = view.starts_at.astimezone(tz) if view else next_quarter
end0 = view.ends_at.astimezone(tz) if view else start0 + timedelta(hours=1)
room_names = {r.id: r.name for r in bookable} | ({view.room_id: view.room} if view and view.room_id else {})
people_names = {p.id: p.display_name for p in people}
with st.form(f"appointment_{suffix}"):
    subject = st.text_input(t("appointments.subject"), value=view.subject if view else "", key=f"subject_{suffix}")
    c1, c2, c3, c4 = st.columns(4)
    start_day = c1.date_input(
        t("appointments.start_date"), value=start0.date(), key=f"start_day_{suffix}", format="DD.MM.YYYY"
    )
    start_time = c2.time_input(t("appointments.start_time"), value=start0.time(), step=900, key=f"start_time_{suffix}")
    end_day = c3.date_input(t("appointments.end_date"), value=end0.date(), key=f"end_day_{suffix}", format="DD.MM.YYYY")
    end_time = c4.time_input(t("appointments.end_time"), value=end0.time(), step=900, key=f"end_time_{suffix}")
    room_ids = st.multiselect(
        t("appointments.room"),
        list(room_names),
        format_func=room_names.get,
        default=[view.room_id] if view and view.room_id else [],
        key=f"room_{suffix}",
        help=t("appointments.room_help") if goto_allowed else t("appointments.no_goto"),
        disabled=not goto_allowed,
    )
    participants = st.multiselect(
        t("appointments.participants"),
        list(people_names),
        format_func=people_names.get,
        default=list(view.participant_ids) if view else [],
        key=f"participants_{suffix}",
    )
    externals = st.text_area(
        t("appointments.external"),
        value="\n".join(view.external_emails) if view else "",
        key=f"external_{suffix}",
        help=t("appointments.external_help"),
        height=80,
    )
    note = st.text_area(
        t("appointments.note"),
        value=view.note if view else "",
        key=f"note_{suffix}",
        height=160,
        help=t("appointments.note_help"),
    )
    invite = st.checkbox(t("appointments.send_invitation"), key=f"invite_{suffix}")
    left, right = st.columns([1, 5])
    save = left.form_submit_button(t("action.save"), type="primary")
    save_close = right.form_submit_button(t("appointments.save_close"))

data = appointments.AppointmentInput(
    subject=subject,
    note=note,
    time_zone=user.time_zone,
    room_ids=tuple(room_ids),
    participant_ids=tuple(participants),
    starts_at=datetime.combine(start_day, start_time, tz) if start_day and start_time else None,
    ends_at=datetime.combine(end_day, end_time, tz) if end_day and end_time else None,
    external_emails=appointments.parse_emails(externals),
)


def submit(confirm: bool, close: bool) -> None:
    try:
        with session_scope(engine()) as session:
            saved = appointments.save_appointment(
                session,
                user=user,
                data=data,
                appointment_id=view.id if view else None,
                expected_version=opened_version,
                confirm_overbooking=confirm,
            )
        # The save is committed; GoTo runs now. A GoTo failure leaves the meeting pending, never the save lost.
        meeting = meetings.sync_now(engine(), goto().client, saved.id)
        message = t("appointments.saved", subject=saved.subject)
        if meeting.state == "pending":
            message += " " + t("meeting.saved_pending")
        if close and invite:
            message += " " + send_invitation(saved.id, meeting.join_url)
        if view is None:
            reload_editor()  # the "new" form starts empty next time
        st.session_state[f"opened_version_{saved.id}"] = saved.version
        st.session_state["editing"] = None if close else saved.id
        st.session_state["pending"] = None
        flash(message)
        st.rerun()
    except OverbookingWarning as warning:
        st.session_state["pending"] = warning
    except StaleAppointment as err:
        st.session_state.pop("pending", None)
        error(err)
        st.button(t("appointments.reload"), key="reload_appointment", on_click=reload_editor)
    except RoomDeskError as err:
        st.session_state.pop("pending", None)
        error(err)


def send_invitation(appointment_id: int, join_url: str | None) -> str:
    try:
        with session_scope(engine()) as session:
            sent = mail.send_invitation(session, user=user, appointment_id=appointment_id, join_url=join_url)
        return t(
            "appointments.invitation_sent" if sent.delivered else "appointments.invitation_outbox",
            count=len(sent.recipients),
        )
    except RoomDeskError as err:
        return err.message(lang())


if save or save_close:
    st.session_state["close_after_save"] = bool(save_close)
    submit(confirm=False, close=bool(save_close))
pending: OverbookingWarning | None = st.session_state.get("pending")
if pending:
    with st.container(border=True):
        st.error(f"**{t('appointments.overbooking_title')}**  \n{pending.message(lang())}", icon=":material/warning:")
        for c in pending.conflicts:
            st.write(
                f"- **{c['subject']}** ({c['organizer']}), {format_datetime(c['start'], lang(), user.time_zone)}"
                f" – {format_time(c['end'], lang(), user.time_zone)}"
            )
        st.caption(t("appointments.overbooking_explain"))
        yes, no = st.columns(2)
        if yes.button(t("appointments.book_anyway"), type="primary", key="confirm_overbooking"):
            submit(confirm=True, close=st.session_state.get("close_after_save", False))
        if no.button(t("action.cancel"), key="cancel_overbooking"):
            st.session_state.pop("pending", None)
            st.rerun()

if view:
    meeting_panel(user, view)
    make_recurring_button(view)
    with st.popover(t("action.delete"), icon=":material/delete:"):
        st.write(t("appointments.delete_confirm", subject=view.subject))
        if st.button(t("appointments.delete_really"), type="primary", key="delete_appointment"):
            try:
                with session_scope(engine()) as session:
                    if view.version == opened_version:  # a delete that will be refused sends no cancellation
                        mail.cancel_invitation(session, user=user, appointment_id=view.id)
                    job = agenda.delete_appointment(
                        session, user=user, appointment_id=view.id, expected_version=opened_version
                    )
                if job is not None:  # the meeting goes at GoTo now; if GoTo is down the worker retries
                    meetings.run_now(engine(), goto().client, job)
                st.session_state.pop("editing", None)
                flash(t("appointments.deleted", subject=view.subject))
                st.rerun()
            except RoomDeskError as err:
                error(err)
