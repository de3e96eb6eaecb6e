"""GoTo's JSON shapes to and from our typed values."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from core.goto.api import Meeting, MeetingSpec, goto_subject


def format_time(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, whole seconds, as GoTo documents its times."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# GoTo's contract types every time as `format: date-time` (RFC 3339) and describes them as "ISO8601 UTC string, e.g.
# 2015-07-01T22:00:00Z". Answers seen from GoTo also carry "+0000" offsets, a bare "." or milliseconds before them
# ("2015-07-01T22:00:00.+0000", "...00.000+0000"), and older ones no offset at all (meant as UTC).
_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<clock>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.(?P<fraction>\d*))?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_time(text: str) -> datetime:
    """A GoTo time in any of the forms above, as an aware UTC datetime (sub-microsecond digits are dropped)."""
    found = _TIME.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"not a GoTo time: {text!r}")
    clock = found["clock"] if found["clock"].count(":") == 2 else found["clock"] + ":00"
    moment = datetime.fromisoformat(f"{found['date']}T{clock}")
    if found["fraction"]:
        moment = moment.replace(microsecond=int(found["fraction"][:6].ljust(6, "0")))
    zone = found["zone"]
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        return moment.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)
    return moment.replace(tzinfo=UTC)


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
