"""Appointments page with a linked room: save creates the meeting, Save and close invites, Start meeting hosts."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.goto.connect import connect_goto
from core.goto.sandbox import register_redirect_uri
from core.kernel.config import get_settings
from core.kernel.db import session_scope
from core.kernel.models import GotoMeetingData, OutboxMessage, User
from tests.conftest import make_room
from tests.integration.linking import ADDRESS, Setup, link_room
from tests.ui.conftest import page

ACCOUNT = "room1@sandbox.roomdesk.test"  # seeded by the sandbox on its first start


@pytest.fixture
def linked(app_engine: Engine, admin: int):  # type: ignore[no-untyped-def]
    """Link a room in the app's own sandbox (same state file as the sandbox the page starts)."""
    from core.access import external_access

    connection = connect_goto(app_engine, get_settings())
    with session_scope(app_engine) as s:
        user = s.get(User, admin)
        room = make_room(s, name="Sales 1", goto_account=ACCOUNT)
        access = external_access.set_system_address(s, user=user, address=ADDRESS)
        external_access.set_access_user(s, user=user, access_user_id=admin)
        register_redirect_uri(get_settings().data_dir, access.redirect_url)
        external_access.record_activation(s, url=access.redirect_url, actor=user)
    setup = Setup(user, room, ACCOUNT)
    link_room(app_engine, connection, setup)
    yield setup
    connection.client.close()
    connection.sandbox.stop()


def test_save_and_close_creates_the_meeting_and_puts_the_invitation_in_the_outbox(app_engine: Engine, linked) -> None:  # type: ignore[no-untyped-def]
    at = page("pages/appointments.py", user_id=linked.admin.id).run()
    at.button(key="new_appointment").click().run()
    day = date.today() + timedelta(days=2)
    at.text_input(key="subject_new").input("Customer call")
    at.date_input(key="start_day_new").set_value(day)
    at.time_input(key="start_time_new").set_value(time(10))
    at.date_input(key="end_day_new").set_value(day)
    at.time_input(key="end_time_new").set_value(time(11))
    at.multiselect(key="room_new").set_value([linked.room.id])
    at.text_area(key="external_new").input("guest@example.org")
    at.text_area(key="note_new").input("Bring the numbers.")
    at.checkbox(key="invite_new").check()
    at.button(key="FormSubmitter:appointment_new-Save and close").click().run()
    assert not at.exception
    message = at.success[0].value
    assert "“Customer call” saved." in message and "1 participant(s) placed in the outbox" in message
    with session_scope(app_engine) as s:
        meeting = s.exec(select(GotoMeetingData)).one()
        [mail] = s.exec(select(OutboxMessage)).all()
        assert meeting.meeting_id and mail.recipients == "guest@example.org" and "METHOD:REQUEST" in mail.ics
        appointment_id = meeting.appointment_id

    at = page("pages/appointments.py", user_id=linked.admin.id)
    at.session_state["editing"] = appointment_id
    at.run()
    assert at.text_area(key=f"note_{appointment_id}").value == "Bring the numbers."
    assert any(meeting.join_url in c.value for c in at.code)
    at.button(key=f"start_meeting_{appointment_id}").click().run()
    assert not at.exception
    [button] = at.get("link_button")
    assert button.proto.label == "Open GoTo Meeting as host" and "/host/" in button.proto.url
