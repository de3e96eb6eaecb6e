"""Every table of Room Desk. Times are stored as UTC and always come back UTC-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database (SQLite has no zones), aware UTC in Python; naive input is refused."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Room Desk stores only time-zone-aware moments")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    admin = "admin"
    staff = "staff"
    support = "support"


# Built-in groups, as in the original add-on: "All" means everybody, "None" nobody, "External" external users.
GROUP_ALL, GROUP_NONE, GROUP_EXTERNAL = "All", "None", "External"
BUILTIN_GROUPS = (GROUP_ALL, GROUP_NONE, GROUP_EXTERNAL)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, sa_column_kwargs={"unique": True})
    display_name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    password_hash: str | None = Field(default=None, max_length=255)
    role: str = Field(max_length=16)
    language: str | None = Field(default=None, max_length=8)
    time_zone: str = Field(default="Europe/Berlin", max_length=64)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Group(SQLModel, table=True):
    __tablename__ = "usergroup"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, sa_column_kwargs={"unique": True})
    builtin: bool = False


class Membership(SQLModel, table=True):
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="usergroup.id", primary_key=True, ondelete="CASCADE")


class Room(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, sa_column_kwargs={"unique": True})
    # The GoTo account's user name (an e-mail address), stored lower-case so uniqueness ignores case.
    goto_account: str | None = Field(default=None, max_length=254, sa_column_kwargs={"unique": True})
    description: str = Field(default="", max_length=500)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoomPermission(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="ck_roompermission_one_subject"),
        sa.UniqueConstraint("room_id", "user_id", "group_id", name="uq_roompermission_subject"),
    )
    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="usergroup.id", ondelete="CASCADE")
    may_book: bool = True
    may_manage: bool = False


class Appointment(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ck_appointment_positive_duration"),
        # One detached occurrence per original start: two people opening it at once get the same row.
        sa.Index("uq_appointment_occurrence", "series_id", "recurrence_id", unique=True),
        # Series are few among a million appointments: their lists read this partial index, not the table.
        sa.Index(
            "ix_appointment_series",
            "starts_at",
            sqlite_where=sa.text("rrule IS NOT NULL"),
            postgresql_where=sa.text("rrule IS NOT NULL"),
        ),
        # Ids are never handed out twice: an editor still open on a deleted appointment must not hit a new one.
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    time_zone: str = Field(default="Europe/Berlin", max_length=64)
    organizer_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")
    # Imported appointments may name an organizer who has no account here; shown as given.
    organizer_name: str = Field(default="", max_length=120)
    note: str = Field(default="", sa_type=sa.Text)
    external_emails: str = Field(default="", sa_type=sa.Text)  # one address per line
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A series (rule 7) is an appointment with a rule: starts_at/ends_at are its first occurrence (DTSTART),
    # time_zone the zone its wall-clock times live in. Its occurrences are booking rows, never meetings.
    rrule: str | None = Field(default=None, max_length=500)  # RFC 5545 RRULE value, without "RRULE:"
    exclusions: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # skipped local dates, ISO
    # No ON DELETE actions on the two references below: SQLite can add them only inline, where they are not
    # reflected; the services delete occurrences before their series, and a room in use cannot be deleted.
    series_room_id: int | None = Field(default=None, foreign_key="room.id")
    series_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # end of the last one; None: never
    booked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # occurrences booked up to here
    # A detached ("opened") occurrence: its series and the original start it replaces (RECURRENCE-ID).
    series_id: int | None = Field(default=None, foreign_key="appointment.id")
    recurrence_id: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Participant(SQLModel, table=True):
    appointment_id: int = Field(foreign_key="appointment.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")


class Booking(SQLModel, table=True):
    """An appointment's hold on a room; times copied from the appointment so conflicts need no join."""

    __table_args__ = (
        sa.Index("ix_booking_room_start", "room_id", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_booking_positive_duration"),
        # One room per occurrence: a single appointment has one row, a series one per occurrence. That a
        # single appointment never gets a second row (rule 1) is enforced by the services.
        sa.UniqueConstraint("appointment_id", "starts_at", name="uq_booking_occurrence"),
    )
    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", ondelete="CASCADE")
    room_id: int = Field(foreign_key="room.id", ondelete="RESTRICT")
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)


