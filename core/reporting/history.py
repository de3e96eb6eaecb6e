"""Collecting each linked account's past sessions from GoTo into Room Desk: incremental, idempotent, paced.

Every account has a cursor (how far its history is collected). A pass asks GoTo for the sessions that started
between the cursor minus a day and now, in chunks of a week: GoTo leaves running sessions out of its history,
so a session that was still running last time is picked up by the next pass's look-back. Sessions are keyed
by (account, GoTo's sessionId), so asking twice never counts a session twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.goto import GotoError
from core.goto.history import PastSession, SessionHistory
from core.kernel.db import session_scope
from core.kernel.models import HistoryCursor, MeetingSession, Room, RoomLink, utcnow

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=24)  # longer than any session runs: a session running at the last pass is seen now
BACKFILL = timedelta(days=35)  # how far back a newly linked account's history is read
CHUNK = timedelta(days=7)  # one GoTo request covers at most this much
EVERY = timedelta(minutes=10)  # an account is asked at most this often
CALLS_PER_PASS = 12  # GoTo's rate limit is shared with saves: a worker pass never spends more than this


@dataclass(frozen=True)
class Collected:
    """What one pass collected for one room."""

    room: str
    account: str
    new_sessions: int
    calls: int
    error: str = ""


def due_rooms(session: Session, now: datetime, every: timedelta = EVERY) -> list[tuple[int, str, str]]:
    """(room id, name, account) of linked rooms whose history is due, least recently collected first."""
    rows = session.exec(
        select(Room.id, Room.name, Room.goto_account, HistoryCursor.last_run_at)
        .join(RoomLink, RoomLink.room_id == Room.id)
        .outerjoin(HistoryCursor, HistoryCursor.account == Room.goto_account)
        .where(RoomLink.status == "linked", Room.goto_account.is_not(None))
    ).all()
    due = [(r[3] or datetime.min.replace(tzinfo=now.tzinfo), r[0], r[1], r[2]) for r in rows]
    due = [d for d in due if d[0] <= now - every]
    return [(rid, name, account) for _, rid, name, account in sorted(due, key=lambda d: (d[0], d[1]))]


def store_sessions(
    engine: Engine, *, account: str, room_id: int | None, sessions: list[PastSession], collected_until: datetime
) -> int:
    """Add the sessions not yet known (by GoTo's session id) and move the cursor; how many were new."""
    with session_scope(engine, immediate=True) as tx:
        keys = [s.session_id for s in sessions]
        known = (
            set(
                tx.exec(
                    select(MeetingSession.session_key).where(
                        MeetingSession.account == account, MeetingSession.session_key.in_(keys)
                    )
                )
            )
            if keys
            else set()
        )
        fresh = {s.session_id: s for s in sessions if s.session_id not in known}
        if fresh:
            insert = (postgresql.insert if tx.get_bind().dialect.name == "postgresql" else sqlite.insert)(
                MeetingSession
            )
            tx.execute(
                insert.values(
                    [
                        {
                            "account": account,
                            "session_key": s.session_id,
                            "room_id": room_id,
                            "meeting_id": s.meeting_id,
                            "subject": s.subject[:200],
                            "starts_at": s.starts_at,
                            "ends_at": s.ends_at,
                            "attendees": s.attendees,
                            "collected_at": utcnow(),
                        }
                        for s in fresh.values()
                    ]
                ).on_conflict_do_nothing(index_elements=["account", "session_key"])  # a second worker raced us
            )
        cursor = tx.get(HistoryCursor, account) or HistoryCursor(account=account, collected_until=collected_until)
        cursor.collected_until = max(cursor.collected_until, collected_until)
        cursor.last_error = ""
        tx.add(cursor)
    return len(fresh)


def _note_run(engine: Engine, account: str, now: datetime, error: str) -> None:
    with session_scope(engine, immediate=True) as tx:
        cursor = tx.get(HistoryCursor, account) or HistoryCursor(account=account, collected_until=now - BACKFILL)
        cursor.last_run_at, cursor.last_error = now, error[:500]
        tx.add(cursor)


def _whole_second_after(moment: datetime) -> datetime:
    return moment if moment.microsecond == 0 else moment.replace(microsecond=0) + timedelta(seconds=1)


def collect_room(
    engine: Engine, api: SessionHistory, *, room_id: int, room: str, account: str, now: datetime, calls: int
) -> Collected:
    """Collect one account's history from its cursor to `now`, spending at most `calls` GoTo requests."""
    with session_scope(engine) as session:
        cursor = session.get(HistoryCursor, account)
    start = (cursor.collected_until if cursor else now - BACKFILL) - LOOKBACK
    new = spent = 0
    error = ""
    while start < now and spent < calls:
        end = min(start + CHUNK, now)
        try:
            # GoTo takes whole seconds: round the end up, or a session started this very second is left out
            sessions = api.past_sessions(account, start, _whole_second_after(end))
        except GotoError as err:  # keep the cursor: the next pass asks again from here
            log.warning("history of %s (%s) not collected: %s", room, account, err)
            error = str(err) or type(err).__name__
            spent += 1
            break
        spent += 1
        new += store_sessions(engine, account=account, room_id=room_id, sessions=sessions, collected_until=end)
        start = end
    # Not yet at `now` (budget spent): stay due, so the next pass continues where this one stopped.
    _note_run(engine, account, now if start >= now or error else now - EVERY, error)
    return Collected(room, account, new, spent, error)


def collect_history(
    engine: Engine,
    api: SessionHistory,
    *,
    now: datetime | None = None,
    calls: int = CALLS_PER_PASS,
    every: timedelta = EVERY,
    clock: Callable[[], datetime] = utcnow,
) -> list[Collected]:
    """One paced pass over every linked room whose history is due."""
    now = now or clock()
    with session_scope(engine) as session:
        rooms = due_rooms(session, now, every)
    done: list[Collected] = []
    for room_id, name, account in rooms:
        if calls <= 0:
            break
        result = collect_room(engine, api, room_id=room_id, room=name, account=account, now=now, calls=calls)
        calls -= result.calls
        done.append(result)
    return done


def coverage(session: Session) -> dict[str, datetime]:
    """Per account, the moment up to which its history is collected."""
    return {c.account: c.collected_until for c in session.exec(select(HistoryCursor))}


def record_demo_sessions(session: Session, rows: list[MeetingSession], collected_until: dict[str, datetime]) -> None:
    """Seed collected history (the demo organisation): sessions and cursors, as if the worker had run."""
    session.add_all(rows)
    for account, until in collected_until.items():
        session.add(HistoryCursor(account=account, collected_until=until, last_run_at=until))
    session.flush()
