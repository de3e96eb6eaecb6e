"""Resolve all: the plan removes every overbooking with the fewest moves, or says how many accounts are missing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.conflicts.reassign import Item, plan_reassignment

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)


def item(i: int, room: int, start: float, end: float, allowed: set[int] | None = None) -> Item:
    return Item(i, room, T0 + timedelta(hours=start), T0 + timedelta(hours=end), frozenset(allowed or set()))


def overbooked(items: list[Item], moves: dict[int, int]) -> bool:
    placed = [(moves.get(i.id, i.room), i.start, i.end) for i in items]
    return any(a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for a, b in itertools.combinations(placed, 2))


def fewest_moves_by_brute_force(items: list[Item]) -> int | None:
    options = [sorted({i.room, *i.allowed}) for i in items]
    best = None
    for rooms in itertools.product(*options):
        moves = {i.id: r for i, r in zip(items, rooms) if r != i.room}
        if not overbooked(items, moves):
            best = len(moves) if best is None else min(best, len(moves))
    return best


def test_one_clash_with_a_free_room_is_one_move() -> None:
    items = [item(1, 10, 0, 2, {20}), item(2, 10, 1, 3, {20}), item(3, 20, 5, 6)]
    plan = plan_reassignment(items)
    assert len(plan.moves) == 1 and plan.extra_accounts == 0 and not overbooked(items, plan.moves)


def test_permissions_decide_who_moves() -> None:
    items = [item(1, 10, 0, 2), item(2, 10, 1, 3, {20})]  # only booking 2's organizer may book room 20
    assert plan_reassignment(items).moves == {2: 20}


def test_a_chain_move_beats_none_when_it_is_the_only_way() -> None:
    # Room 20 is busy with booking 3, which may go to room 30; booking 2 may only go to room 20.
    items = [item(1, 10, 0, 2), item(2, 10, 1, 3, {20}), item(3, 20, 1, 3, {30})]
    plan = plan_reassignment(items)
    assert plan.moves == {2: 20, 3: 30}


def test_without_enough_rooms_it_says_how_many_accounts_are_missing_and_when() -> None:
    items = [item(1, 10, 0, 2, {20}), item(2, 10, 0, 2, {20}), item(3, 10, 0, 2, {20})]
    plan = plan_reassignment(items)
    assert plan.extra_accounts == 1
    [(start, end, ids)] = plan.unplaced
    assert (start, end) == (T0, T0 + timedelta(hours=2)) and len(ids) == 1


def test_back_to_back_needs_no_move() -> None:
    assert plan_reassignment([item(1, 10, 0, 1, {20}), item(2, 10, 1, 2, {20})]).moves == {}


bookings = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 8), st.integers(1, 4), st.sets(st.integers(0, 2), max_size=2)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(bookings)
def test_the_plan_is_valid_and_minimal_whenever_an_assignment_exists(raw) -> None:  # type: ignore[no-untyped-def]
    items = [item(n, room, start, start + length, allowed) for n, (room, start, length, allowed) in enumerate(raw)]
    best = fewest_moves_by_brute_force(items)
    plan = plan_reassignment(items)
    if best is None:
        assert plan.extra_accounts >= 1
    else:
        assert plan.extra_accounts == 0 and not overbooked(items, plan.moves) and len(plan.moves) == best
        assert all(room in next(i.allowed for i in items if i.id == b) for b, room in plan.moves.items())
