"""GoTo's JSON shapes to and from our typed values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.goto.api import Meeting, MeetingSpec, goto_subject


def format_time(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, whole seconds, as GoTo documents its times."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """A GoTo time as an aware UTC datetime."""
    # Real GoTo answers "2015-07-01T22:00:00.+0000" (a dot without fraction); 3.11's parser takes it.
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def meeting_body(spec: MeetingSpec) -> dict[str, Any]:
    """The MeetingReqCreate / MeetingReqUpdate body for `spec`."""
    return {
        "subject": goto_subject(spec.subject),
        "starttime": format_time(spec.starts_at),
        "endtime": format_time(spec.ends_at),
        "passwordrequired": spec.password_required,
        "conferencecallinfo": spec.conference_call_info,
        "timezonekey": "",  # deprecated at GoTo but required, and must be empty
        "meetingtype": "scheduled",
    }


def _first(data: Any) -> dict[str, Any]:
    """GoTo wraps single meetings in a list."""
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    if isinstance(data, dict):
        return data
    raise ValueError("GoTo answered without a meeting")


def _int_or_none(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def _meeting_id(row: dict[str, Any]) -> str:
    value = row.get("meetingid", row.get("meetingId"))  # createMeeting spells it "meetingid"
    if value in (None, ""):
        raise ValueError("GoTo answered without a meeting id")
    return str(value)


def created_meeting(data: Any, spec: MeetingSpec) -> Meeting:
    """Meeting from createMeeting's answer (it carries no subject or times: they come from the spec)."""
    row = _first(data)
    return Meeting(
        meeting_id=_meeting_id(row),
        subject=goto_subject(spec.subject),
        starts_at=spec.starts_at.replace(microsecond=0),
        ends_at=spec.ends_at.replace(microsecond=0),
        conference_call_info=str(row.get("conferenceCallInfo", spec.conference_call_info)),
        join_url=row.get("joinURL"),
        max_participants=_int_or_none(row.get("maxParticipants")),
        password_required=spec.password_required,
    )


def listed_meeting(row: dict[str, Any]) -> Meeting:
    """Meeting from getMeeting, upcomingMeetings or historicalMeetings entries."""
    passwords = row.get("passwordRequired")
    return Meeting(
        meeting_id=_meeting_id(row),
        subject=str(row.get("subject", "")),
        starts_at=parse_time(row["startTime"]),
        ends_at=parse_time(row["endTime"]),
        conference_call_info=str(row.get("conferenceCallInfo", "")),
        join_url=row.get("joinURL"),
        status=row.get("status"),
        max_participants=_int_or_none(row.get("maxParticipants")),
        password_required=passwords if isinstance(passwords, bool) else None,
    )


def fetched_meeting(data: Any) -> Meeting:
    """Meeting from getMeeting's one-element list."""
    return listed_meeting(_first(data))


def error_text(data: Any, fallback: str) -> str:
    """GoTo's own error text from an error body, whatever its shape."""
    if isinstance(data, dict):
        for key in ("msg", "description", "message", "error_description", "error"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])
    return fallback
