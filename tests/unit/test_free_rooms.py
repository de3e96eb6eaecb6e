"""Free rooms for many bookings at once: the same answer as checking every pair by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from core.conflicts.free import free_room_matrix

T = datetime(2026, 12, 7, 9, tzinfo=UTC)


def frame(rows: list[tuple[int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "room_id": [r for r, _, _ in rows],
            "start": pd.Series([T + timedelta(hours=a) for _, a, _ in rows]),
            "end": pd.Series([T + timedelta(hours=b) for _, _, b in rows]),
        }
    )


def test_a_room_is_free_back_to_back_but_not_when_anything_overlaps() -> None:
    busy = frame([(1, 0, 1), (2, 0.5, 1.5), (3, 3, 4)])
    wanted = frame([(0, 1, 2)])
    assert free_room_matrix(busy, wanted, [1, 2, 3, 4]).tolist() == [[True, False, True, True]]


def test_a_long_booking_that_started_earlier_still_blocks_its_room() -> None:
    busy = frame([(1, 0, 10), (1, 2, 3)])  # the short one ends before, the long one runs through
    assert free_room_matrix(busy, frame([(0, 5, 6)]), [1]).tolist() == [[False]]


def test_many_bookings_and_rooms_agree_with_checking_every_pair() -> None:
    rng = np.random.default_rng(7)
    busy_rows = [
        (int(r), float(a), float(a + d))
        for r, a, d in zip(rng.integers(1, 30, 2000), rng.integers(0, 400, 2000) / 4, rng.integers(1, 12, 2000) / 4)
    ]
    wanted_rows = [
        (0, float(a), float(a + d)) for a, d in zip(rng.integers(0, 400, 300) / 4, rng.integers(1, 12, 300) / 4)
    ]
    rooms = list(range(1, 33))  # rooms 30-32 hold nothing
    expected = [
        [not any(r == room and s < we and e > ws for r, s, e in busy_rows) for room in rooms]
        for _, ws, we in wanted_rows
    ]
    assert free_room_matrix(frame(busy_rows), frame(wanted_rows), rooms).tolist() == expected
