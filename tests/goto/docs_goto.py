"""A strict stand-in for GoTo, written from GoTo's documentation alone (never from the sandbox).

Token answers are the examples of GoTo's guide "How to Obtain and Use Refresh Tokens"
(https://developer.goto.com/guides/Authentication/05_HOW_refreshToken) and "Migrating to New Token Retrieval with
authentication.logmeininc.com": form-encoded requests to /oauth/token with the client in HTTP Basic, answers with
`access_token`, `expires_in`, `scope`, `principal`, and `token_type` + `refresh_token` only when a refresh token
is issued. Meetings answers follow the reference OpenAPI contract (MeetingCreated, MeetingById, UpcomingMeeting,
StartUrl), with times in the RFC 3339 forms the contract's `format: date-time` allows. Requests that the docs
do not allow are answered 400 and recorded in `violations`, so a test can assert there were none.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx

AUTH = "https://authentication.logmeininc.com"
API = "https://api.getgo.com/G2M/rest"
CLIENT_ID, CLIENT_SECRET = "a2b-client", "s3cr3t"
PRINCIPAL = "Mahar.Singh@Company.com"  # GoTo's own example principal, with capitals: matching ignores case
SCOPE = "collab:"

# Recorded from "How to Obtain and Use Refresh Tokens" (values shortened there too).
DOCUMENTED_REFRESH_WITHOUT_NEW_TOKEN = {"access_token", "expires_in", "scope", "principal"}
DOCUMENTED_REFRESH_WITH_NEW_TOKEN = {"access_token", "token_type", "refresh_token", "expires_in", "scope", "principal"}
RETIRED_FIELDS = {"email", "organizer_key", "account_key", "account_type", "firstName", "lastName", "version"}


_FORMS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.000Z", "%Y-%m-%dT%H:%M:%S+00:00")
_turn = [0]


def _goto_time(moment: datetime) -> str:
    """RFC 3339 as the contract's `format: date-time` allows: with Z, with milliseconds, with +00:00, in turn."""
    _turn[0] += 1
    return moment.astimezone(UTC).strftime(_FORMS[_turn[0] % len(_FORMS)])


