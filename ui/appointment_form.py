"""The Appointments page's editor: the form of a new or saved appointment, saving (with "Book anyway") and delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from core.access import addon, auth
from core.booking import appointments, rooms
from core.booking.appointments import AppointmentInput, AppointmentView
from core.kernel.db import session_scope
from core.kernel.errors import OverbookingWarning, RoomDeskError, StaleAppointment
from core.kernel.i18n import format_datetime, format_time
from core.kernel.models import User
from core.meetings import jobs as meetings
from core.meetings import mail
from core.series import agenda
from ui.appointment_state import EditorState, read_editor, write_editor
from ui.goto import goto
from ui.session import engine, error, flash, lang, t


def _suffix(view: AppointmentView | None) -> str:
    return str(view.id) if view else "new"


def _reload_editor(view: AppointmentView | None) -> None:
    """Forget what this editor holds, so the next run shows the appointment as it is stored now."""
    for key in [k for k in st.session_state if str(k).endswith(f"_{_suffix(view)}")]:
        del st.session_state[key]
    write_editor(replace(read_editor(), opened_version=None))


def _opened_version(view: AppointmentView | None) -> int | None:
    """The version the user started editing from, remembered on first sight of the appointment."""
    state = read_editor()
    if view and state.opened_version is None:
        state = replace(state, opened_version=view.version)
        write_editor(state)
    return state.opened_version if view else None


def _fields(user: User, view: AppointmentView | None) -> tuple[AppointmentInput, bool, bool | None]:
    """The form; returns what it holds, whether to send the invitation and which button was pressed, if any
    (True: "Save and close")."""
    tz = ZoneInfo(user.time_zone)
    with session_scope(engine()) as session:
        goto_allowed = addon.may_use_goto(session, user)  # services refuse anyway; this only hides what can't be used
        bookable = rooms.bookable_rooms(session, user=user) if goto_allowed else []
        people = auth.list_users(session)
    suffix = _suffix(view)
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
        start_time = c2.time_input(
            t("appointments.start_time"), value=start0.time(), step=900, key=f"start_time_{suffix}"
        )
        end_day = c3.date_input(
            t("appointments.end_date"), value=end0.date(), key=f"end_day_{suffix}", format="DD.MM.YYYY"
        )
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
    data = AppointmentInput(
        subject=subject,
        note=note,
        time_zone=user.time_zone,
        room_ids=tuple(room_ids),
        participant_ids=tuple(participants),
        starts_at=datetime.combine(start_day, start_time, tz) if start_day and start_time else None,
        ends_at=datetime.combine(end_day, end_time, tz) if end_day and end_time else None,
        external_emails=appointments.parse_emails(externals),
    )
    return data, invite, (bool(save_close) if save or save_close else None)


def _send_invitation(user: User, appointment_id: int, join_url: str | None) -> str:
    try:
        with session_scope(engine()) as session:
            sent = mail.send_invitation(session, user=user, appointment_id=appointment_id, join_url=join_url)
        return t(
            "appointments.invitation_sent" if sent.delivered else "appointments.invitation_outbox",
            count=len(sent.recipients),
        )
    except RoomDeskError as err:
        return err.message(lang())


def _submit(
    user: User, view: AppointmentView | None, data: AppointmentInput, *, invite: bool, confirm: bool, close: bool
) -> None:
    state = read_editor()
    try:
        with session_scope(engine()) as session:
            saved = appointments.save_appointment(
                session,
                user=user,
                data=data,
                appointment_id=view.id if view else None,
                expected_version=state.opened_version,
                confirm_overbooking=confirm,
            )
        # The save is committed; GoTo runs now. A GoTo failure leaves the meeting pending, never the save lost.
        meeting = meetings.sync_now(engine(), goto().client, saved.id)
        message = t("appointments.saved", subject=saved.subject)
        if meeting.state == "pending":
            message += " " + t("meeting.saved_pending")
        if close and invite:
            message += " " + _send_invitation(user, saved.id, meeting.join_url)
        if view is None:
            _reload_editor(view)  # the "new" form starts empty next time
        write_editor(EditorState() if close else EditorState(appointment_id=saved.id, opened_version=saved.version))
        flash(message)
        st.rerun()
    except OverbookingWarning as warning:
        write_editor(replace(state, pending=warning, close_after_save=close))
    except StaleAppointment as err:
        write_editor(replace(state, pending=None))
        error(err)
        st.button(t("appointments.reload"), key="reload_appointment", on_click=_reload_editor, args=(view,))
    except RoomDeskError as err:
        write_editor(replace(state, pending=None))
        error(err)


def _overbooking_confirmation(
    user: User, view: AppointmentView | None, data: AppointmentInput, *, invite: bool
) -> None:
    state = read_editor()
    if not state.pending:
        return
    with st.container(border=True):
        st.error(
            f"**{t('appointments.overbooking_title')}**  \n{state.pending.message(lang())}", icon=":material/warning:"
        )
        for c in state.pending.conflicts:
            st.write(
                f"- **{c['subject']}** ({c['organizer']}), {format_datetime(c['start'], lang(), user.time_zone)}"
                f" – {format_time(c['end'], lang(), user.time_zone)}"
            )
        st.caption(t("appointments.overbooking_explain"))
        yes, no = st.columns(2)
        if yes.button(t("appointments.book_anyway"), type="primary", key="confirm_overbooking"):
            _submit(user, view, data, invite=invite, confirm=True, close=state.close_after_save)
        if no.button(t("action.cancel"), key="cancel_overbooking"):
            write_editor(replace(read_editor(), pending=None))
            st.rerun()


def appointment_form(user: User, view: AppointmentView | None) -> None:
    """The editor of a saved appointment (`view`) or a new one (None), with the overbooking confirmation."""
    _opened_version(view)
    st.divider()
    st.subheader(t("appointments.edit", subject=view.subject) if view else t("appointments.new"))
    if view and view.overbooked_with:
        st.warning(
            t("appointments.is_overbooked", names=", ".join(f"“{c['subject']}”" for c in view.overbooked_with)),
            icon=":material/error:",
        )
    data, invite, close = _fields(user, view)
    if close is not None:
        _submit(user, view, data, invite=invite, confirm=False, close=close)
    _overbooking_confirmation(user, view, data, invite=invite)


def delete_button(user: User, view: AppointmentView) -> None:
    """Delete the saved appointment, behind a confirmation."""
    opened_version = _opened_version(view)
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
                write_editor(EditorState())
                flash(t("appointments.deleted", subject=view.subject))
                st.rerun()
            except RoomDeskError as err:
                error(err)
