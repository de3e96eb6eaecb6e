"""Outbox page (admin): stored invitations with their state, body and .ics; nobody else may look."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from sqlalchemy.engine import Engine

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.config import get_settings
from core.kernel.db import session_scope
from core.kernel.i18n import translate
from core.kernel.models import OutboxMessage, User
from core.meetings.mail import send_invitation
from tests.conftest import at
from tests.ui.conftest import page


@pytest.fixture(autouse=True)
def no_smtp(app_env: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Without SMTP every invitation waits in the outbox."""
    monkeypatch.delenv("ROOMDESK_SMTP_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def stored_invitation(engine: Engine, organizer_id: int) -> int:
    with session_scope(engine) as s:
        organizer = s.get(User, organizer_id)
        assert organizer is not None
        organizer.email = "sara@example.org"
        appt = save_appointment(
            s,
            user=organizer,
            data=AppointmentInput(
                subject="Board meeting", starts_at=at(1), ends_at=at(2), external_emails=("guest@partner.example",)
            ),
        )
        result = send_invitation(s, user=organizer, appointment_id=appt.id)  # type: ignore[arg-type]
        return result.outbox_id  # type: ignore[return-value]


def test_staff_may_not_open_the_outbox(app_engine: Engine, staff: int) -> None:
    stored_invitation(app_engine, staff)
    at_ = page("pages/outbox.py", user_id=staff).run()
    assert not at_.exception
    assert [e.value for e in at_.error] == [translate("error.page_forbidden", "en")]
    assert not at_.dataframe and not at_.code


def test_admin_sees_a_waiting_invitation_with_its_body_and_ics(app_engine: Engine, admin: int, staff: int) -> None:
    message_id = stored_invitation(app_engine, staff)
    at_ = page("pages/outbox.py", user_id=admin).run()
    assert not at_.exception
    table = at_.dataframe[0].value.to_string()
    assert "Board meeting" in table and "guest@partner.example" in table
    assert at_.selectbox(key="outbox_message").value == message_id
    assert "Board meeting" in at_.text[0].value
    assert "METHOD:REQUEST" in at_.code[0].value and "ATTENDEE" in at_.code[0].value
    assert not at_.button  # nothing can be sent while no SMTP server is configured


def test_admin_sends_the_waiting_invitations_once_smtp_is_configured(
    app_engine: Engine, admin: int, staff: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = stored_invitation(app_engine, staff)
    received: list[Envelope] = []

    class Inbox:
        async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd needs a concrete port, not 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("ROOMDESK_SMTP_URL", f"smtp://127.0.0.1:{port}")
        get_settings.cache_clear()
        at_ = page("pages/outbox.py", user_id=admin).run()
        at_.button(key="send_waiting").click().run()
    finally:
        controller.stop()
    assert not at_.exception
    assert [e.rcpt_tos for e in received] == [["guest@partner.example"]]
    with session_scope(app_engine) as s:
        message = s.get(OutboxMessage, message_id)
        assert message is not None and message.sent_at is not None
