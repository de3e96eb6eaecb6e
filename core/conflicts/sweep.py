"""Overbooked slots: a vectorised sweep over bookings, and the window service around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from core.booking.appointments import MAX_DURATION
from core.kernel.models import Appointment, Booking, Room, User

UNIT = "us"  # the database keeps microseconds; pandas 3 defaults to them for datetime objects
TIME = f"datetime64[{UNIT}, UTC]"
SLOT_COLUMNS = ["room", "start", "end", "concurrency", "ids"]
DETAIL_CHUNK = 5_000
WINDOW_COLUMNS = ["room_id", "room", "start", "end", "concurrency", "ids", "appointment_ids", "subjects"]


@dataclass(frozen=True)
class Sweep:
    """Slots (room, start, end, concurrency) and which input rows (positions) overlap which slot."""

    slots: pd.DataFrame
    pair_slot: np.ndarray
    pair_row: np.ndarray


@dataclass(frozen=True)
class _Steps:
    rows: np.ndarray  # positions of the usable input rows
    rooms: pd.Index  # room labels, sorted; codes index into it
    key_room: np.ndarray  # per distinct (room, time) key: room code
    key_time: np.ndarray  # ... its time, int64 microseconds since the epoch
    level: np.ndarray  # ... bookings running from this key until the next one
    pos_start: np.ndarray  # per usable row: index of its start key
    pos_end: np.ndarray


def _micros(column: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(column, utc=True).dt.tz_localize(None)
    return stamps.to_numpy(dtype=f"datetime64[{UNIT}]").view("int64")


def _steps(bookings: pd.DataFrame) -> _Steps:
    codes, rooms = pd.factorize(bookings["room"], sort=True)
    start, end = _micros(bookings["start"]), _micros(bookings["end"])
    nat = np.iinfo(np.int64).min
    rows = np.flatnonzero((codes >= 0) & (start != nat) & (end != nat) & (end > start))
    codes, start, end = codes[rows].astype(np.int64), start[rows], end[rows]
    if rows.size == 0:
        empty = np.empty(0, np.int64)
        return _Steps(rows, rooms, empty, empty, empty, empty, empty)
    origin = int(start.min())
    span = int(end.max()) - origin + 1
    if len(rooms) * span < 2**62:
        times, scale = None, span
        rel_start, rel_end = start - origin, end - origin
    else:  # rank the times so room * rank cannot overflow int64
        times, ranks = np.unique(np.concatenate([start, end]), return_inverse=True)
        scale, rel_start, rel_end = len(times), ranks[: rows.size], ranks[rows.size :]
    keys, inverse = np.unique(np.concatenate([codes * scale + rel_start, codes * scale + rel_end]), return_inverse=True)
    pos_start, pos_end = inverse[: rows.size], inverse[rows.size :]
    # Netting all events at one instant makes a handover (one ends as another starts) no interruption
    # and back-to-back bookings no conflict, exactly as half-open intervals demand.
    net = np.bincount(pos_start, minlength=keys.size) - np.bincount(pos_end, minlength=keys.size)
    key_time = keys % scale + origin if times is None else times[keys % scale]
    return _Steps(rows, rooms, keys // scale, key_time, np.cumsum(net), pos_start, pos_end)


def _stamps(micros: np.ndarray) -> pd.Series:
    return pd.Series(micros.astype(f"datetime64[{UNIT}]")).dt.tz_localize("UTC")


def _room_dtype(bookings: pd.DataFrame) -> Any:
    return bookings["room"].dtype if "room" in bookings else object


def sweep_overbookings(bookings: pd.DataFrame) -> Sweep:
    """Maximal overbooked slots and their member rows; one sort and a cumulative sweep, O(n log n)."""
    st = _steps(bookings)
    over = st.level >= 2
    before = np.concatenate([[False], over[:-1]])
    first, after = np.flatnonzero(over & ~before), np.flatnonzero(~over & before)
    if first.size:
        bounds = np.empty(2 * first.size, np.int64)
        bounds[0::2], bounds[1::2] = first, after
        peak = np.maximum.reduceat(st.level, bounds)[0::2]
    else:
        peak = np.empty(0, np.int64)
    slots = pd.DataFrame(
        {
            "room": pd.Series(st.rooms.take(st.key_room[first]), dtype=_room_dtype(bookings)),
            "start": _stamps(st.key_time[first]),
            "end": _stamps(st.key_time[after]),
            "concurrency": peak.astype(np.int64),
        }
    )
    # A booking overlaps slot k when its key range [pos_start, pos_end) meets the slot's [first, after):
    # lo = slots ended by pos_start, hi = slots begun before pos_end (running counts, not binary searches).
    ended, begun = np.zeros(st.level.size, np.int64), np.zeros(st.level.size, np.int64)
    ended[after], begun[first] = 1, 1
    lo = np.cumsum(ended)[st.pos_start]
    count = np.clip(np.cumsum(begun)[st.pos_end] - begun[st.pos_end] - lo, 0, None)
    row = np.repeat(np.arange(count.size), count)
    offset = np.arange(row.size) - np.repeat(np.cumsum(count) - count, count)
    return Sweep(slots, np.repeat(lo, count) + offset, st.rows[row])


def grouped_lists(pair_slot: np.ndarray, values: pd.Series | np.ndarray, n_slots: int) -> list[list[Any]]:
    """Per slot, the sorted values of its pairs (`values` aligned with `pair_slot`)."""
    pairs = pd.DataFrame({"slot": pair_slot, "value": np.asarray(values)}).sort_values(["slot", "value"])
    flat = pairs["value"].tolist()
    ends = np.cumsum(np.bincount(pair_slot, minlength=n_slots)).tolist()
    return [flat[a:b] for a, b in zip([0, *ends[:-1]], ends)]


def find_overbookings(bookings: pd.DataFrame) -> pd.DataFrame:
    """Maximal overbooked slots per room; one sort and a cumulative sweep, O(n log n)."""
    if bookings.empty:
        return pd.DataFrame(
            {
                "room": pd.Series(dtype=_room_dtype(bookings)),
                "start": pd.Series(dtype=TIME),
                "end": pd.Series(dtype=TIME),
                "concurrency": pd.Series(dtype=np.int64),
                "ids": pd.Series(dtype=object),
            }
        )
    sw = sweep_overbookings(bookings)
    ids = bookings["id"].to_numpy()[sw.pair_row]
    slots = sw.slots.assign(ids=pd.Series(grouped_lists(sw.pair_slot, ids, len(sw.slots)), dtype=object))
    return slots[SLOT_COLUMNS]


def concurrency_steps(bookings: pd.DataFrame) -> pd.DataFrame:
    """The step function of simultaneous bookings per room: (room, start, end, level) wherever level >= 1."""
    st = _steps(bookings)
    busy = np.flatnonzero(st.level[:-1] > 0) if st.level.size else np.empty(0, np.int64)
    return pd.DataFrame(
        {
            "room": pd.Series(st.rooms.take(st.key_room[busy]), dtype=_room_dtype(bookings)),
            "start": _stamps(st.key_time[busy]),
            "end": _stamps(st.key_time[busy + 1]),
            "level": st.level[busy].astype(np.int64),
        }
    )


# --- the service: complete slots for a window, straight from the database ------------------------------


def _columns(session: Session, query: sa.Select[Any]) -> dict[str, np.ndarray]:
    result = session.connection().execute(query)
    # Plain DBAPI tuples instead of Row objects: two thirds of the load time for a million rows. Safe because
    # every selected column is an integer or text (times are coerced), so there is nothing to process.
    rows = result.cursor.fetchall()
    names = list(result.keys())
    result.close()
    table = np.array(rows, dtype=object).reshape(len(rows), len(names))
    return {name: table[:, i] for i, name in enumerate(names)}


def _moments(values: np.ndarray) -> pd.Series:
    try:  # the text SQLAlchemy writes on SQLite; an exact format parses ten times faster than ISO8601
        stamps = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S.%f", utc=True)
    except (ValueError, TypeError):  # other databases hand back datetimes, other writers other text
        stamps = pd.to_datetime(values, format="ISO8601", utc=True)
    return pd.Series(stamps).astype(TIME)


def load_bookings(
    session: Session, *, start: datetime, end: datetime, room_ids: list[int] | None = None
) -> pd.DataFrame:
    """Bookings touching the closed window [start, end]: id, appointment_id, room_id, start, end; one query."""
    query = (
        sa.select(
            Booking.id,
            Booking.appointment_id,
            Booking.room_id,
            sa.type_coerce(Booking.starts_at, sa.String).label("start"),
            sa.type_coerce(Booking.ends_at, sa.String).label("end"),
        )
        # No booking lasts longer than MAX_DURATION (every write path checks it), so the start index suffices.
        .where(Booking.starts_at >= start - MAX_DURATION, Booking.starts_at <= end, Booking.ends_at >= start)
    )
    if room_ids is not None:
        query = query.where(Booking.room_id.in_(room_ids))
    cols = _columns(session, query)
    return pd.DataFrame(
        {
            "id": cols["id"].astype(np.int64),
            "appointment_id": cols["appointment_id"].astype(np.int64),
            "room_id": cols["room_id"].astype(np.int64),
            "start": _moments(cols["start"]),
            "end": _moments(cols["end"]),
        }
    )


def booking_details(session: Session, ids: list[int]) -> pd.DataFrame:
    """Room name, subject and organizer of the given bookings, indexed by booking id."""
    query = (
        sa.select(
            Booking.id,
            Room.name.label("room"),
            Appointment.subject,
            sa.func.coalesce(User.display_name, Appointment.organizer_name).label("organizer"),
        )
        .join(Room, Room.id == Booking.room_id)
        .join(Appointment, Appointment.id == Booking.appointment_id)
        .outerjoin(User, User.id == Appointment.organizer_id)
    )
    # Chunks keep each statement under SQLite's limit on bound parameters.
    parts = [
        pd.DataFrame(_columns(session, query.where(Booking.id.in_(ids[at : at + DETAIL_CHUNK]))))
        for at in range(0, len(ids), DETAIL_CHUNK)
    ]
    empty = pd.DataFrame({"id": [], "room": [], "subject": [], "organizer": []})
    return pd.concat(parts or [empty], ignore_index=True).astype({"id": np.int64}).set_index("id")


@dataclass(frozen=True)
class WindowConflicts:
    """Complete overbooked slots around a window and the bookings loaded to find them."""

    slots: pd.DataFrame
    bookings: pd.DataFrame  # id, appointment_id, room_id, start, end, overbooked
    # Every booking overlapping [loaded_from, loaded_to] is among `bookings` (the window, widened to whole slots).
    loaded_from: datetime | None = None
    loaded_to: datetime | None = None


def window_conflicts(
    session: Session, *, start: datetime, end: datetime, room_ids: list[int] | None = None
) -> WindowConflicts:
    """Every overbooked slot overlapping [start, end), whole: widen the loaded span until no slot is cut."""
    lo, hi = start, end
    frame = load_bookings(session, start=lo, end=hi, room_ids=room_ids)
    while True:
        sw = sweep_overbookings(frame.assign(room=frame["room_id"]))
        cut = ((sw.slots["start"] <= lo) | (sw.slots["end"] >= hi)).to_numpy()
        members = frame.iloc[sw.pair_row[cut[sw.pair_slot]]]
        new_lo = min(lo, members["start"].min().to_pydatetime()) if len(members) else lo
        new_hi = max(hi, members["end"].max().to_pydatetime()) if len(members) else hi
        if new_lo == lo and new_hi == hi:
            break
        more = [
            load_bookings(session, start=a, end=b, room_ids=room_ids) for a, b in ((new_lo, lo), (hi, new_hi)) if a < b
        ]
        frame = pd.concat([frame, *more], ignore_index=True).drop_duplicates("id", ignore_index=True)
        lo, hi = new_lo, new_hi
    overbooked = np.zeros(len(frame), bool)
    overbooked[sw.pair_row] = True
    keep = ((sw.slots["start"] < end) & (sw.slots["end"] > start)).to_numpy()
    return WindowConflicts(_describe(session, sw, frame, keep), frame.assign(overbooked=overbooked), lo, hi)


def _describe(session: Session, sw: Sweep, frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    chosen = keep[sw.pair_slot]
    pair_slot, rows = (np.cumsum(keep) - 1)[sw.pair_slot[chosen]], frame.iloc[sw.pair_row[chosen]]
    details = booking_details(session, rows["id"].unique().tolist())
    slots = sw.slots[keep].reset_index(drop=True).rename(columns={"room": "room_id"})
    n = len(slots)
    names = rows.assign(room=rows["id"].map(details["room"])).drop_duplicates("room_id").set_index("room_id")["room"]
    slots.insert(1, "room", slots["room_id"].map(names).astype(object))
    slots["ids"] = pd.Series(grouped_lists(pair_slot, rows["id"], n), dtype=object)
    slots["appointment_ids"] = pd.Series(grouped_lists(pair_slot, rows["appointment_id"], n), dtype=object)
    subjects = rows["id"].map(details["subject"]).astype(object)
    slots["subjects"] = pd.Series(grouped_lists(pair_slot, subjects, n), dtype=object)
    slots = slots.astype({"room_id": np.int64, "concurrency": np.int64})
    return slots.sort_values(["room", "start"], ignore_index=True)[WINDOW_COLUMNS]


def overbookings_in_window(
    session: Session, *, start: datetime, end: datetime, room_ids: list[int] | None = None
) -> pd.DataFrame:
    """Every overbooked slot overlapping [start, end), reported whole (not clipped), sorted by room and start."""
    return window_conflicts(session, start=start, end=end, room_ids=room_ids).slots
