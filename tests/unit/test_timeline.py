"""Timeline data: bars with overbooked flags, whole slots, rooms shown, aggregation when bars get too many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import Session

from core.kernel.errors import PermissionDenied
from core.reporting.timeline import assign_lanes, timeline_data
from tests.conftest import at, make_booking, make_room, make_user

book = make_booking


def test_bars_carry_room_subject_organizer_and_overbooked_flags(session: Session) -> None:
    admin = make_user(session, role="admin")
    sales, board = make_room(session, name="Sales"), make_room(session, name="Board")
    make_room(session, name="Empty")
    make_room(session, name="Old", active=False)
    first = book(session, sales, at(0), at(2), "Kick-off", organizer=admin)
    second = book(session, sales, at(1), at(3), "Review")
    alone = book(session, board, at(0), at(1), "Budget")
    book(session, board, at(0, day=7), at(1, day=7), "Next week")
    data = timeline_data(session, user=admin, start=at(-9), end=at(15))
    assert list(data.bars.columns) == [
        "booking_id",
        "appointment_id",
        "room_id",
        "room",
        "subject",
        "organizer",
        "start",
        "end",
        "overbooked",
        "lane",
        "state",
    ]
    bars = {b.booking_id: b for b in data.bars.itertuples()}
    assert set(bars) == {first.id, second.id, alone.id}
    assert (bars[first.id].room, bars[first.id].subject, bars[first.id].organizer) == (
        "Sales",
        "Kick-off",
        admin.display_name,
    )
    assert bars[second.id].organizer == "Guest Person"
    assert (bars[first.id].start, bars[first.id].end) == (at(0), at(2))
    assert {k: b.overbooked for k, b in bars.items()} == {first.id: True, second.id: True, alone.id: False}
    assert {k: b.state for k, b in bars.items()} == {first.id: "overbooked", second.id: "overbooked", alone.id: "ok"}
    assert data.conflict_count == 1 and list(data.slots["subjects"]) == [["Kick-off", "Review"]]
    assert list(data.rooms["room"]) == ["Board", "Empty", "Sales"]  # name order; the inactive room has no bookings
    assert data.aggregated is None


def test_a_slot_reaching_into_the_window_is_whole_and_an_inactive_room_with_bookings_is_shown(session: Session) -> None:
    admin = make_user(session, role="admin")
    old = make_room(session, name="Old", active=False)
    book(session, old, at(-3), at(1))
    book(session, old, at(-2), at(0.5))
    data = timeline_data(session, user=admin, start=at(0), end=at(10))
    assert (data.slots.iloc[0].start, data.slots.iloc[0].end) == (at(-2), at(0.5))
    assert list(data.rooms["room"]) == ["Old"] and data.bars["overbooked"].all()


def test_room_filter_limits_bars_slots_and_rooms(session: Session) -> None:
    admin = make_user(session, role="admin")
    a, b = make_room(session, name="A"), make_room(session, name="B")
    for room in (a, b):
        book(session, room, at(0), at(2))
        book(session, room, at(1), at(3))
    data = timeline_data(session, user=admin, start=at(-1), end=at(5), room_ids=[b.id])
    assert set(data.bars["room"]) == {"B"} and list(data.slots["room"]) == ["B"] and list(data.rooms["room"]) == ["B"]


def test_more_bookings_than_max_bars_are_aggregated_per_room_and_hour(session: Session) -> None:
    admin = make_user(session, role="admin", time_zone="UTC")
    room = make_room(session, name="Busy")
    for quarter in range(8):  # 09:00-11:00, each booking 30 minutes, a new one every 15 minutes
        book(session, room, at(quarter / 4), at(quarter / 4 + 0.5))
    data = timeline_data(session, user=admin, start=at(-9), end=at(15), max_bars=5)
    agg = data.aggregated
    assert agg is not None and len(data.bars) == 8
    assert list(agg.columns) == [
        "room_id",
        "room",
        "bucket_start",
        "bucket_end",
        "bookings",
        "peak_concurrency",
        "overbooked",
    ]
    cells = [(r.bucket_start, r.bucket_end, r.bookings, r.peak_concurrency, r.overbooked) for r in agg.itertuples()]
    assert cells == [(at(0), at(1), 4, 2, True), (at(1), at(2), 5, 2, True), (at(2), at(3), 1, 1, False)]


def test_long_windows_aggregate_per_day_in_the_users_time_zone(session: Session) -> None:
    admin = make_user(session, role="admin", time_zone="Europe/Berlin")
    room = make_room(session, name="Busy")
    for day in range(3):
        book(session, room, at(0, day=day), at(1, day=day))
    berlin_midnight = datetime(2026, 12, 6, 23, tzinfo=UTC)
    data = timeline_data(
        session, user=admin, start=berlin_midnight, end=berlin_midnight + timedelta(days=7), max_bars=2
    )
    assert data.aggregated is not None
    assert list(data.aggregated["bucket_start"]) == [berlin_midnight + timedelta(days=d) for d in range(3)]
    assert list(data.aggregated["bookings"]) == [1, 1, 1]


def test_only_admins_may_see_the_timeline(session: Session) -> None:
    staff = make_user(session, role="staff")
    with pytest.raises(PermissionDenied):
        timeline_data(session, user=staff, start=at(0), end=at(1))


def lanes_of(rows: list[tuple[int, float, float]]) -> list[int]:
    frame = pd.DataFrame(
        {
            "room_id": [r for r, _, _ in rows],
            "start": [at(0) + timedelta(hours=s) for _, s, _ in rows],
            "end": [at(0) + timedelta(hours=e) for _, _, e in rows],
        }
    )
    return assign_lanes(frame).tolist()


def test_overlapping_bookings_get_their_own_lanes_and_touching_ones_share_one() -> None:
    assert lanes_of([(1, 0, 2), (1, 1, 3), (1, 2, 4), (1, 3, 5)]) == [0, 1, 0, 1]
    assert lanes_of([(1, 0, 1), (1, 1, 2)]) == [0, 0]


def test_a_room_uses_as_many_lanes_as_bookings_overlap_at_most_and_rooms_are_apart() -> None:
    lanes = lanes_of([(1, 0, 10), (1, 1, 2), (1, 3, 4), (1, 1.5, 5), (2, 1, 2)])
    assert lanes == [0, 1, 1, 2, 0]


def test_timeline_bars_carry_their_lane_and_slots_come_sorted_by_time(session: Session) -> None:
    admin = make_user(session, role="admin")
    late, early = make_room(session, name="A late"), make_room(session, name="B early")
    for room, hour in [(late, 5), (early, 1)]:
        book(session, room, at(hour), at(hour + 2), "One")
        book(session, room, at(hour + 1), at(hour + 3), "Two")
    data = timeline_data(session, user=admin, start=at(-9), end=at(15))
    assert sorted(data.bars["lane"].tolist()) == [0, 0, 1, 1]
    assert list(data.slots["room"]) == ["B early", "A late"]
