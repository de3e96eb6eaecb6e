"""Which booking a GoTo session was held for: a pure rule over plain spans, O(n log n) per room.

A session belongs to the booking of the same room it overlaps, preferring the booking whose meeting it is,
then the largest overlap, then the earlier booking (then the lower id). A session overlapping no booking of its
room is *unbooked use*: somebody used the account's credentials without booking it. A session *overruns* when
it runs past the end of its booking into another booking of the room that starts at or after that end.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Span:
    """A booking or a session on a room: [start, end), with the GoTo meeting id where known."""

    id: int
    room_id: int
    start: datetime
    end: datetime
    meeting_id: str | None = None


def _key(session: Span, booking: Span) -> tuple[bool, timedelta, datetime, int]:
    """min() over this key picks the booking: own meeting first, then the largest overlap, earlier, lower id."""
    overlap = min(session.end, booking.end) - max(session.start, booking.start)
    same_meeting = session.meeting_id is not None and session.meeting_id == booking.meeting_id
    return (not same_meeting, -overlap, booking.start, booking.id)


def match_sessions(bookings: list[Span], sessions: list[Span]) -> dict[int, int | None]:
    """For every session id, the id of the booking it was held for, or None (unbooked use)."""
    by_room: dict[int, list[Span]] = defaultdict(list)
    for booking in bookings:
        by_room[booking.room_id].append(booking)
    index: dict[int, tuple[list[Span], list[datetime], timedelta]] = {}
    for room_id, rows in by_room.items():
        rows.sort(key=lambda b: (b.start, b.id))
        index[room_id] = (rows, [b.start for b in rows], max(b.end - b.start for b in rows))
    result: dict[int, int | None] = {}
    for session in sessions:
        rows, starts, longest = index.get(session.room_id, ([], [], timedelta(0)))
        # Candidates start before the session ends and no earlier than the longest booking allows.
        hi = bisect_left(starts, session.end)
        lo = bisect_left(starts, session.start - longest)
        candidates = [b for b in rows[lo:hi] if b.end > session.start]
        result[session.id] = min(candidates, key=lambda b: _key(session, b)).id if candidates else None
    return result


def overrunning(bookings: list[Span], sessions: list[Span], matches: dict[int, int | None]) -> set[int]:
    """Ids of sessions that ran past their booking's end into a later booking of the same room."""
    by_id = {b.id: b for b in bookings}
    by_room: dict[int, list[datetime]] = defaultdict(list)
    for booking in bookings:
        by_room[booking.room_id].append(booking.start)
    for starts in by_room.values():
        starts.sort()
    out: set[int] = set()
    for session in sessions:
        own = by_id.get(matches.get(session.id) or -1)
        if own is None or session.end <= own.end:
            continue
        starts = by_room[own.room_id]
        # a booking of the room starting in [own.end, session.end): the next one was (partly) taken
        first = bisect_left(starts, own.end)
        if first < len(starts) and starts[first] < session.end:
            out.add(session.id)
    return out


def peak_concurrency(spans: list[Span]) -> tuple[int, datetime | None]:
    """Most spans running at the same moment across all rooms, and when that was first reached."""
    events = sorted([(s.start, 1) for s in spans] + [(s.end, -1) for s in spans], key=lambda e: (e[0], e[1]))
    level = peak = 0
    when: datetime | None = None
    for moment, step in events:  # ends sort before starts at the same moment: back-to-back is not concurrent
        level += step
        if level > peak:
            peak, when = level, moment
    return peak, when
