"""What GoTo remembers of meetings that ran: attendees per session, the attendees endpoint, a movable clock.

Sessions themselves are recorded by `schedule` (starting via the host URL, ending by the organizer or the
planned end). This module adds who attended, past sessions recorded directly (for demos and tests), and the
control endpoints that move the sandbox's clock.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.goto.sandbox import control, meetings
from core.goto.sandbox.attendance import attendee_count
from core.goto.sandbox.context import SandboxState, state_of
from core.goto.sandbox.store import Account, Clock, Store


class ShiftedClock:
    """The sandbox's clock: another clock plus an offset that the control endpoint moves (tests, demos)."""

    def __init__(self, base: Clock) -> None:
        self.base, self.offset, self._lock = base, timedelta(0), threading.Lock()

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def shift(self, delta: timedelta) -> datetime:
        """Move the clock by `delta` (forward or back) and return the new now."""
        with self._lock:
            self.offset += delta
        return self()

    def set(self, moment: datetime) -> datetime:
        """Make `moment` the current time."""
        with self._lock:
            self.offset = moment - self.base()
        return self()


def record_session(
    store: Store,
    email: str,
    *,
    subject: str,
    started_at: float,
    ended_at: float,
    meeting_id: int | None,
    attendees: list[tuple[str, str]],
) -> tuple[int, int]:
    """Record a finished session as if it had run (demos, tests); returns (session id, meeting id)."""
    with store.write() as db:
        while meeting_id is None:  # a meeting nobody scheduled here: an ad-hoc run with the account's credentials
            candidate = secrets.randbelow(900_000_000) + 100_000_000
            taken = db.execute(
                "SELECT 1 FROM meetings WHERE meeting_id = ? UNION SELECT 1 FROM sessions WHERE meeting_id = ?",
                (candidate, candidate),
            ).fetchone()
            meeting_id = None if taken else candidate
        cursor = db.execute(
            "INSERT INTO sessions (meeting_id, email, subject, conference_call_info, meeting_type, started_at, "
            "ends_at, ended_at) VALUES (?, ?, ?, 'Hybrid', 'scheduled', ?, ?, ?)",
            (meeting_id, email, subject, started_at, ended_at, ended_at),
        )
        session_id = int(cursor.lastrowid or 0)
        for name, address in attendees:
            db.execute(
                "INSERT INTO attendees VALUES (?, ?, ?, ?, ?)", (session_id, name, address, started_at, ended_at)
            )
    return session_id, meeting_id


def join_running(store: Store, meeting_id: int, name: str, email: str) -> int | None:
    """Someone joins the meeting's running session; its id, None when the meeting does not run."""
    with store.write() as db:
        now = store.now()
        row = db.execute(
            "SELECT session_id FROM sessions WHERE meeting_id = ? AND ended_at IS NULL AND ends_at > ?",
            (meeting_id, now),
        ).fetchone()
        if row is None:
            return None
        db.execute("INSERT INTO attendees VALUES (?, ?, ?, ?, NULL)", (row[0], name, email, now))
        return int(row[0])


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def attendees_of(store: Store, account: Account, meeting_id: int) -> list[dict[str, Any]] | None:
    """AttendeeByMeeting rows for every finished session of the account's meeting; None if it never ran."""
    now = store.now()
    with store.read() as db:
        sessions = db.execute(
            "SELECT * FROM sessions WHERE meeting_id = ? AND email = ? AND NOT (ended_at IS NULL AND ends_at > ?) "
            "ORDER BY started_at",
            (meeting_id, account.email, now),
        ).fetchall()
        if not sessions:
            return None
        out: list[dict[str, Any]] = []
        for s in sessions:
            ended = s["ended_at"] or s["ends_at"]
            people = db.execute(
                "SELECT * FROM attendees WHERE session_id = ? ORDER BY joined_at", (s["session_id"],)
            ).fetchall()
            for p in people:
                left = p["left_at"] if p["left_at"] is not None else ended
                out.append(
                    {
                        "lastName": account.last_name,
                        "groupName": "NA",
                        "numAttendees": len(people),
                        "attendeeName": p["name"],
                        "subject": s["subject"],
                        "endTime": _iso(ended),
                        "conferenceCallInfo": s["conference_call_info"],
                        "organizerkey": int(account.organizer_key),
                        "startTime": _iso(s["started_at"]),
                        "meetingInstanceKey": int(s["session_id"]),
                        "duration": round((ended - s["started_at"]) / 60),
                        "email": account.email,
                        "joinTime": _iso(p["joined_at"]),
                        "name": p["name"],
                        "leaveTime": _iso(min(left, ended)),
                        "attendeeEmail": p["email"],
                        "meetingId": meeting_id,  # an integer here, a string in HistoricalMeeting
                        "meetingType": s["meeting_type"],
                        "firstName": account.first_name,
                    }
                )
    return out


