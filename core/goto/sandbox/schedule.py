"""Meetings and their sessions (the runs of a meeting) in the sandbox's state."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass

from core.goto.sandbox.store import Store


@dataclass(frozen=True)
class MeetingFields:
    """What a create or update request sets (times as UNIX timestamps)."""

    subject: str
    starts_at: float
    ends_at: float
    password_required: bool
    conference_call_info: str
    meeting_type: str
    coorganizer_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredMeeting:
    """A scheduled meeting of one account, with whether it is running now."""

    meeting_id: int
    email: str
    fields: MeetingFields
    created_at: float
    active: bool


@dataclass(frozen=True)
class Session:
    """One run of a meeting, from start to its end (ended_at None while it may still run)."""

    session_id: int
    meeting_id: int
    email: str
    subject: str
    conference_call_info: str
    meeting_type: str
    started_at: float
    ends_at: float
    ended_at: float | None


_ACTIVE = "ended_at IS NULL AND ends_at > ?"


def create_meeting(store: Store, email: str, fields: MeetingFields) -> StoredMeeting:
    """Store a new meeting under a fresh 9-digit id (GoTo's ids look like that)."""
    with store.write() as db:
        while True:
            meeting_id = secrets.randbelow(900_000_000) + 100_000_000
            if db.execute("SELECT 1 FROM meetings WHERE meeting_id = ?", (meeting_id,)).fetchone() is None:
                break
        db.execute(
            "INSERT INTO meetings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meeting_id,
                email,
                fields.subject,
                fields.starts_at,
                fields.ends_at,
                int(fields.password_required),
                fields.conference_call_info,
                fields.meeting_type,
                json.dumps(list(fields.coorganizer_keys)),
                store.now(),
            ),
        )
    found = get_meeting(store, email, meeting_id)
    assert found is not None
    return found


def get_meeting(store: Store, email: str | None, meeting_id: int) -> StoredMeeting | None:
    """The account's meeting (any account's when `email` is None); None when unknown or another account's."""
    with store.read() as db:
        row = db.execute(
            "SELECT * FROM meetings WHERE meeting_id = ? AND coalesce(?, email) = email", (meeting_id, email)
        ).fetchone()
        return _meeting(db, row, store.now()) if row else None


def update_meeting(store: Store, email: str, meeting_id: int, fields: MeetingFields) -> bool:
    """Replace the meeting's fields; False when it is not the account's."""
    with store.write() as db:
        return (
            db.execute(
                "UPDATE meetings SET subject = ?, starts_at = ?, ends_at = ?, password_required = ?, "
                "conference_call_info = ?, meeting_type = ?, coorganizer_keys = ? "
                "WHERE meeting_id = ? AND email = ?",
                (
                    fields.subject,
                    fields.starts_at,
                    fields.ends_at,
                    int(fields.password_required),
                    fields.conference_call_info,
                    fields.meeting_type,
                    json.dumps(list(fields.coorganizer_keys)),
                    meeting_id,
                    email,
                ),
            ).rowcount
            > 0
        )


def delete_meeting(store: Store, email: str, meeting_id: int) -> bool:
    """Delete the meeting (a running session ends with it); False when it is not the account's."""
    with store.write() as db:
        now = store.now()
        db.execute(
            f"UPDATE sessions SET ended_at = ? WHERE meeting_id = ? AND email = ? AND {_ACTIVE}",
            (now, meeting_id, email, now),
        )
        return db.execute("DELETE FROM meetings WHERE meeting_id = ? AND email = ?", (meeting_id, email)).rowcount > 0


def upcoming_meetings(store: Store, email: str) -> list[StoredMeeting]:
    """The account's meetings that have not ended yet, or are running, by start time."""
    now = store.now()
    with store.read() as db:
        rows = db.execute(
            f"SELECT * FROM meetings WHERE email = ? AND (ends_at > ? OR meeting_id IN "
            f"(SELECT meeting_id FROM sessions WHERE {_ACTIVE})) ORDER BY starts_at, meeting_id",
            (email, now, now),
        ).fetchall()
        return [_meeting(db, row, now) for row in rows]


def count_meetings(store: Store, email: str) -> int:
    """How many meetings the account has scheduled (past ones included)."""
    with store.read() as db:
        return int(db.execute("SELECT count(*) FROM meetings WHERE email = ?", (email,)).fetchone()[0])


def start_meeting(store: Store, email: str, meeting_id: int) -> int | None:
    """Run the meeting; returns the id of ANOTHER running meeting of the account that prevents it, else None."""
    with store.write() as db:
        now = store.now()
        meeting = db.execute(
            "SELECT * FROM meetings WHERE meeting_id = ? AND email = ?", (meeting_id, email)
        ).fetchone()
        if meeting is None:
            raise LookupError(meeting_id)
        running = db.execute(f"SELECT meeting_id FROM sessions WHERE email = ? AND {_ACTIVE}", (email, now)).fetchone()
        if running is not None:
            return None if running[0] == meeting_id else int(running[0])
        # Started after its scheduled end, a meeting still runs for its planned length.
        ends_at = max(meeting["ends_at"], now + (meeting["ends_at"] - meeting["starts_at"]))
        db.execute(
            "INSERT INTO sessions (meeting_id, email, subject, conference_call_info, meeting_type, started_at, "
            "ends_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                meeting_id,
                email,
                meeting["subject"],
                meeting["conference_call_info"],
                meeting["meeting_type"],
                now,
                ends_at,
            ),
        )
    return None


def end_meeting(store: Store, meeting_id: int) -> bool:
    """End the meeting's running session (what the organizer's "End meeting" does); False if none ran."""
    with store.write() as db:
        now = store.now()
        return (
            db.execute(
                f"UPDATE sessions SET ended_at = ? WHERE meeting_id = ? AND {_ACTIVE}", (now, meeting_id, now)
            ).rowcount
            > 0
        )


def past_sessions(store: Store, email: str, start: float, end: float) -> list[Session]:
    """Finished sessions of the account that started within [start, end] (running ones are left out, as at GoTo)."""
    now = store.now()
    with store.read() as db:
        rows = db.execute(
            f"SELECT * FROM sessions WHERE email = ? AND started_at BETWEEN ? AND ? AND NOT ({_ACTIVE}) "
            "ORDER BY started_at",
            (email, start, end, now),
        ).fetchall()
    return [
        Session(
            r["session_id"],
            r["meeting_id"],
            r["email"],
            r["subject"],
            r["conference_call_info"],
            r["meeting_type"],
            r["started_at"],
            r["ends_at"],
            r["ended_at"],
        )
        for r in rows
    ]


def _meeting(db: sqlite3.Connection, row: sqlite3.Row, now: float) -> StoredMeeting:
    active = (
        db.execute(f"SELECT 1 FROM sessions WHERE meeting_id = ? AND {_ACTIVE}", (row["meeting_id"], now)).fetchone()
        is not None
    )
    fields = MeetingFields(
        row["subject"],
        row["starts_at"],
        row["ends_at"],
        bool(row["password_required"]),
        row["conference_call_info"],
        row["meeting_type"],
        tuple(json.loads(row["coorganizer_keys"])),
    )
    return StoredMeeting(row["meeting_id"], row["email"], fields, row["created_at"], active)
