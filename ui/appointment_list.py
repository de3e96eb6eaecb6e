"""The Appointments page's list: the filters, the table and which row the editor follows."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from core.booking.appointments import AgendaRow
from core.kernel.db import session_scope
from core.kernel.i18n import format_datetime, format_time
from core.kernel.models import User
from core.series import agenda
from ui.appointment_state import EditorState, editor_for, read_editor, write_editor
from ui.session import engine, lang, t


def _filtered_rows(user: User) -> list[AgendaRow]:
    tz = ZoneInfo(user.time_zone)
    left, mid, right = st.columns([2, 2, 1])
    first_day = left.date_input(
        t("appointments.from"), value=datetime.now(tz).date(), key="list_from", format="DD.MM.YYYY"
    )
    weeks = mid.selectbox(t("appointments.weeks"), [1, 2, 4, 8], index=1, key="list_weeks")
    mine = right.toggle(t("appointments.mine"), key="list_mine")
    window_start = datetime.combine(first_day, time(0), tz)
    with session_scope(engine()) as session:
        return agenda.list_appointments(
            session, user=user, start=window_start, end=window_start + timedelta(weeks=weeks), mine_only=mine
        )


def _selected_rows(user: User, rows: list[AgendaRow]) -> list[int]:
    if not rows:
        st.info(t("appointments.none"))
        return []
    table = st.dataframe(
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
    return list(table.selection.rows)


def appointment_list(user: User) -> EditorState:
    """The filtered list and the "New appointment" button; returns what the editor below should show."""
    rows = _filtered_rows(user)
    selected = _selected_rows(user, rows)
    state = read_editor()
    if st.button(t("appointments.new"), key="new_appointment", icon=":material/add:"):
        state = EditorState(creating=True)
    elif selected and editor_for(rows[selected[0]]).target != state.target:
        state = editor_for(rows[selected[0]])
    if state.target not in {editor_for(r).target for r in rows} | {("new",)}:
        state = EditorState()  # the editor shows only what the list shows
    write_editor(state)
    return state
