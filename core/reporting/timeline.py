"""Data for the admin timeline: bookings as bars, overbooked slots, and an aggregate when bars get too many."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from core.access.permissions import require_role
from core.conflicts.sweep import TIME, booking_details, concurrency_steps, window_conflicts
from core.kernel.models import MeetingJob, Role, Room, RoomLink, User

BAR_COLUMNS = ["booking_id", "appointment_id", "room_id", "room", "subject", "organizer", "start", "end", "overbooked"]
AGGREGATE_COLUMNS = ["room_id", "room", "bucket_start", "bucket_end", "bookings", "peak_concurrency", "overbooked"]
HOURLY_UP_TO = timedelta(days=2)


@dataclass(frozen=True)
class Timeline:
    bars: pd.DataFrame
    slots: pd.DataFrame
    conflict_count: int
    aggregated: pd.DataFrame | None
    rooms: pd.DataFrame  # room_id, room, goto_account, active; in name order
    relink_rooms: list[str] = field(default_factory=list)  # rooms whose GoTo link needs relinking


def _rooms(session: Session, bars: pd.DataFrame, room_ids: list[int] | None) -> pd.DataFrame:
    shown = sa.or_(Room.active, Room.id.in_(bars["room_id"].unique().tolist()))
    query = sa.select(Room.id, Room.name, Room.goto_account, Room.active).where(shown).order_by(Room.name)
    if room_ids is not None:
        query = query.where(Room.id.in_(room_ids))
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=["room_id", "room", "goto_account", "active"]).astype(
        {"room_id": np.int64, "active": bool}
    )


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def bucket_edges(start: datetime, end: datetime, zone: ZoneInfo) -> pd.DatetimeIndex:
    """Hour or day boundaries (in the user's zone, so days follow DST) covering [start, end)."""
    freq = "h" if end - start <= HOURLY_UP_TO else "D"
    local = pd.Timestamp(start).tz_convert(zone)
    first = local.floor(freq, ambiguous=bool(local.dst()), nonexistent="shift_forward")
    edges = pd.date_range(first, pd.Timestamp(end).tz_convert(zone) + pd.Timedelta(days=1), freq=freq)
    last = int(np.searchsorted(edges, pd.Timestamp(end), side="left"))
    return edges[: last + 1].tz_convert("UTC").as_unit("us")


def _spread(frame: pd.DataFrame, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, bucket) for every bucket each [start, end) row touches."""
    start = frame["start"].to_numpy(dtype="datetime64[us]").view("int64")
    end = frame["end"].to_numpy(dtype="datetime64[us]").view("int64")
    last = len(edges) - 2
    first = np.clip(np.searchsorted(edges, start, side="right") - 1, 0, last)
    stop = np.clip(np.searchsorted(edges, end - 1, side="right") - 1, 0, last)
    count = np.maximum(stop - first + 1, 0)
    row = np.repeat(np.arange(len(frame)), count)
    return row, np.repeat(first, count) + np.arange(row.size) - np.repeat(np.cumsum(count) - count, count)


def assign_lanes(bars: pd.DataFrame) -> pd.Series:
    """Lane per bar inside its room: overlapping bookings never share one, and a room uses as few lanes as it
    needs (greedy colouring of the interval graph by start time, optimal; O(n log n))."""
    lanes = pd.Series(0, index=bars.index, dtype=np.int64)
    ordered = bars.sort_values(["room_id", "start", "end"], kind="stable")
    current, free, busy = None, [], []  # free: lane numbers; busy: (end, lane)
    for index, room_id, start, end in zip(ordered.index, ordered["room_id"], ordered["start"], ordered["end"]):
        if room_id != current:
            current, free, busy = room_id, [], []
        while busy and busy[0][0] <= start:  # [start, end): a booking ending at 10:00 frees its lane for 10:00
            heapq.heappush(free, heapq.heappop(busy)[1])
        lane = heapq.heappop(free) if free else len(busy)
        heapq.heappush(busy, (end, lane))
        lanes[index] = lane
    return lanes


def aggregate(bars: pd.DataFrame, edges: pd.DatetimeIndex) -> pd.DataFrame:
    """Bookings and peak concurrency per room and bucket, for windows with too many bars to draw."""
    micros = edges.tz_localize(None).to_numpy(dtype="datetime64[us]").view("int64")
    row, bucket = _spread(bars, micros)
    counts = pd.DataFrame({"room_id": bars["room_id"].to_numpy()[row], "bucket": bucket})
    counts = counts.groupby(["room_id", "bucket"]).size().rename("bookings")
    steps = concurrency_steps(bars.assign(room=bars["room_id"]))
    row, bucket = _spread(steps, micros)
    peaks = pd.DataFrame(
        {"room_id": steps["room"].to_numpy()[row], "bucket": bucket, "peak_concurrency": steps["level"].to_numpy()[row]}
    )
    peaks = peaks.groupby(["room_id", "bucket"])["peak_concurrency"].max()
    out = pd.concat([counts, peaks], axis=1).reset_index()
    names = bars.drop_duplicates("room_id").set_index("room_id")["room"]
    out = out.assign(
        room=out["room_id"].map(names),
        bucket_start=edges[out["bucket"]],
        bucket_end=edges[out["bucket"] + 1],
        overbooked=out["peak_concurrency"] >= 2,
    )
    out = out.astype(
        {
            "room_id": np.int64,
            "bookings": np.int64,
            "peak_concurrency": np.int64,
            "bucket_start": TIME,
            "bucket_end": TIME,
        }
    )
    return out.sort_values(["room", "bucket_start"], ignore_index=True)[AGGREGATE_COLUMNS]


def timeline_data(
    session: Session,
    *,
    user: User,
    start: datetime,
    end: datetime,
    room_ids: list[int] | None = None,
    max_bars: int = 1500,
) -> Timeline:
    """Bars, overbooked slots and rooms for [start, end); aggregated per room and hour/day above max_bars."""
    require_role(user, Role.admin)
    found = window_conflicts(session, start=start, end=end, room_ids=room_ids)
    loaded = found.bookings
    inside = loaded[(loaded["start"] < end) & (loaded["end"] > start)]
    details = booking_details(session, inside["id"].tolist())
    bars = inside.join(details, on="id").rename(columns={"id": "booking_id"})
    bars = bars.sort_values(["room", "start", "booking_id"], ignore_index=True)[BAR_COLUMNS]
    aggregated = aggregate(bars, bucket_edges(start, end, _zone(user))) if len(bars) > max_bars else None
    relink = _rooms_needing_relinking(session)
    if aggregated is None:
        bars = bars.assign(lane=assign_lanes(bars), state=_states(session, bars, relink))
    return Timeline(
        bars=bars,
        slots=found.slots.sort_values(["start", "room"], ignore_index=True),
        conflict_count=len(found.slots),
        aggregated=aggregated,
        rooms=_rooms(session, bars, room_ids),
        relink_rooms=sorted(relink.values()),
    )


def _rooms_needing_relinking(session: Session) -> dict[int, str]:
    rows = session.execute(
        sa.select(Room.id, Room.name)
        .join(RoomLink, RoomLink.room_id == Room.id)
        .where(RoomLink.status == "needs_relinking")
    ).all()
    return {room_id: name for room_id, name in rows}


def _states(session: Session, bars: pd.DataFrame, relink: dict[int, str]) -> pd.Series:
    """One state per bar, most urgent first: overbooked, room needs relinking, meeting pending, ok."""
    ids = bars["appointment_id"].tolist()
    pending = (
        {
            a
            for (a,) in session.execute(
                sa.select(MeetingJob.appointment_id).where(MeetingJob.appointment_id.in_(ids))
            ).all()
        }
        if ids
        else set()
    )
    state = pd.Series("ok", index=bars.index)
    state[bars["appointment_id"].isin(pending)] = "pending"
    state[bars["room_id"].isin(list(relink))] = "relink"
    state[bars["overbooked"]] = "overbooked"
    return state
