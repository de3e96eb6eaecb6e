"""Invitation e-mails: an iCalendar invitation, a readable text body, delivery over SMTP or into the outbox."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from icalendar import Calendar, Event, vCalAddress
from sqlmodel import Session, select

from core.access.external_access import ADDRESS
from core.access.permissions import require_role
from core.access.settings import get_value
from core.kernel import audit
from core.kernel.config import get_settings
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, RoomDeskError
from core.kernel.i18n import DEFAULT_LANGUAGE, format_date, format_time, translate
from core.kernel.models import Appointment, GotoMeetingData, OutboxMessage, Participant, Role, User, utcnow

logger = logging.getLogger(__name__)
METHODS = ("REQUEST", "CANCEL")
PRODID = "-//Room Desk//Invitations//EN"
DEFAULT_HOST = "roomdesk.local"
SMTP_TIMEOUT = 15  # seconds
RETRY_BATCH = 50
_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
# Failures caused by one message itself; anything else (refused connection, timeout, bad login) hits every
# message alike, so a retry run stops at the first of those instead of waiting out a timeout per message.
_MESSAGE_FAULTS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, ValueError)


@dataclass(frozen=True)
class DeliveryResult:
    recipients: list[str]
    delivered: bool
    outbox_id: int | None


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # plain | starttls | ssl
    username: str | None = None
    password: str | None = None


# --- pure parts: calendar, body, recipients, SMTP address --------------------------------------------------


def invitation_uid(appointment_id: int, host: str, *, created_at: datetime | None = None) -> str:
    """The iCalendar UID of an appointment's invitation: the same for every update and the cancellation."""
    # SQLite may hand a deleted appointment's id to the next one; the creation moment keeps their UIDs apart,
    # otherwise calendars would apply the old appointment's higher SEQUENCE (or its CANCEL) to the new one.
    stamp = f"-{created_at.astimezone(UTC):%Y%m%dT%H%M%S%f}" if created_at else ""
    return f"roomdesk-appointment-{appointment_id}{stamp}@{host}"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: invitations need time-zone-aware moments")
    return value.astimezone(UTC)


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    address.params.update(params)
    return address