async def attendees(request: Request, account: Account) -> Response:
    """getAttendeesByMeetings: the attendees of the meeting's finished sessions."""
    raw = request.path_params["meeting_id"]
    rows = attendees_of(state_of(request).store, account, int(raw)) if raw.isascii() and raw.isdigit() else None
    if rows is None:
        return JSONResponse({"int_err_code": "NotFound", "msg": "Meeting not found"}, status_code=404)
    return JSONResponse(rows)


def _moment(value: object, name: str) -> float:
    if not isinstance(value, str):
        raise ValueError(f"{name} is required (ISO 8601 with offset)")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs a UTC offset")
    return moment.timestamp()


async def clock(request: Request, sandbox: SandboxState) -> Response:
    """GET the sandbox's now; POST {"advance_seconds": n} or {"now": ISO} moves it."""
    moving: ShiftedClock = request.app.state.sandbox_clock
    if request.method == "POST":
        data = await request.json() if await request.body() else {}
        try:
            if isinstance(data, dict) and "now" in data:
                moving.set(datetime.fromtimestamp(_moment(data["now"], "now"), UTC))
            elif isinstance(data, dict) and isinstance(data.get("advance_seconds"), int | float):
                moving.shift(timedelta(seconds=float(data["advance_seconds"])))
            else:
                raise ValueError("send advance_seconds (a number) or now (ISO 8601 with offset)")
        except ValueError as bad:
            return JSONResponse({"error": str(bad)}, status_code=400)
    now = moving()
    return JSONResponse({"now": now.isoformat(), "offset_seconds": moving.offset.total_seconds()})


async def past_session(request: Request, sandbox: SandboxState) -> Response:
    """Record a finished session on an account: {subject, start, end, meeting_id?, attendees: [{name, email}]}."""
    account = sandbox.store.account(request.path_params["email"])
    if account is None:
        return JSONResponse({"error": "Unknown account"}, status_code=404)
    data = await request.json()
    try:
        if not isinstance(data, dict):
            raise ValueError("The body must be a JSON object")
        started, ended = _moment(data.get("start"), "start"), _moment(data.get("end"), "end")
        if ended <= started:
            raise ValueError("end must be after start")
        if ended > sandbox.store.now():
            raise ValueError("a recorded session must have ended already (move the clock instead)")
        people = [(str(p.get("name", "")), str(p.get("email", ""))) for p in data.get("attendees", [])]
        raw_id = data.get("meeting_id")
        meeting_id = int(raw_id) if raw_id not in (None, "") else None
    except (ValueError, TypeError, AttributeError) as bad:
        return JSONResponse({"error": str(bad)}, status_code=400)
    session_id, meeting_id = record_session(
        sandbox.store,
        account.email,
        subject=str(data.get("subject") or "Meeting"),
        started_at=started,
        ended_at=ended,
        meeting_id=meeting_id,
        attendees=people,
    )
    return JSONResponse({"session_id": str(session_id), "meeting_id": str(meeting_id)}, status_code=201)


async def join(request: Request, sandbox: SandboxState) -> Response:
    """Someone joins a running meeting: {name, email}."""
    raw = request.path_params["meeting_id"]
    data = await request.json() if await request.body() else {}
    data = data if isinstance(data, dict) else {}
    session_id = (
        join_running(sandbox.store, int(raw), str(data.get("name", "Guest")), str(data.get("email", "")))
        if raw.isascii() and raw.isdigit()
        else None
    )
    if session_id is None:
        return JSONResponse({"error": "No running meeting with this id"}, status_code=404)
    return JSONResponse({"session_id": str(session_id), "attendees": attendee_count(sandbox.store, session_id)})


routes = [
    Route(f"{meetings.API}/meetings/{{meeting_id}}/attendees", meetings.authenticated(attendees), methods=["GET"]),
    Route("/_sandbox/clock", control.admin_only(clock), methods=["GET", "POST"]),
    Route("/_sandbox/accounts/{email}/sessions", control.admin_only(past_session), methods=["POST"]),
    Route("/_sandbox/meetings/{meeting_id}/attendees", control.admin_only(join), methods=["POST"]),
]
