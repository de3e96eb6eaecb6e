"""Appointments (staff): create, edit and delete appointments and book one GoTo room for each."""

from __future__ import annotations

import streamlit as st

from core.booking import appointments
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from ui.appointment_form import appointment_form, delete_button
from ui.appointment_list import appointment_list
from ui.appointment_state import EditorState, write_editor
from ui.meeting_panel import meeting_panel
from ui.occurrence_panel import make_recurring_button, occurrence_panel
from ui.session import engine, error, guard, t

user = guard("admin", "staff")
st.title(t("appointments.title"))

editor = appointment_list(user)  # the editor below shows only what this list shows
if editor.occurrence:  # one occurrence of a series
    occurrence_panel(user, *editor.occurrence)
elif editor.creating:
    appointment_form(user, None)
elif editor.appointment_id is not None:
    try:
        with session_scope(engine()) as session:
            view = appointments.get_appointment(session, user=user, appointment_id=editor.appointment_id)
    except RoomDeskError as err:
        error(err)
        write_editor(EditorState())
        st.stop()
    appointment_form(user, view)
    meeting_panel(user, view)
    make_recurring_button(view)
    delete_button(user, view)
