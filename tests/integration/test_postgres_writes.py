"""On PostgreSQL the write lock serialises read-then-write units as SQLite does, so no save is lost.

Found by the soak ('altered notes': 1 on PostgreSQL only): the worker read the note, a user's save committed,
then the worker wrote the note it had read with the new invitation below it, and the user's text was gone.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.booking.appointments import AppointmentInput, save_appointment
from core.goto.api import Meeting
from core.kernel.db import session_scope, upgrade
from core.kernel.models import Appointment
from core.meetings.invitations import split_note
from core.meetings.jobs import block_of
from core.meetings.sync import store_meeting
from tests.conftest import at, make_room, make_user

pytestmark = pytest.mark.postgres


def _blocked_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        waiting = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type IN ('Lock', 'advisory')"
            )
        ).scalar_one()
    return bool(waiting)


def test_a_users_save_while_the_worker_stores_the_meeting_keeps_the_users_note(pg_engine: Engine) -> None:
    upgrade(pg_engine)
    with session_scope(pg_engine) as s:
        admin = make_user(s, role="admin")
        room = make_room(s, goto_account="room@example.org")
        admin_id, room_id = admin.id, room.id
    with session_scope(pg_engine) as s:
        data = AppointmentInput(subject="Review", starts_at=at(24), ends_at=at(25), note="first", room_ids=(room_id,))
        appt_id = save_appointment(s, user=s.get(type(admin), admin_id), data=data).id

    def user_saves() -> None:
        with session_scope(pg_engine) as s:
            data = AppointmentInput(
                subject="Review", starts_at=at(24), ends_at=at(25), note="rewritten by the user", room_ids=(room_id,)
            )
            save_appointment(
                s, user=s.get(type(admin), admin_id), data=data, appointment_id=appt_id, expected_version=1
            )

    saving = threading.Thread(target=user_saves)

    def the_user_saves_meanwhile(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if saving.ident is None and statement.startswith("UPDATE appointment"):
            saving.start()  # the worker has read the note and is about to write it
            while saving.is_alive() and not _blocked_on_a_lock(pg_engine):
                saving.join(0.05)

    meeting = Meeting("123456789", "Review", at(24), at(25), "VoIP", join_url="https://meet.example/123456789")
    sa.event.listen(pg_engine, "before_cursor_execute", the_user_saves_meanwhile)
    try:
        with session_scope(pg_engine, immediate=True) as s:
            store_meeting(s, appt_id, "room@example.org", meeting, {"subject": "Review"})
    finally:
        sa.event.remove(pg_engine, "before_cursor_execute", the_user_saves_meanwhile)
    saving.join()

    with session_scope(pg_engine) as s:
        note, block = s.get(Appointment, appt_id).note, block_of(s, appt_id)
    text, ours = split_note(note, block)
    assert text == "rewritten by the user"
    assert ours is not None and "123 456 789" in ours  # and the invitation still sits below it