@dataclass
class DocsGoto:
    """GoTo as documented; `rotate_next_refresh` makes the next refresh hand out a new refresh token."""

    principal: str = PRINCIPAL
    rotate_next_refresh: bool = False
    violations: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # code -> redirect_uri
    refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)
    meetings: dict[int, dict[str, Any]] = field(default_factory=dict)
    token_answers: list[dict[str, Any]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def issue_code(self, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(8)
        self.codes[code] = redirect_uri
        return code

    def refuse(self, why: str) -> httpx.Response:
        self.violations.append(why)
        return httpx.Response(400, json={"error": "invalid_request", "error_description": why})

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(f"{AUTH}/oauth/token"):
            return self._token(request)
        if url.startswith(API + "/"):
            return self._api(request, request.url.path.removeprefix("/G2M/rest"))
        return self.refuse(f"unknown endpoint {request.method} {url}")

    # --- authentication.logmeininc.com/oauth/token --------------------------------------------------------

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return self.refuse("the token endpoint takes POST")
        if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self.refuse("the token request must be application/x-www-form-urlencoded")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return self.refuse("the client must authenticate with HTTP Basic (clientID:clientSecret, base64)")
        form = dict(parse_qsl(request.content.decode()))
        if "client_secret" in form:
            return self.refuse("the client secret belongs in the Authorization header, not the body")
        if form.get("grant_type") == "authorization_code":
            if self.codes.pop(form.get("code", ""), None) != form.get("redirect_uri"):
                return httpx.Response(400, json={"error": "invalid_grant"})
            refresh = secrets.token_urlsafe(16)
            self.refresh_tokens.add(refresh)
            answer = {"access_token": self._access(), "token_type": "Bearer", "refresh_token": refresh}
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return httpx.Response(400, json={"error": "invalid_grant"})
            answer = {"access_token": self._access()}
            if self.rotate_next_refresh:  # "if a new refresh token has been issued because the old one has expired"
                self.rotate_next_refresh = False
                self.refresh_tokens.discard(form["refresh_token"])
                refresh = secrets.token_urlsafe(16)
                self.refresh_tokens.add(refresh)
                answer.update(token_type="Bearer", refresh_token=refresh)
        else:
            return self.refuse(f"unsupported grant_type {form.get('grant_type')!r}")
        answer.update(expires_in=3600, scope=SCOPE, principal=self.principal)
        self.token_answers.append(answer)
        return httpx.Response(200, json=answer)

    def _access(self) -> str:
        token = secrets.token_urlsafe(16)
        self.access_tokens.add(token)
        return token

    # --- api.getgo.com/G2M/rest ---------------------------------------------------------------------------

    def _api(self, request: httpx.Request, path: str) -> httpx.Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.access_tokens:
            return httpx.Response(401, json={"int_err_code": "InvalidToken", "msg": "Invalid token passed"})
        parts = path.strip("/").split("/")
        if request.method == "POST" and parts == ["meetings"]:
            body = self._meeting_body(request)
            if isinstance(body, httpx.Response):
                return body
            meeting_id = secrets.randbelow(900_000_000) + 100_000_000
            self.meetings[meeting_id] = body
            created = {
                "joinURL": f"https://global.gotomeeting.com/join/{meeting_id}",
                "meetingid": meeting_id,
                "maxParticipants": 250,
                "uniqueMeetingId": meeting_id,
                "conferenceCallInfo": body["conferencecallinfo"],
            }
            return httpx.Response(201, json=[created])
        if parts == ["upcomingMeetings"] and request.method == "GET":
            return httpx.Response(200, json=[self._upcoming(i, m) for i, m in self.meetings.items()])
        if len(parts) >= 2 and parts[0] == "meetings" and parts[1].isdigit():
            meeting_id = int(parts[1])
            if meeting_id not in self.meetings:
                return httpx.Response(404, json={"int_err_code": "NotFound", "msg": "Meeting not found"})
            if parts[2:] == ["start"] and request.method == "GET":
                return httpx.Response(200, json={"hostURL": f"https://global.gotomeeting.com/start/{meeting_id}"})
            if parts[2:]:
                return self.refuse(f"unknown endpoint {request.method} {path}")
            if request.method == "GET":
                return httpx.Response(200, json=[self._by_id(meeting_id, self.meetings[meeting_id])])
            if request.method == "PUT":
                body = self._meeting_body(request)
                if isinstance(body, httpx.Response):
                    return body
                self.meetings[meeting_id] = body
                return httpx.Response(204)
            if request.method == "DELETE":
                del self.meetings[meeting_id]
                return httpx.Response(204)
        return self.refuse(f"unknown endpoint {request.method} {path}")

    def _meeting_body(self, request: httpx.Request) -> dict[str, Any] | httpx.Response:
        """MeetingReqCreate / MeetingReqUpdate, every documented rule."""
        try:
            body = json.loads(request.content)
        except ValueError:
            return self.refuse("the meeting body must be JSON")
        required = ("subject", "starttime", "endtime", "passwordrequired", "conferencecallinfo", "timezonekey")
        missing = [k for k in (*required, "meetingtype") if k not in body]
        if missing:
            return self.refuse(f"missing {missing}")
        subject = body["subject"]
        if len(subject.encode("utf-16-le")) // 2 > 100:
            return self.refuse("subject: 100 characters maximum")
        if "<" in subject or ">" in subject:
            return self.refuse("subject: '<' and '>' have to be replaced with &lt; and &gt;")
        for name in ("starttime", "endtime"):
            if not (isinstance(body[name], str) and body[name].endswith("Z")):
                return self.refuse(f"{name}: a required ISO8601 UTC string, e.g. 2015-07-01T22:00:00Z")
        if body["timezonekey"] != "":
            return self.refuse("timezonekey: DEPRECATED. Must be provided and set to empty string ''")
        if body["meetingtype"] not in ("immediate", "recurring", "scheduled"):
            return self.refuse("meetingtype: immediate, recurring or scheduled")
        return dict(body)

    def _times(self, body: dict[str, Any]) -> tuple[datetime, datetime]:
        start = datetime.fromisoformat(body["starttime"])
        return start, datetime.fromisoformat(body["endtime"])

    def _by_id(self, meeting_id: int, body: dict[str, Any]) -> dict[str, Any]:
        start, end = self._times(body)
        return {
            "createTime": _goto_time(datetime.now(UTC)),  # typed date-time (its text says "DEPRECATED ... ''")
            "passwordRequired": body["passwordrequired"],
            "status": "INACTIVE",
            "subject": body["subject"],
            "endTime": _goto_time(end),
            "conferenceCallInfo": body["conferencecallinfo"],
            "startTime": _goto_time(start),
            "duration": int((end - start).total_seconds() // 60),
            "maxParticipants": 250,
            "meetingId": meeting_id,
            "meetingKey": meeting_id,
            "meetingType": body["meetingtype"],
            "uniqueMeetingId": meeting_id,
        }

    def _upcoming(self, meeting_id: int, body: dict[str, Any]) -> dict[str, Any]:
        start, end = self._times(body)
        return {
            "startTime": _goto_time(start),
            "lastName": "Singh",
            "accountKey": "9999982253621659654",
            "passwordRequired": body["passwordrequired"],
            "email": self.principal,
            "status": "INACTIVE",
            "subject": body["subject"],
            "locale": "en_US",
            "organizerKey": "8439885694023999999",
            "meetingId": str(meeting_id),
            "meetingType": body["meetingtype"],
            "firstName": "Mahar",
            "endTime": _goto_time(end),
            "conferenceCallInfo": body["conferencecallinfo"],
        }
