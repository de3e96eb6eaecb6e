"""What GoTo reports about meetings that ran: sessions (getHistoricalMeetings) and their attendees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.goto.wire import parse_time


@dataclass(frozen=True)
class PastSession:
    """One finished run of a meeting on an account (a HistoricalMeeting row)."""

    session_id: str
    meeting_id: str
    subject: str
    starts_at: datetime
    ends_at: datetime
    attendees: int


@dataclass(frozen=True)
class Attendee:
    """One person in one session of a meeting (an AttendeeByMeeting row)."""

    session_id: str
    name: str
    email: str
    joined_at: datetime
    left_at: datetime


class SessionHistory(Protocol):
    """The part of the GoTo client that reads history."""

    def past_sessions(self, account: str, start: datetime, end: datetime) -> list[PastSession]: ...


def _count(value: Any) -> int:
    # The contract types numAttendees and duration as strings here and as integers elsewhere.
    return int(value) if value not in (None, "") else 0


def past_session(row: dict[str, Any]) -> PastSession:
    """A HistoricalMeeting row as a PastSession (missing sessionId: GoTo's meeting id and start identify it)."""
    meeting_id = str(row.get("meetingId") or row.get("meetingid") or "")
    if not meeting_id:
        raise ValueError("GoTo answered a historical meeting without a meeting id")
    starts = parse_time(row["startTime"])
    session_id = str(row.get("sessionId") or row.get("meetingInstanceKey") or f"{meeting_id}@{starts:%Y%m%dT%H%M%SZ}")
    return PastSession(
        session_id=session_id,
        meeting_id=meeting_id,
        subject=str(row.get("subject", "")),
        starts_at=starts,
        ends_at=parse_time(row["endTime"]),
        attendees=_count(row.get("numAttendees")),
    )


def attendee(row: dict[str, Any]) -> Attendee:
    """An AttendeeByMeeting row."""
    return Attendee(
        session_id=str(row.get("meetingInstanceKey", "")),
        name=str(row.get("attendeeName") or row.get("name") or ""),
        email=str(row.get("attendeeEmail", "")),
        joined_at=parse_time(row["joinTime"]),
        left_at=parse_time(row["leaveTime"]),
    )
