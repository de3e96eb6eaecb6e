"""Overbooked slots: the vectorised sweep against hand examples and a brute-force reference, and the window service."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from core.conflicts.sweep import find_overbookings, overbookings_in_window
from tests.conftest import at, make_booking, make_room

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def frame(*rows: tuple[int, object, float, float]) -> pd.DataFrame:
    """Bookings (id, room, start hour, end hour) counted from 09:00 UTC on the test Monday."""
    return pd.DataFrame(
        [{"id": i, "room": r, "start": T0 + timedelta(hours=s), "end": T0 + timedelta(hours=e)} for i, r, s, e in rows],
        columns=["id", "room", "start", "end"],
    )


def slots(result: pd.DataFrame) -> list[tuple[object, float, float, int, list[int]]]:
    """The slots as (room, start hour, end hour, concurrency, ids) for readable assertions."""
    hours = lambda t: (t - T0).total_seconds() / 3600  # noqa: E731
    return [(s.room, hours(s.start), hours(s.end), s.concurrency, s.ids) for s in result.itertuples()]


def test_back_to_back_bookings_are_no_conflict() -> None:
    assert slots(find_overbookings(frame((1, "A", 0, 1), (2, "A", 1, 2), (3, "A", 2, 3)))) == []


def test_a_chain_that_drops_to_one_booking_is_two_slots() -> None:
    result = find_overbookings(frame((1, "A", 0, 2), (2, "A", 1, 3), (3, "A", 2.5, 4), (4, "A", 3.5, 5)))
    assert slots(result) == [("A", 1, 2, 2, [1, 2]), ("A", 2.5, 3, 2, [2, 3]), ("A", 3.5, 4, 2, [3, 4])]


def test_a_long_booking_belongs_to_every_slot_it_spans() -> None:
    result = find_overbookings(frame((1, "A", 0, 8), (2, "A", 1, 2), (3, "A", 5, 6)))
    assert slots(result) == [("A", 1, 2, 2, [1, 2]), ("A", 5, 6, 2, [1, 3])]


def test_triple_overlap_has_concurrency_three_and_the_slot_spans_the_whole_overlap() -> None:
    result = find_overbookings(frame((1, "A", 0, 3), (2, "A", 1, 4), (3, "A", 2, 5)))
    assert slots(result) == [("A", 1, 4, 3, [1, 2, 3])]


def test_a_handover_while_overbooked_does_not_split_the_slot() -> None:
    """Two bookings end exactly when two others start: the account is never free, so it is one slot."""
    result = find_overbookings(frame((1, "A", 0, 2), (2, "A", 1, 2), (3, "A", 2, 3), (4, "A", 2, 4)))
    assert slots(result) == [("A", 1, 3, 2, [1, 2, 3, 4])]


def test_rooms_are_separate_and_the_output_is_sorted_by_room_and_start_whatever_the_input_order() -> None:
    rows = frame(
        (9, "B", 0, 2),
        (8, "B", 1, 3),
        (7, "A", 4, 6),
        (6, "A", 5, 7),
        (5, "A", 0, 1),
        (4, "B", 0, 1),
        (3, "C", 0, 1),
        (2, "A", 0.5, 1),
        (1, "C", 2, 3),
    )
    expected = [("A", 0.5, 1, 2, [2, 5]), ("A", 5, 6, 2, [6, 7]), ("B", 0, 2, 2, [4, 8, 9])]
    assert slots(find_overbookings(rows)) == expected
    assert slots(find_overbookings(rows.sample(frac=1, random_state=3))) == expected


def test_room_ids_and_extra_columns_work_and_empty_or_backwards_rows_are_ignored() -> None:
    rows = frame((1, 10, 0, 2), (2, 10, 1, 3), (3, 10, 1.5, 1.5), (4, 10, 2, 1)).assign(subject="x")
    assert slots(find_overbookings(rows)) == [(10, 1, 2, 2, [1, 2])]


def test_empty_input_gives_an_empty_frame_with_the_promised_columns_and_types() -> None:
    result = find_overbookings(frame())
    assert list(result.columns) == ["room", "start", "end", "concurrency", "ids"] and result.empty
    assert str(result["start"].dtype).endswith("UTC]") and str(result["end"].dtype).endswith("UTC]")
    assert result["concurrency"].dtype == "int64"


def reference(rows: list[tuple[int, str, int, int]]) -> list[tuple[str, int, int, int, list[int]]]:
    """Deliberately naive: count bookings minute by minute, cut maximal runs of two or more."""
    out = []
    for room in sorted({r for _, r, _, _ in rows}):
        mine = [(i, s, e) for i, r, s, e in rows if r == room and e > s]
        count = [sum(1 for _, s, e in mine if s <= m < e) for m in range(0, 200)]
        m = 0
        while m < len(count):
            if count[m] < 2:
                m += 1
                continue
            first = m
            while m < len(count) and count[m] >= 2:
                m += 1
            ids = sorted(i for i, s, e in mine if s < m and e > first)
            out.append((room, first, m, max(count[first:m]), ids))
    return out


bookings = st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 90), st.integers(-5, 40)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(bookings)
def test_find_overbookings_agrees_with_a_minute_by_minute_count(raw: list[tuple[str, int, int]]) -> None:
    rows = [(i, room, start, start + length) for i, (room, start, length) in enumerate(raw, 1)]
    data = pd.DataFrame(
        [
            {"id": i, "room": r, "start": T0 + timedelta(minutes=s), "end": T0 + timedelta(minutes=e)}
            for i, r, s, e in rows
        ],
        columns=["id", "room", "start", "end"],
    )
    minutes = lambda t: int((t - T0).total_seconds() // 60)  # noqa: E731
    found = [
        (s.room, minutes(s.start), minutes(s.end), s.concurrency, s.ids) for s in find_overbookings(data).itertuples()
    ]
    assert found == reference(rows)


# --- the window service ------------------------------------------------------------------------------

book = make_booking


def test_a_chain_crossing_the_window_edge_is_reported_whole_with_its_subjects(session: Session) -> None:
    room = make_room(session, name="Sales 1")
    other = make_room(session, name="Board")
    # Never fewer than two bookings from 09:00 to 12:00: one slot, held together by a chain starting at 08:00.
    chain = [
        book(session, room, at(-1), at(1), "Kick-off"),
        book(session, room, at(0), at(2), "Review"),
        book(session, room, at(0.5), at(3), "Call"),
        book(session, room, at(1.5), at(4), "Demo"),
    ]
    book(session, other, at(3), at(5), "Alone")
    result = overbookings_in_window(session, start=at(2.5), end=at(2.75))
    assert list(result.columns) == [
        "room_id",
        "room",
        "start",
        "end",
        "concurrency",
        "ids",
        "appointment_ids",
        "subjects",
    ]
    assert len(result) == 1
    slot = result.iloc[0]
    assert (slot.room, slot.start, slot.end, slot.concurrency) == ("Sales 1", at(0), at(3), 3)
    assert slot.ids == [b.id for b in chain] and slot.appointment_ids == [b.appointment_id for b in chain]
    assert slot.subjects == ["Call", "Demo", "Kick-off", "Review"]
    assert overbookings_in_window(session, start=at(3), end=at(4)).empty  # touching the slot's end is not overlapping


def comparable(slots: pd.DataFrame) -> list[tuple[object, ...]]:
    return sorted(zip(slots["room"], slots["start"], slots["end"], slots["concurrency"], map(tuple, slots["ids"])))


def test_the_window_service_matches_the_full_scan_on_random_chains(session: Session) -> None:
    rnd = random.Random(4)
    rooms = [make_room(session, name=f"Room {n}") for n in range(3)]
    stored = []
    for _ in range(150):
        room, start = rnd.choice(rooms), rnd.randrange(0, 48 * 4) / 4
        stored.append(book(session, room, at(start), at(start + rnd.choice([0.25, 0.5, 1, 2, 3]))))
    everything = pd.DataFrame([{"id": b.id, "room": b.room_id, "start": b.starts_at, "end": b.ends_at} for b in stored])
    whole = find_overbookings(everything)
    for _ in range(25):
        lo = rnd.randrange(-8, 52 * 4) / 4
        hi = lo + rnd.choice([0.25, 1, 6, 30])
        expected = whole[(whole["start"] < at(hi)) & (whole["end"] > at(lo))]
        found = overbookings_in_window(session, start=at(lo), end=at(hi)).rename(
            columns={"room": "name", "room_id": "room"}
        )
        assert comparable(found) == comparable(expected)


def test_the_window_service_can_be_limited_to_rooms(session: Session) -> None:
    a, b = make_room(session, name="A"), make_room(session, name="B")
    for room in (a, b):
        book(session, room, at(0), at(2))
        book(session, room, at(1), at(3))
    assert list(overbookings_in_window(session, start=at(0), end=at(4), room_ids=[b.id])["room"]) == ["B"]
    assert list(overbookings_in_window(session, start=at(0), end=at(4))["room"]) == ["A", "B"]