class GotoMeetingData(SQLModel, table=True):
    """The internal field `goto_meeting_data` of an appointment: never shown or edited as a field."""

    __tablename__ = "goto_meeting_data"
    appointment_id: int = Field(foreign_key="appointment.id", primary_key=True, ondelete="CASCADE")
    account: str = Field(max_length=254)
    meeting_id: str | None = Field(default=None, max_length=64)
    join_url: str | None = Field(default=None, max_length=500)
    state: str = Field(default="pending", max_length=16)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=80)
    value: Any = Field(default=None, sa_type=sa.JSON)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    actor_name: str = Field(default="", max_length=80)  # kept when the user is later deleted
    effective_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=40)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class RoomLink(SQLModel, table=True):
    """A room's OAuth link to its GoTo account. Tokens are Fernet-encrypted; they are never displayed."""

    __tablename__ = "room_link"
    room_id: int = Field(foreign_key="room.id", primary_key=True, ondelete="CASCADE")
    status: str = Field(default="linked", max_length=20)  # linked | needs_relinking
    email: str = Field(max_length=254)
    account_key: str = Field(default="", max_length=64)
    organizer_key: str = Field(default="", max_length=64)
    access_token: str = Field(sa_type=sa.Text)
    refresh_token: str = Field(sa_type=sa.Text)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    linked_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    last_refresh_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    refresh_count: int = 0
    # Who is refreshing the tokens now and until when (a lease: GoTo is called outside any transaction).
    refresh_lease_owner: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    refresh_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OAuthState(SQLModel, table=True):
    """A pending link attempt: single use, short-lived, bound to the user and the room who started it."""

    __tablename__ = "oauth_state"
    state_hash: str = Field(primary_key=True, max_length=64)  # only a hash: a leaked table reveals no state
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    room_id: int = Field(foreign_key="room.id", ondelete="CASCADE")
    code_verifier: str = Field(sa_type=sa.Text)  # encrypted
    redirect_uri: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """An invitation e-mail: kept here when no SMTP server is configured, or when sending failed."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", ondelete="SET NULL")
    method: str = Field(max_length=10)  # REQUEST | CANCEL
    sender: str = Field(max_length=254)
    recipients: str = Field(sa_type=sa.Text)  # one address per line
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    ics: str = Field(sa_type=sa.Text)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str = Field(default="", max_length=500)


class MeetingJob(SQLModel, table=True):
    """Work for GoTo, recorded before GoTo is called: bring an appointment's meeting in line, delete one, or
    settle a create that was sent (the create ledger).

    Claimed with a lease (row locks on PostgreSQL, an immediate transaction on SQLite), so double clicks,
    reruns, replicas and workers never run the same job twice at once. `version` grows with every save that
    plans the job; a run finishes (deletes the row) only if the version is still the one it started with.
    """

    __tablename__ = "meeting_job"
    __table_args__ = (sa.Index("ix_meeting_job_due", "next_attempt_at"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # sync | delete | create
    # One sync job per appointment at most; delete and create jobs outlive their appointment, so they carry
    # the meeting (delete) or what was sent (create) themselves.
    appointment_id: int | None = Field(
        default=None, foreign_key="appointment.id", ondelete="CASCADE", sa_column_kwargs={"unique": True}
    )
    account: str | None = Field(default=None, max_length=254)
    meeting_id: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = 1
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # given up after too many attempts
    # A create ledger entry (kind "create"): what was POSTed, for which appointment (a plain id: the entry
    # must outlive the appointment), and when. Removed once the meeting is found and settled or proven absent.
    sent_for: int | None = Field(default=None, index=True)
    subject: str | None = Field(default=None, max_length=200)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ActivationRequest(SQLModel, table=True):
    """A request to register this system's OAuth redirect URL at GoTo, worked through by support staff.

    The URL itself is not stored: it holds the callback token, a secret kept encrypted elsewhere. A hash
    identifies it (is this still the current URL?) and a masked hint shows it once it is out of date.
    """

    __tablename__ = "activation_request"
    __table_args__ = (sa.Index("ix_activation_request_status", "status", "requested_at"),)
    id: int | None = Field(default=None, primary_key=True)
    system_name: str = Field(max_length=120, index=True)
    url_hash: str = Field(max_length=64)
    url_hint: str = Field(max_length=1000)
    contact: str = Field(default="", max_length=254)
    note: str = Field(default="", max_length=500)
    status: str = Field(default="pending", max_length=12)  # pending | registered | superseded | rejected
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    requested_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    requested_by_name: str = Field(default="", max_length=120)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decided_by_name: str = Field(default="", max_length=120)
    registered_via: str = Field(default="", max_length=10)  # sandbox | manual
    reason: str = Field(default="", max_length=500)  # why support rejected it
    superseded_by_id: int | None = Field(default=None, foreign_key="activation_request.id", ondelete="SET NULL")


class MeetingSession(SQLModel, table=True):
    """One run of a meeting on a room's GoTo account, as GoTo's history reports it (collected by the worker)."""

    __tablename__ = "meeting_session"
    __table_args__ = (
        sa.UniqueConstraint("account", "session_key", name="uq_meeting_session_key"),  # collecting twice is harmless
        sa.Index("ix_meeting_session_start", "starts_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=254)
    session_key: str = Field(max_length=64)  # GoTo's sessionId
    room_id: int | None = Field(default=None, foreign_key="room.id", ondelete="SET NULL", index=True)
    meeting_id: str = Field(max_length=64)
    subject: str = Field(default="", max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    attendees: int = 0
    collected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HistoryCursor(SQLModel, table=True):
    """How far GoTo's history of one account has been collected, and how the last attempt went."""

    __tablename__ = "history_cursor"
    account: str = Field(primary_key=True, max_length=254)
    collected_until: datetime = Field(sa_type=UTCDateTime)
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)


class WorkerHeartbeat(SQLModel, table=True):
    """A worker's sign of life, written after every pass; `roomdesk status` and the sidebar read it."""

    __tablename__ = "worker_heartbeat"
    worker: str = Field(primary_key=True, max_length=200)  # host:pid, so replicas and restarts stay apart
    kind: str = Field(default="worker", max_length=16)  # worker (roomdesk worker) | embedded (dashboard thread)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    interval_seconds: float = 60.0
    passes: int = 0
    last_report: str = Field(default="", max_length=500)


class SignInSession(SQLModel, table=True):
    """A signed-in browser. The browser holds only a random id (signed); this row holds its hash."""

    __tablename__ = "signin_session"
    id_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the id: a leaked table signs nobody in
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    method: str = Field(default="password", max_length=12)  # password | sso
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # the absolute end, whatever the activity
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str = Field(default="", max_length=30)
    client_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


class SignInAttempt(SQLModel, table=True):
    """One sign-in try with a password, for throttling by user name and by client address."""

    __tablename__ = "signin_attempt"
    __table_args__ = (
        sa.Index("ix_signin_attempt_username", "username", "at"),
        sa.Index("ix_signin_attempt_address", "client_address", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    username: str = Field(max_length=80)
    client_address: str = Field(default="", max_length=64)
    succeeded: bool = False


class PasswordReset(SQLModel, table=True):
    """A one-time set-password link; only the hash of its token is kept."""

    __tablename__ = "password_reset"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
