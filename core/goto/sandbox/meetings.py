"""The meetings API under /G2M/rest, as the reference OpenAPI contract describes it."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.goto.api import SUBJECT_LIMIT, utf16_length
from core.goto.sandbox import attendance, grants, pages, schedule
from core.goto.sandbox.context import state_of
from core.goto.sandbox.schedule import MeetingFields, StoredMeeting
from core.goto.sandbox.store import Account

MAX_PARTICIPANTS = 250
_REQUIRED = {
    "subject": str,
    "starttime": str,
    "endtime": str,
    "passwordrequired": bool,
    "conferencecallinfo": str,
    "timezonekey": str,
    "meetingtype": str,
}
_MEETING_TYPES = ("immediate", "recurring", "scheduled")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE)
_INT64_MAX = 2**63 - 1


class BadRequest(Exception):
    """A request the contract rejects; the message is GoTo-style text."""


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"int_err_code": code, "msg": message, **extra}, status_code=status)


def _time(value: str, name: str) -> float:
    if not _RFC3339.fullmatch(value):
        raise BadRequest(f"{name} must be an ISO 8601 UTC date-time such as 2015-07-01T22:00:00Z")
    return datetime.fromisoformat(value).timestamp()


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meeting_fields(data: Any) -> MeetingFields:
    """MeetingReqCreate / MeetingReqUpdate checked field by field; BadRequest names the first problem."""
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    for name, kind in _REQUIRED.items():
        if name not in data:
            raise BadRequest(f"{name} is required")
        if not isinstance(data[name], kind):
            raise BadRequest(f"{name} must be a {'boolean' if kind is bool else 'string'}")
    subject, info = data["subject"], data["conferencecallinfo"]
    if utf16_length(subject) > SUBJECT_LIMIT:  # counted as GoTo's JVM counts: UTF-16 code units (see goto_subject)
        raise BadRequest("subject must not exceed 100 characters")
    if "<" in subject or ">" in subject:
        raise BadRequest("subject must encode '<' and '>' as &lt; and &gt;")
    if not info or len(info) > 255:
        raise BadRequest("conferencecallinfo must have 1 to 255 characters")
    if data["timezonekey"] != "":
        raise BadRequest("timezonekey is deprecated and must be an empty string")
    if data["meetingtype"] not in _MEETING_TYPES:
        raise BadRequest(f"meetingtype must be one of {', '.join(_MEETING_TYPES)}")
    keys = data.get("coorganizerKeys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise BadRequest("coorganizerKeys must be an array of strings")
    starts, ends = _time(data["starttime"], "starttime"), _time(data["endtime"], "endtime")
    if starts >= ends:
        raise BadRequest("endtime must be after starttime")
    return MeetingFields(subject, starts, ends, data["passwordrequired"], info, data["meetingtype"], tuple(keys))


Handler = Callable[[Request, Account], Awaitable[Response]]


def authenticated(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run `handler` with the bearer token's account; 401 for missing, expired and revoked tokens."""

    async def endpoint(request: Request) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        account = grants.account_of(state_of(request).store, token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            response = _error(401, "InvalidToken", "Invalid token passed")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        try:
            return await handler(request, account)
        except BadRequest as bad:
            return _error(400, "InvalidRequest", str(bad))

    return endpoint


def _meeting_id(request: Request) -> int | None:
    raw = request.path_params["meeting_id"]
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= _INT64_MAX else None


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise BadRequest("The body must be valid JSON") from None


def _not_found() -> JSONResponse:
    return _error(404, "NotFound", "Meeting not found")


async def create(request: Request, account: Account) -> Response:
    """createMeeting: 201 with a list of one MeetingCreated."""
    fields = meeting_fields(await _json_body(request))
    meeting = schedule.create_meeting(state_of(request).store, account.email, fields)
    return JSONResponse(
        [
            {
                "joinURL": f"{request.base_url}join/{meeting.meeting_id}",
                "meetingid": meeting.meeting_id,
                "maxParticipants": MAX_PARTICIPANTS,
                "uniqueMeetingId": meeting.meeting_id,
                "conferenceCallInfo": fields.conference_call_info,
            }
        ],
        status_code=201,
    )


def _by_id(meeting: StoredMeeting) -> dict[str, Any]:
    f = meeting.fields
    return {
        "createTime": _iso(meeting.created_at),
        "passwordRequired": f.password_required,
        "status": "ACTIVE" if meeting.active else "INACTIVE",
        "subject": f.subject,
        "endTime": _iso(f.ends_at),
        "conferenceCallInfo": f.conference_call_info,
        "startTime": _iso(f.starts_at),
        "duration": round((f.ends_at - f.starts_at) / 60),
        "maxParticipants": MAX_PARTICIPANTS,
        "meetingId": meeting.meeting_id,
        "meetingKey": meeting.meeting_id,
        "meetingType": f.meeting_type,
        "uniqueMeetingId": meeting.meeting_id,
        "coorganizerKeys": list(f.coorganizer_keys),
    }


def _organizer(account: Account) -> dict[str, str]:
    return {
        "firstName": account.first_name,
        "lastName": account.last_name,
        "email": account.email,
        "accountKey": account.account_key,
        "organizerKey": account.organizer_key,
        "locale": "en_US",
    }


async def get(request: Request, account: Account) -> Response:
    """getMeeting: a list of one MeetingById."""
    meeting_id = _meeting_id(request)
    meeting = schedule.get_meeting(state_of(request).store, account.email, meeting_id) if meeting_id else None
    return JSONResponse([_by_id(meeting)]) if meeting else _not_found()


async def update(request: Request, account: Account) -> Response:
    """updateMeeting: 204."""
    meeting_id = _meeting_id(request)
    if meeting_id is None or schedule.get_meeting(state_of(request).store, account.email, meeting_id) is None:
        return _not_found()
    fields = meeting_fields(await _json_body(request))
    if not schedule.update_meeting(state_of(request).store, account.email, meeting_id, fields):
        return _not_found()
    return Response(status_code=204)


async def delete(request: Request, account: Account) -> Response:
    """deleteMeeting: 204."""
    meeting_id = _meeting_id(request)
    if meeting_id is None or not schedule.delete_meeting(state_of(request).store, account.email, meeting_id):
        return _not_found()
    return Response(status_code=204)


async def start(request: Request, account: Account) -> Response:
    """startMeeting: the host URL; the meeting becomes ACTIVE unless another meeting of the account is."""
    meeting_id = _meeting_id(request)
    if meeting_id is None:
        return _not_found()
    try:
        blocking = schedule.start_meeting(state_of(request).store, account.email, meeting_id)
    except LookupError:
        return _not_found()
    if blocking is not None:
        # The contract documents no status for this; 409 Conflict names the meeting that is running.
        return _error(
            409, "MeetingInProgress", "Another meeting of this organizer is in progress.", activeMeetingId=str(blocking)
        )
    return JSONResponse({"hostURL": f"{request.base_url}host/{meeting_id}"})


async def upcoming(request: Request, account: Account) -> Response:
    """getUpcomingMeetings: meetings not ended yet, with ACTIVE/INACTIVE."""
    rows = schedule.upcoming_meetings(state_of(request).store, account.email)
    return JSONResponse(
        [
            {
                **_organizer(account),
                "startTime": _iso(m.fields.starts_at),
                "endTime": _iso(m.fields.ends_at),
                "passwordRequired": m.fields.password_required,
                "status": "ACTIVE" if m.active else "INACTIVE",
                "subject": m.fields.subject,
                "meetingId": str(m.meeting_id),
                "meetingType": m.fields.meeting_type,
                "conferenceCallInfo": m.fields.conference_call_info,
            }
            for m in rows
        ]
    )


async def historical(request: Request, account: Account) -> Response:
    """getHistoricalMeetings: finished sessions that started within startDate..endDate."""
    query = request.query_params
    if "startDate" not in query or "endDate" not in query:
        raise BadRequest("startDate and endDate are required")
    start_at, end_at = _time(query["startDate"], "startDate"), _time(query["endDate"], "endDate")
    if start_at > end_at:
        raise BadRequest("startDate must not be after endDate")
    sessions = schedule.past_sessions(state_of(request).store, account.email, start_at, end_at)
    attended = attendance.attendee_counts(state_of(request).store, [s.session_id for s in sessions])
    return JSONResponse(
        [
            {
                **_organizer(account),
                "startTime": _iso(s.started_at),
                "endTime": _iso(s.ended_at or s.ends_at),
                "numAttendees": str(attended.get(s.session_id, 0)),
                "duration": str(round(((s.ended_at or s.ends_at) - s.started_at) / 60)),
                "sessionId": str(s.session_id),
                "subject": s.subject,
                "meetingId": str(s.meeting_id),
                "meetingType": s.meeting_type,
                "conferenceCallInfo": s.conference_call_info,
            }
            for s in sessions
        ]
    )


async def participant_page(request: Request) -> Response:
    """What the sandbox's join and host URLs show."""
    meeting_id, hosting = _meeting_id(request), request.url.path.startswith("/host/")
    meeting = schedule.get_meeting(state_of(request).store, None, meeting_id) if meeting_id else None
    if meeting is None:
        return pages.not_found_page()
    note = (
        "You are the organizer; the meeting runs."
        if hosting
        else "The meeting is running."
        if meeting.active
        else "Waiting for the organizer to start the meeting."
    )
    return pages.meeting_page(
        "Host meeting" if hosting else "Join meeting", meeting.meeting_id, html.unescape(meeting.fields.subject), note
    )


API = "/G2M/rest"
routes = [
    Route(f"{API}/meetings", authenticated(create), methods=["POST"]),
    Route(f"{API}/meetings/{{meeting_id}}", authenticated(get), methods=["GET"]),
    Route(f"{API}/meetings/{{meeting_id}}", authenticated(update), methods=["PUT"]),
    Route(f"{API}/meetings/{{meeting_id}}", authenticated(delete), methods=["DELETE"]),
    Route(f"{API}/meetings/{{meeting_id}}/start", authenticated(start), methods=["GET"]),
    Route(f"{API}/upcomingMeetings", authenticated(upcoming), methods=["GET"]),
    Route(f"{API}/historicalMeetings", authenticated(historical), methods=["GET"]),
    Route("/join/{meeting_id}", participant_page, methods=["GET"]),
    Route("/host/{meeting_id}", participant_page, methods=["GET"]),
]
