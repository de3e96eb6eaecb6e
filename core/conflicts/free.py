"""Which rooms are free for which bookings: one vectorised pass over the busy intervals the sweep loaded."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from core.conflicts.sweep import TIME, WindowConflicts, load_bookings
from core.kernel.models import Room


def _micros(column: pd.Series) -> np.ndarray:
    return column.astype(TIME).dt.tz_localize(None).to_numpy(dtype="datetime64[us]").view("int64")


def free_room_matrix(busy: pd.DataFrame, wanted: pd.DataFrame, rooms: list[int]) -> np.ndarray:
    """bool[len(wanted), len(rooms)]: True where nothing in `busy` holds the room during the wanted [start, end).

    `busy` has room_id, start, end (every booking that could touch a wanted interval); `wanted` has start, end.
    Half-open intervals: back-to-back is free. Per room the busy bookings are sorted by start with a running
    maximum of their ends, so "does anything starting before my end still run after my start" is one binary
    search per (wanted, room) pair, all of them at once.
    """
    result = np.ones((len(wanted), len(rooms)), dtype=bool)
    if wanted.empty or not rooms or busy.empty:
        return result
    room_index = pd.Index(rooms)
    codes = room_index.get_indexer(busy["room_id"].to_numpy())
    keep = codes >= 0
    b_start, b_end, codes = _micros(busy["start"])[keep], _micros(busy["end"])[keep], codes[keep].astype(np.int64)
    w_start, w_end = _micros(wanted["start"]), _micros(wanted["end"])
    if codes.size == 0:
        return result
    # Times as ranks among all of them: order is all that matters, and room * span + rank cannot overflow.
    times, ranks = np.unique(np.concatenate([b_start, b_end, w_start, w_end]), return_inverse=True)
    n, m = b_start.size, w_start.size
    b_start, b_end = ranks[:n], ranks[n : 2 * n]
    w_start, w_end = ranks[2 * n : 2 * n + m], ranks[2 * n + m :]
    span = np.int64(times.size + 1)
    order = np.lexsort((b_start, codes))
    codes, b_start, b_end = codes[order], b_start[order], b_end[order]
    # A running maximum per room: offsetting each room's ends by room * span keeps rooms from mixing.
    running_end = np.maximum.accumulate(b_end + codes * span) - codes * span
    keys = codes * span + b_start
    first_of_room = np.searchsorted(codes, np.arange(len(rooms)), side="left")
    room_codes = np.arange(len(rooms), dtype=np.int64)
    # For every (wanted, room): how many of the room's bookings start before the wanted end.
    cut = np.searchsorted(keys, room_codes[None, :] * span + w_end[:, None], side="left")
    any_before = cut > first_of_room[None, :]
    last_end = running_end[np.maximum(cut - 1, 0)]
    result[any_before & (last_end > w_start[:, None])] = False
    return result


def free_rooms_for_bookings(
    session: Session, found: WindowConflicts, allowed: dict[int, set[int]]
) -> dict[int, list[tuple[int, str]]]:
    """Per booking id (keys of `allowed`): the active rooms in its allowed set, other than its own, that nothing
    else holds for its whole time, by name. Uses the bookings the sweep loaded; only what an involved booking
    reaches beyond that span is read."""
    if not allowed:
        return {}
    loaded = found.bookings
    wanted = loaded[loaded["id"].isin(list(allowed))].drop_duplicates("id")
    lo, hi = wanted["start"].min().to_pydatetime(), wanted["end"].max().to_pydatetime()
    # The sweep loaded everything touching its window; an involved booking may reach a little beyond it.
    edges = [
        load_bookings(session, start=a, end=b)
        for a, b in ((lo, found.loaded_from or lo), (found.loaded_to or hi, hi))
        if a < b
    ]
    busy = pd.concat([loaded, *edges], ignore_index=True).drop_duplicates("id") if edges else loaded
    rooms = session.exec(select(Room.id, Room.name).where(Room.active).order_by(Room.name)).all()
    room_ids = [int(r) for r, _ in rooms]
    free = free_room_matrix(busy, wanted, room_ids)
    out = {}
    for row, (booking_id, own_room) in enumerate(zip(wanted["id"].tolist(), wanted["room_id"].tolist())):
        ok = allowed[booking_id] - {own_room}
        out[booking_id] = [(rid, name) for (rid, name), f in zip(rooms, free[row]) if f and rid in ok]
    return out
