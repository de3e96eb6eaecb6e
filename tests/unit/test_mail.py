"""Invitation e-mails: the .ics calendar clients rely on, the recipients, and the outbox without SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from icalendar import Calendar, Event, vCalAddress
from sqlmodel import Session, select

from core.access.external_access import ADDRESS
from core.access.settings import put_value
from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.config import get_settings
from core.kernel.errors import PermissionDenied, RoomDeskError
from core.kernel.models import Appointment, AuditEntry, GotoMeetingData, OutboxMessage, User
from core.meetings.mail import (
    cancel_invitation,
    invitation_uid,
    list_outbox,
    outbox_state,
    parse_smtp_url,
    retry_outbox,
    send_invitation,
    unique_recipients,
)
from tests.conftest import at, make_user


@pytest.fixture(autouse=True)
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests run without an SMTP server: every message must land in the outbox."""
    monkeypatch.delenv("ROOMDESK_SMTP_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def person(session: Session, name: str, email: str | None, *, language: str | None = None) -> User:
    user = make_user(session, username=name.lower())
    user.display_name, user.email, user.language = name, email, language
    session.add(user)
    return user


def appointment(
    session: Session,
    organizer: User,
    *,
    participants: tuple[User, ...] = (),
    externals: tuple[str, ...] = (),
    note: str = "Agenda: numbers",
) -> Appointment:
    return save_appointment(
        session,
        user=organizer,
        data=AppointmentInput(
            subject="Quarterly review",
            starts_at=at(1),
            ends_at=at(2),
            time_zone="Europe/Berlin",
            note=note,
            participant_ids=tuple(p.id for p in participants),
            external_emails=externals,
        ),
    )  # type: ignore[misc]


def event_of(ics: str) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(ics)
    return calendar, calendar.walk("VEVENT")[0]


def attendees_of(event: Event) -> list[vCalAddress]:
    found = event.get("ATTENDEE", [])
    return found if isinstance(found, list) else [found]  # icalendar gives one attendee unwrapped


def stored(session: Session, outbox_id: int | None) -> OutboxMessage:
    message = session.get(OutboxMessage, outbox_id)
    assert message is not None
    return message


def test_an_invitation_is_a_request_from_the_organizer_to_every_attendee_in_utc(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    bob = person(session, "Bob", "bob@example.org")
    appt = appointment(session, ann, participants=(bob,), externals=("guest@partner.example",))
    result = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    calendar, event = event_of(stored(session, result.outbox_id).ics)
    assert str(calendar["METHOD"]) == "REQUEST" and str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    assert str(event["ORGANIZER"]) == "mailto:ann@example.org" and event["ORGANIZER"].params["CN"] == "Ann"
    attendees = {str(a): a.params for a in attendees_of(event)}
    assert list(attendees) == ["mailto:bob@example.org", "mailto:guest@partner.example"]
    for params in attendees.values():
        assert (params["RSVP"], params["PARTSTAT"], params["ROLE"]) == ("TRUE", "NEEDS-ACTION", "REQ-PARTICIPANT")
    assert attendees["mailto:bob@example.org"]["CN"] == "Bob"
    assert event.decoded("DTSTART") == at(1) and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == at(2)
    assert "DTSTART:20261207T100000Z" in stored(session, result.outbox_id).ics
    assert str(event["SUMMARY"]) == "Quarterly review" and event["SEQUENCE"] == 1


def test_the_uid_stays_and_the_sequence_grows_with_every_change(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    appt = appointment(session, ann, externals=("guest@partner.example",))
    first = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    changed = save_appointment(
        session,
        user=ann,
        appointment_id=appt.id,
        expected_version=appt.version,
        data=AppointmentInput(
            subject="Quarterly review", starts_at=at(3), ends_at=at(4), external_emails=("guest@partner.example",)
        ),
    )
    second = send_invitation(session, user=ann, appointment_id=changed.id)  # type: ignore[arg-type]
    _, before = event_of(stored(session, first.outbox_id).ics)
    _, after = event_of(stored(session, second.outbox_id).ics)
    assert str(before["UID"]) == str(after["UID"])
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTART") == at(3)
    assert stored(session, first.outbox_id).subject != stored(session, second.outbox_id).subject  # "updated"


def test_a_cancellation_is_cancelled_and_outranks_every_request(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    appt = appointment(session, ann, externals=("guest@partner.example",))
    request = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    cancel = cancel_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    assert cancel is not None
    _, invited = event_of(stored(session, request.outbox_id).ics)
    calendar, cancelled = event_of(stored(session, cancel.outbox_id).ics)
    assert str(calendar["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == str(invited["UID"])
    assert cancelled["SEQUENCE"] > invited["SEQUENCE"]
    assert [str(a) for a in attendees_of(cancelled)] == ["mailto:guest@partner.example"]
    assert stored(session, cancel.outbox_id).method == "CANCEL"


def test_nobody_hears_of_a_cancellation_without_having_been_invited(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    appt = appointment(session, ann, externals=("guest@partner.example",))
    assert cancel_invitation(session, user=ann, appointment_id=appt.id) is None  # type: ignore[arg-type]
    assert session.exec(select(OutboxMessage)).all() == []


def test_each_address_is_invited_once_whatever_its_case(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    bob = person(session, "Bob", "Bob@Example.org")
    carol = person(session, "Carol", None)
    appt = appointment(
        session,
        ann,
        participants=(bob, carol),
        externals=("bob@example.org", "guest@partner.example", "GUEST@partner.example"),
    )
    result = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    assert result.recipients == ["Bob@Example.org", "guest@partner.example"]
    assert stored(session, result.outbox_id).recipients.splitlines() == result.recipients
    assert unique_recipients([("A", "a@x.org"), ("", "A@X.ORG"), ("B", "b@x.org")]) == [
        ("A", "a@x.org"),
        ("B", "b@x.org"),
    ]


def test_an_appointment_nobody_can_be_invited_to_is_refused_clearly(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    carol = person(session, "Carol", None)
    appt = appointment(session, ann, participants=(carol,))
    with pytest.raises(RoomDeskError) as caught:
        send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    assert caught.value.key == "error.no_recipients" and caught.value.field == "participants"
    assert session.exec(select(OutboxMessage)).all() == []


def test_support_staff_may_not_send_invitations_or_read_the_outbox(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    appt = appointment(session, ann, externals=("guest@partner.example",))
    helper = make_user(session, role="support")
    with pytest.raises(PermissionDenied):
        send_invitation(session, user=helper, appointment_id=appt.id)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        list_outbox(session, user=ann)
    assert session.exec(select(OutboxMessage)).all() == []


def test_without_smtp_the_invitation_waits_in_the_outbox(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    boss = make_user(session, role="admin")
    appt = appointment(session, ann, externals=("guest@partner.example",))
    result = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    message = stored(session, result.outbox_id)
    assert (result.delivered, message.sent_at, message.error, outbox_state(message)) == (False, None, "", "waiting")
    assert (message.sender, message.appointment_id, message.method) == ("ann@example.org", appt.id, "REQUEST")
    assert "Quarterly review" in message.subject
    assert [m.id for m in list_outbox(session, user=boss)] == [result.outbox_id]
    assert retry_outbox(session, user=boss) == 0  # nowhere to send it yet
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "appointment.send_invitation")).one()
    assert audit.after["outbox_id"] == result.outbox_id and audit.after["delivered"] is False  # type: ignore[index]


def test_the_body_speaks_the_organizers_language_and_zone_and_carries_the_join_link(session: Session) -> None:
    ann = person(session, "Ann", None, language="de")
    appt = appointment(session, ann, externals=("guest@partner.example",), note="Bitte Zahlen mitbringen.")
    session.add(
        GotoMeetingData(
            appointment_id=appt.id,
            account="room@example.org",  # type: ignore[arg-type]
            meeting_id="123456789",
            join_url="https://meet.goto.com/123456789",
            state="created",
        )
    )
    result = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    message = stored(session, result.outbox_id)
    # 10:00 UTC in December is 11:00 in Berlin; German dates are day.month.year.
    assert "07.12.2026, 11:00 – 12:00 (Europe/Berlin)" in message.body
    for text in ("Quarterly review", "https://meet.goto.com/123456789", "Bitte Zahlen mitbringen."):
        assert text in message.body
    _, event = event_of(message.ics)
    assert str(event["LOCATION"]) == "https://meet.goto.com/123456789"
    assert str(event["DESCRIPTION"]) == message.body
    assert message.sender == "roomdesk@roomdesk.local"  # the organizer has no address of their own


def test_the_uid_survives_a_change_of_the_system_address(session: Session) -> None:
    ann = person(session, "Ann", "ann@example.org")
    appt = appointment(session, ann, externals=("guest@partner.example",))
    put_value(session, ADDRESS, "https://desk.example.org")
    first = send_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    put_value(session, ADDRESS, "https://rooms.example.com")
    second = cancel_invitation(session, user=ann, appointment_id=appt.id)  # type: ignore[arg-type]
    assert second is not None
    uids = [str(event_of(stored(session, r.outbox_id).ics)[1]["UID"]) for r in (first, second)]
    assert uids[0] == uids[1] and uids[0].endswith("@desk.example.org")


def test_an_appointment_id_used_again_gets_a_fresh_uid() -> None:
    """SQLite may reuse a deleted appointment's id; calendars must not apply the old cancellation."""
    assert invitation_uid(7, "desk.example.org", created_at=at(0)) != invitation_uid(
        7, "desk.example.org", created_at=at(0, day=1)
    )
    assert invitation_uid(7, "desk.example.org", created_at=at(0)) == invitation_uid(
        7, "desk.example.org", created_at=at(0)
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, "plain", None, None)),
        ("smtp+starttls://ann:s%40cret@mail.example.org:2525", ("mail.example.org", 2525, "starttls", "ann", "s@cret")),
        ("smtps://mail.example.org", ("mail.example.org", 465, "ssl", None, None)),
    ],
)
def test_smtp_urls_name_host_port_security_and_login(url: str, expected: tuple[object, ...]) -> None:
    server = parse_smtp_url(url)
    assert (server.host, server.port, server.security, server.username, server.password) == expected


def test_a_wrong_smtp_url_is_explained_without_revealing_the_password() -> None:
    with pytest.raises(ValueError) as caught:
        parse_smtp_url("http://ann:topsecret@mail.example.org")
    assert "topsecret" not in str(caught.value)