def build_invitation_ics(
    *,
    uid: str,
    sequence: int,
    method: str,
    subject: str,
    starts_at: datetime,
    ends_at: datetime,
    organizer_email: str,
    organizer_name: str,
    attendees: list[tuple[str, str]],
    description: str,
    location: str | None,
    stamp: datetime | None = None,
) -> str:
    """A VCALENDAR with one VEVENT for METHOD REQUEST or CANCEL (RFC 5546), times in UTC."""
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", _utc(stamp or utcnow()))
    event.add("dtstart", _utc(starts_at))
    event.add("dtend", _utc(ends_at))
    event.add("summary", subject)
    event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", _address(organizer_email, organizer_name))
    for name, email in attendees:
        event.add("attendee", _address(email, name, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE"))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def render_when(starts_at: datetime, ends_at: datetime, lang: str, zone: str) -> str:
    """'7 Dec 2026, 10:00 – 11:00 (Europe/Berlin)'; the end date is named only when it is another day there."""
    start_day, end_day = format_date(starts_at, lang, zone), format_date(ends_at, lang, zone)
    end = format_time(ends_at, lang, zone) if end_day == start_day else f"{end_day}, {format_time(ends_at, lang, zone)}"
    return f"{start_day}, {format_time(starts_at, lang, zone)} – {end} ({zone})"


def render_body(
    *, method: str, subject: str, when: str, organizer: str, join_url: str | None, note: str, lang: str
) -> str:
    """The plain-text mail body (also the event's DESCRIPTION) in the organizer's language."""
    lines = [translate("mail.cancelled", lang), ""] if method == "CANCEL" else []
    lines += [subject, "", f"{translate('mail.when', lang)}: {when}"]
    if join_url:
        lines += [
            f"{translate('mail.where', lang)}: {translate('mail.online', lang)}",
            f"{translate('mail.join', lang)}: {join_url}",
        ]
    lines.append(f"{translate('mail.organizer', lang)}: {organizer}")
    if note.strip():
        lines += ["", note.strip("\n")]
    return "\n".join(lines) + "\n"


def mail_subject(*, method: str, subject: str, update: bool, lang: str) -> str:
    """'Invitation: …', 'Updated invitation: …' or 'Cancelled: …', on one line."""
    kind = "mail.subject_cancel" if method == "CANCEL" else "mail.subject_update" if update else "mail.subject_request"
    return f"{translate(kind, lang)}: {' '.join(subject.split())}"


def unique_recipients(recipients: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, e-mail) pairs without repeated addresses, ignoring case; the first mention wins."""
    seen: set[str] = set()
    unique = []
    for name, email in recipients:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            unique.append((name, email))
    return unique


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://[user:pass@]host[:port], smtp+starttls://… or smtps://… as connection settings."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _PORTS or not parts.hostname:
        # Never echo the URL: it may hold the SMTP password.
        raise ValueError("ROOMDESK_SMTP_URL must look like smtp://, smtp+starttls:// or smtps://[user:pass@]host:port")
    security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}[scheme]
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or _PORTS[scheme],
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def outbox_state(message: OutboxMessage) -> str:
    """'sent', 'failed' (sending was tried and failed) or 'waiting' (stored while no SMTP was configured)."""
    return "sent" if message.sent_at else "failed" if message.error else "waiting"


def smtp_configured() -> bool:
    return bool(get_settings().smtp_url)


# --- delivery ----------------------------------------------------------------------------------------------


def _mime(message: OutboxMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = message.sender
    mail["To"] = ", ".join(message.recipients.splitlines())
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=message.sender.rpartition("@")[2] or DEFAULT_HOST)
    mail.set_content(message.body)
    mail.add_attachment(message.ics, subtype="calendar", filename="invite.ics", params={"method": message.method})
    return mail


def _send(server: SmtpServer, mail: EmailMessage, sender: str, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
    if server.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
    with smtp:
        if server.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if server.username:
            smtp.login(server.username, server.password or "")
        return smtp.send_message(mail, from_addr=sender, to_addrs=recipients)


def _deliver(message: OutboxMessage, smtp_url: str) -> Exception | None:
    """Send one message; on failure it stays unsent with the reason, so nothing is lost. The failure, if any."""
    try:
        refused = _send(parse_smtp_url(smtp_url), _mime(message), message.sender, message.recipients.splitlines())
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors too
        message.error = f"{type(exc).__name__}: {exc}"[:500]
        return exc
    message.sent_at = utcnow()
    # The server took the message for the others; the refused addresses are worth a note, not a resend.
    message.error = f"refused: {', '.join(sorted(refused))}"[:500] if refused else ""
    return None


# --- services ----------------------------------------------------------------------------------------------


def _host(session: Session) -> str:
    return urlsplit(get_value(session, ADDRESS, "") or "").hostname or DEFAULT_HOST


def _earlier_uid(session: Session, appointment_id: int) -> str | None:
    """The UID already sent for this appointment, so a changed system address never forks the event."""
    first = session.exec(
        select(OutboxMessage.ics)
        .where(OutboxMessage.appointment_id == appointment_id)
        .order_by(OutboxMessage.id)
        .limit(1)
    ).first()
    if first is None:
        return None
    events = Calendar.from_ical(first).walk("VEVENT")
    return str(events[0]["UID"]) if events and "UID" in events[0] else None


def _recipients(session: Session, appt: Appointment) -> list[tuple[str, str]]:
    users = session.exec(
        select(User)
        .join(Participant, Participant.user_id == User.id)
        .where(Participant.appointment_id == appt.id, User.active)
        .order_by(User.display_name, User.id)
    )
    internal = [(u.display_name, u.email.strip()) for u in users if u.email and u.email.strip()]
    external = [("", line.strip()) for line in appt.external_emails.splitlines() if line.strip()]
    return unique_recipients(internal + external)


def _compose(
    session: Session, appt: Appointment, attendees: list[tuple[str, str]], method: str, join_url: str | None
) -> OutboxMessage:
    """The message for an appointment, written in its organizer's language and time zone."""
    organizer = session.get(User, appt.organizer_id) if appt.organizer_id else None
    host = _host(session)
    lang = organizer.language if organizer and organizer.language else DEFAULT_LANGUAGE
    zone = organizer.time_zone if organizer else appt.time_zone
    name = organizer.display_name if organizer else appt.organizer_name or "Room Desk"
    sender = organizer.email if organizer and organizer.email else f"roomdesk@{host}"
    earlier_uid = _earlier_uid(session, appt.id)  # type: ignore[arg-type]
    body = render_body(
        method=method,
        subject=appt.subject,
        when=render_when(appt.starts_at, appt.ends_at, lang, zone),
        organizer=name,
        join_url=join_url,
        note=appt.note,
        lang=lang,
    )
    ics = build_invitation_ics(
        uid=earlier_uid or invitation_uid(appt.id, host, created_at=appt.created_at),  # type: ignore[arg-type]
        # The version grows with every save; a cancellation must outrank every request that went out.
        sequence=appt.version + (1 if method == "CANCEL" else 0),
        method=method,
        subject=appt.subject,
        starts_at=appt.starts_at,
        ends_at=appt.ends_at,
        organizer_email=sender,
        organizer_name=name,
        attendees=attendees,
        description=body,
        location=join_url,
    )
    subject = mail_subject(method=method, subject=appt.subject, update=earlier_uid is not None, lang=lang)
    return OutboxMessage(
        appointment_id=appt.id,
        method=method,
        sender=sender,
        subject=subject,
        body=body,
        ics=ics,
        recipients="\n".join(email for _, email in attendees),
    )


def send_invitation(
    session: Session, *, user: User, appointment_id: int, method: str = "REQUEST", join_url: str | None = None
) -> DeliveryResult:
    """Invite the appointment's participants (or cancel with method CANCEL): over SMTP, else into the outbox."""
    require_role(user, Role.staff, Role.admin)
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        raise NotFound("error.appointment_unknown")
    attendees = _recipients(session, appt)
    if not attendees:
        raise RoomDeskError("error.no_recipients", field="participants")
    if join_url is None:
        meeting = session.get(GotoMeetingData, appt.id)
        join_url = meeting.join_url if meeting else None
    message = _compose(session, appt, attendees, method, join_url)
    smtp_url = get_settings().smtp_url
    # Sent before the row is written, so a slow SMTP server never holds the database's write lock.
    delivered = smtp_url is not None and _deliver(message, smtp_url) is None
    write_lock(session)  # read, then write: the lock now (not across the SMTP call above)
    session.add(message)
    session.flush()
    recipients = message.recipients.splitlines()
    audit.record(
        session,
        actor=user,
        action="appointment.send_cancellation" if method == "CANCEL" else "appointment.send_invitation",
        entity="appointment",
        entity_id=appt.id,
        after={"outbox_id": message.id, "recipients": recipients, "delivered": delivered, "error": message.error},
    )
    return DeliveryResult(recipients=recipients, delivered=delivered, outbox_id=message.id)


def cancel_invitation(session: Session, *, user: User, appointment_id: int) -> DeliveryResult | None:
    """Tell the participants the appointment is cancelled (call it before deleting); None if nobody was invited."""
    require_role(user, Role.staff, Role.admin)
    # People who never got an invitation must not get a cancellation out of the blue.
    if _earlier_uid(session, appointment_id) is None:
        return None
    return send_invitation(session, user=user, appointment_id=appointment_id, method="CANCEL")


def list_outbox(session: Session, *, user: User, limit: int = 200) -> list[OutboxMessage]:
    """The newest outbox messages first (admin only)."""
    require_role(user, Role.admin)
    newest_first = (OutboxMessage.created_at.desc(), OutboxMessage.id.desc())  # type: ignore[union-attr, attr-defined]
    query = select(OutboxMessage).order_by(*newest_first)
    return list(session.exec(query.limit(limit)))


def outbox_message(session: Session, *, user: User, message_id: int) -> OutboxMessage:
    """One outbox message with its body and .ics (admin only)."""
    require_role(user, Role.admin)
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("error.outbox_message_unknown")
    return message


def retry_outbox(session: Session, *, user: User) -> int:
    """Send the unsent messages again, oldest first, when SMTP is configured; the number delivered."""
    # SQLite: the write lock up front is what keeps two retries from sending one message twice (PostgreSQL: the
    # row locks below); a batch is small, so holding it over the SMTP calls is brief.
    write_lock(session)
    require_role(user, Role.admin)
    smtp_url = get_settings().smtp_url
    if not smtp_url:
        return 0
    # Row locks (PostgreSQL) keep two replicas retrying at once from sending one message twice.
    waiting = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None))  # type: ignore[union-attr]
        .order_by(OutboxMessage.id)
        .limit(RETRY_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    delivered = 0
    for message in waiting:
        failure = _deliver(message, smtp_url)
        session.add(message)
        if failure is None:
            delivered += 1
        elif not isinstance(failure, _MESSAGE_FAULTS):
            break
    audit.record(
        session,
        actor=user,
        action="outbox_message.resend",
        entity="outbox_message",
        after={"waiting": len(waiting), "delivered": delivered},
    )
    return delivered


def send_notice(*, to: str, subject: str, body: str, sender: str) -> bool:
    """A plain text e-mail (no invitation, no outbox), e.g. a set-password link; True if the server took it.

    Without SMTP nothing is sent (the caller shows the text instead); a delivery failure is logged, not raised.
    """
    smtp_url = get_settings().smtp_url
    if not smtp_url:
        return False
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = subject, sender, to
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or DEFAULT_HOST)
    mail.set_content(body)
    try:
        refused = _send(parse_smtp_url(smtp_url), mail, sender, [to])
    except (OSError, ValueError) as exc:
        logger.warning("notice to %s not sent: %s", to, exc)
        return False
    return not refused
