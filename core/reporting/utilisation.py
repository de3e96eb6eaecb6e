"""How rooms are used: per room and day, hours booked, peak concurrency, share of working hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from core.access.permissions import require_role
from core.conflicts.sweep import concurrency_steps, load_bookings
from core.kernel.models import Role, Room, User

WORKDAY = (time(8), time(18))
COLUMNS = ["room_id", "room", "day", "hours_booked", "peak", "share"]


def utilisation(
    session: Session,
    *,
    user: User,
    start: datetime,
    end: datetime,
    zone: str,
    room_ids: list[int] | None = None,
    workday: tuple[time, time] = WORKDAY,
) -> pd.DataFrame:
    """One row per room and local day in [start, end): booked hours (overlaps counted once), peak, work share."""
    require_role(user, Role.admin)
    tz = ZoneInfo(zone)
    frame = load_bookings(session, start=start, end=end, room_ids=room_ids)
    steps = concurrency_steps(frame.assign(room=frame["room_id"]))
    rooms = {rid: name for rid, name in session.exec(select(Room.id, Room.name))}
    shown = {rid for rid, active in session.exec(select(Room.id, Room.active)) if active}
    shown = (shown if room_ids is None else shown & set(room_ids)) | set(frame["room_id"].tolist())
    days = pd.date_range(start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date(), freq="D")
    if steps.empty or days.empty:
        return pd.DataFrame(columns=COLUMNS)
    seg_start = steps["start"].to_numpy("datetime64[us]")
    seg_end = steps["end"].to_numpy("datetime64[us]")
    out = []
    for day in days:  # a loop over days (a handful), each step vectorised over all segments
        lo = pd.Timestamp(datetime.combine(day.date(), time(0), tz)).tz_convert("UTC").to_datetime64()
        hi = (
            pd.Timestamp(datetime.combine(day.date() + timedelta(days=1), time(0), tz))
            .tz_convert("UTC")
            .to_datetime64()
        )
        w_lo = pd.Timestamp(datetime.combine(day.date(), workday[0], tz)).tz_convert("UTC").to_datetime64()
        w_hi = pd.Timestamp(datetime.combine(day.date(), workday[1], tz)).tz_convert("UTC").to_datetime64()
        booked = (np.minimum(seg_end, hi) - np.maximum(seg_start, lo)).astype("timedelta64[s]").astype(float)
        working = (np.minimum(seg_end, w_hi) - np.maximum(seg_start, w_lo)).astype("timedelta64[s]").astype(float)
        inside = booked > 0
        part = pd.DataFrame(
            {
                "room_id": steps["room"][inside].to_numpy(),
                "booked": booked[inside],
                "working": np.clip(working[inside], 0, None),
                "level": steps["level"][inside].to_numpy(),
            }
        )
        if part.empty:
            continue
        per_room = (
            part.groupby("room_id")
            .agg(booked=("booked", "sum"), working=("working", "sum"), peak=("level", "max"))
            .reset_index()
        )
        per_room["day"] = day.date()
        out.append(per_room)
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    # every shown room on every day of the window (weekends too): a day without bookings is a 0, not a gap
    grid = pd.MultiIndex.from_product([sorted(shown), [d.date() for d in days]], names=["room_id", "day"])
    result = (
        pd.concat(out, ignore_index=True)
        .set_index(["room_id", "day"])
        .reindex(grid, fill_value=0)
        .reset_index()
        .astype({"booked": float, "working": float, "peak": np.int64})
    )
    work_seconds = (datetime.combine(days[0].date(), workday[1]) - datetime.combine(days[0].date(), workday[0])).seconds
    result["hours_booked"] = (result["booked"] / 3600).round(2)
    result["share"] = (result["working"] / work_seconds).clip(upper=1).round(3)
    result["room"] = result["room_id"].map(rooms)
    return result.sort_values(["room", "day"], ignore_index=True)[COLUMNS]
