"""What the Appointments page's editor holds, as one typed object under one session key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from core.booking.appointments import AgendaRow
from core.kernel.errors import OverbookingWarning

KEY = "appointment_editor"
# Other pages open an appointment here by setting this to its id (tests also to ("occurrence", series id, start))
# before switch_page; the next read takes it over into the editor state.
HANDOFF = "editing"


@dataclass(frozen=True)
class EditorState:
    """The editor's target (nothing, a new appointment, a saved one or a series occurrence) and its progress."""

    appointment_id: int | None = None
    occurrence: tuple[int, datetime] | None = None  # (series id, occurrence start): ui/occurrence_panel.py
    creating: bool = False
    opened_version: int | None = None  # the version the user started from: a save on it is refused if it changed
    pending: OverbookingWarning | None = None  # an overbooking waiting for "Book anyway"
    close_after_save: bool = False  # the button that led to `pending` was "Save and close"

    @property
    def target(self) -> tuple[object, ...] | None:
        """What the editor shows, comparable with `editor_for(row).target`."""
        if self.creating:
            return ("new",)
        if self.occurrence:
            return ("occurrence", *self.occurrence)
        return None if self.appointment_id is None else ("appointment", self.appointment_id)


def editor_for(row: AgendaRow) -> EditorState:
    """A fresh editor on one row of the list; a series occurrence opens the occurrence panel."""
    if row.occurrence:
        return EditorState(occurrence=(row.id, row.occurrence))
    return EditorState(appointment_id=row.id)


def _from_handoff(value: object) -> EditorState:
    if isinstance(value, int):
        return EditorState(appointment_id=value)
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "occurrence":
        return EditorState(occurrence=(value[1], value[2]))
    return EditorState(creating=value == "new")


def read_editor() -> EditorState:
    """This tab's editor state, after taking over an appointment another page asked to open."""
    if HANDOFF in st.session_state:
        write_editor(_from_handoff(st.session_state.pop(HANDOFF)))
    return st.session_state.get(KEY, EditorState())


def write_editor(state: EditorState) -> None:
    """Replace this tab's editor state (EditorState() closes the editor)."""
    st.session_state[KEY] = state
