"""Invitations over a real SMTP server on loopback (aiosmtpd): what arrives, and nothing lost when it is down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from icalendar import Calendar
from sqlmodel import Session

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.config import get_settings
from core.kernel.models import Appointment, OutboxMessage, User
from core.meetings.mail import cancel_invitation, outbox_state, retry_outbox, send_invitation
from tests.conftest import at, make_user


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login, auth_data.password))
            return AuthResult(success=auth_data.password == b"p@ss word")
        return AuthResult(success=False, handled=False)

    def mails(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.original_content or b"", policy=policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]


def free_port() -> int:
    # aiosmtpd's Controller connects to its own port once started, so it needs a concrete one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Re-read ROOMDESK_SMTP_URL after each test, also after a failing one."""
    yield
    get_settings.cache_clear()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


def start(inbox: Inbox, **options: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def smtp(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Controller]:
    controller = start(inbox)
    use_smtp(monkeypatch, f"smtp://127.0.0.1:{controller.port}")
    yield controller
    controller.stop()


def use_smtp(monkeypatch: pytest.MonkeyPatch, url: str | None) -> None:
    if url is None:
        monkeypatch.delenv("ROOMDESK_SMTP_URL", raising=False)
    else:
        monkeypatch.setenv("ROOMDESK_SMTP_URL", url)
    get_settings.cache_clear()


def appointment_with_guests(session: Session) -> tuple[User, Appointment]:
    ann = make_user(session, username="ann")
    bob = make_user(session, username="bob")
    ann.email, bob.email, bob.display_name = "ann@example.org", "bob@example.org", "Bob Builder"
    session.add_all([ann, bob])
    appt = save_appointment(
        session,
        user=ann,
        data=AppointmentInput(
            subject="Quarterly review",
            starts_at=at(1),
            ends_at=at(2),
            note="Bring the numbers.",
            participant_ids=(bob.id,),
            external_emails=("guest@partner.example",),
        ),
    )  # type: ignore[arg-type]
    return ann, appt


def calendar_part(mail: EmailMessage) -> EmailMessage:
    [part] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part  # type: ignore[return-value]


def test_an_invitation_arrives_with_a_text_body_and_an_ics_attachment(
    session: Session, smtp: Controller, inbox: Inbox
) -> None:
    ann, appt = appointment_with_guests(session)
    result = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    assert result.delivered and result.recipients == ["bob@example.org", "guest@partner.example"]
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "ann@example.org"
    assert envelope.rcpt_tos == ["bob@example.org", "guest@partner.example"]
    [mail] = inbox.mails()
    assert "Quarterly review" in mail["Subject"] and mail["From"] == "ann@example.org"
    text = mail.get_body(("plain",))
    assert text is not None and "Bring the numbers." in text.get_content()
    part = calendar_part(mail)
    assert part.get_filename() == "invite.ics" and part.get_param("method") == "REQUEST"
    assert (part.get_content_charset() or "").lower() == "utf-8"
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar.walk("VEVENT")[0]["SUMMARY"]) == "Quarterly review"
    message = session.get(OutboxMessage, result.outbox_id)
    assert message is not None and message.sent_at is not None and outbox_state(message) == "sent"


def test_a_cancellation_arrives_as_method_cancel(session: Session, smtp: Controller, inbox: Inbox) -> None:
    ann, appt = appointment_with_guests(session)
    send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    cancel_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    part = calendar_part(inbox.mails()[1])
    calendar = Calendar.from_ical(part.get_content())
    assert part.get_param("method") == "CANCEL" and str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_a_server_that_is_down_keeps_the_message_in_the_outbox_with_the_reason(
    session: Session, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, appt = appointment_with_guests(session)
    controller = start(inbox)
    controller.stop()
    use_smtp(monkeypatch, f"smtp://127.0.0.1:{controller.port}")
    result = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    message = session.get(OutboxMessage, result.outbox_id)
    assert message is not None and not result.delivered
    assert message.sent_at is None and "Connection" in message.error and outbox_state(message) == "failed"
    assert "BEGIN:VCALENDAR" in message.ics and message.recipients.splitlines() == result.recipients


def test_waiting_messages_are_sent_once_smtp_is_there(
    session: Session, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, appt = appointment_with_guests(session)
    boss = make_user(session, role="admin")
    use_smtp(monkeypatch, None)
    waiting = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    controller = start(inbox)
    try:
        use_smtp(monkeypatch, f"smtp://127.0.0.1:{controller.port}")
        assert retry_outbox(session, user=boss) == 1
        assert retry_outbox(session, user=boss) == 0  # sent ones are never sent again
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in inbox.envelopes] == [waiting.recipients]
    message = session.get(OutboxMessage, waiting.outbox_id)
    assert message is not None and message.sent_at is not None and message.error == ""


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
def test_smtp_login_uses_the_credentials_from_the_url(
    session: Session, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, appt = appointment_with_guests(session)
    controller = start(inbox, authenticator=inbox.authenticate, auth_required=True, auth_require_tls=False)
    try:
        use_smtp(monkeypatch, f"smtp://mailer:p%40ss%20word@127.0.0.1:{controller.port}")
        result = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    finally:
        controller.stop()
    assert result.delivered and inbox.logins == [(b"mailer", b"p@ss word")] and len(inbox.envelopes) == 1
