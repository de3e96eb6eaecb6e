"""The GoTo port: what Room Desk needs from GoTo Meeting, as typed values and protocols."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

# GoTo's contract (MeetingReqCreate/MeetingReqUpdate.subject): "100 characters maximum. The characters '>' and '<'
# have to be replaced with the corresponding html character code". It does not say what a character is. GoTo's
# services run on the JVM, where a string's length counts UTF-16 code units, so Room Desk counts UTF-16 code units:
# a subject within 100 of them is within 100 code points too, so GoTo accepts it under either reading.
SUBJECT_LIMIT = 100
_ESCAPES = {"<": "&lt;", ">": "&gt;"}
_JOINERS = {"\u200d"}  # a zero-width joiner left at the cut would glue the next emoji GoTo never sees


def utf16_length(text: str) -> int:
    """The length GoTo's 100-character subject limit counts: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def goto_subject(text: str) -> str:
    """The subject as sent to GoTo: `<`/`>` escaped, at most 100 UTF-16 units, never half an escape or a code point.

    Only what is sent is shortened; the appointment keeps the subject exactly as the user typed it.
    """
    out: list[str] = []
    length = 0
    for char in text:
        piece = _ESCAPES.get(char, char)
        size = utf16_length(piece)
        if length + size > SUBJECT_LIMIT:
            while out and out[-1] in _JOINERS:
                out.pop()
            break
        out.append(piece)
        length += size
    return "".join(out)


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _whole(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)  # GoTo keeps whole seconds


@dataclass(frozen=True)
class MeetingSpec:
    """What to schedule: subject (unescaped, any length) and UTC-aware start and end."""

    subject: str
    starts_at: datetime
    ends_at: datetime
    conference_call_info: str = "Hybrid"
    password_required: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts_at", _utc(self.starts_at, "starts_at"))
        object.__setattr__(self, "ends_at", _utc(self.ends_at, "ends_at"))
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")

    def matches(self, meeting: Meeting) -> bool:
        """Whether `meeting` is what this spec would create (to find a create whose answer was lost)."""
        return (
            html.unescape(meeting.subject) == html.unescape(goto_subject(self.subject))
            and meeting.starts_at == _whole(self.starts_at)
            and meeting.ends_at == _whole(self.ends_at)
        )


@dataclass(frozen=True)
class Meeting:
    """A GoTo meeting as GoTo reports it; fields GoTo's answer lacks are None."""

    meeting_id: str
    subject: str
    starts_at: datetime
    ends_at: datetime
    conference_call_info: str
    join_url: str | None = None
    status: str | None = None  # ACTIVE | INACTIVE where GoTo says
    max_participants: int | None = None
    password_required: bool | None = None


@dataclass(frozen=True)
class TokenSet:
    """What GoTo's token endpoint answers, with the lifetime turned into a UTC moment.

    GoTo's guide "How to Obtain and Use Refresh Tokens" documents the answer as `access_token`, `expires_in`,
    `scope`, `principal` ("Who the token represents": the signed-in user's e-mail) and, only when GoTo issued a
    new one, `refresh_token` with `token_type`. The retired api.getgo.com/oauth fields (email, organizer_key,
    account_key, firstName, lastName) are gone. `refresh_rotated` says whether this answer carried a refresh token.
    """

    access_token: str
    refresh_token: str
    expires_at: datetime
    principal: str = ""
    scope: str = ""
    refresh_rotated: bool = True

    @property
    def account(self) -> str:
        """The principal as Room Desk keeps GoTo account names (trimmed, lower case): compare case-insensitively."""
        return self.principal.strip().lower()


class TokenSource(Protocol):
    """Gives the client a bearer token per account; Room Desk's implementation stores and locks them."""

    def access_token(self, account: str) -> str: ...

    def refreshed_access_token(self, account: str, rejected: str) -> str: ...


class GotoApi(Protocol):
    """The meetings operations services use; `account` is the room's GoTo account (its e-mail)."""

    def create_meeting(self, account: str, spec: MeetingSpec) -> Meeting: ...

    def update_meeting(self, account: str, meeting_id: str, spec: MeetingSpec) -> None: ...

    def delete_meeting(self, account: str, meeting_id: str) -> None: ...

    def get_meeting(self, account: str, meeting_id: str) -> Meeting | None: ...

    def host_url(self, account: str, meeting_id: str) -> str: ...

    def upcoming_meetings(self, account: str) -> list[Meeting]: ...

    def historical_meetings(self, account: str, start: datetime, end: datetime) -> list[Meeting]: ...
