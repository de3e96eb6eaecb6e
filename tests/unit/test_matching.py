"""Matching GoTo sessions to bookings: the fast rule agrees with a brute-force reading of the definition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.reporting.matching import Span, match_sessions, overrunning, peak_concurrency

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reference_match(bookings: list[Span], sessions: list[Span]) -> dict[int, int | None]:
    """The definition, literally: the overlapping booking of the room with the best key, for each session."""
    out: dict[int, int | None] = {}
    for s in sessions:
        best, best_key = None, None
        for b in bookings:
            if b.room_id != s.room_id or not (b.start < s.end and b.end > s.start):
                continue
            overlap = min(s.end, b.end) - max(s.start, b.start)
            key = (s.meeting_id is not None and s.meeting_id == b.meeting_id, overlap)
            if best is None or key > best_key or (key == best_key and (b.start, b.id) < (best.start, best.id)):
                best, best_key = b, key
        out[s.id] = best.id if best else None
    return out


def reference_overruns(bookings: list[Span], sessions: list[Span], matches: dict[int, int | None]) -> set[int]:
    by_id = {b.id: b for b in bookings}
    return {
        s.id
        for s in sessions
        if matches[s.id] is not None
        and s.end > by_id[matches[s.id]].end
        and any(
            b.room_id == s.room_id and by_id[matches[s.id]].end <= b.start < s.end
            for b in bookings
            if b.id != matches[s.id]
        )
    }


def reference_peak(spans: list[Span]) -> int:
    moments = {s.start for s in spans}
    return max((sum(1 for s in spans if s.start <= m < s.end) for m in moments), default=0)


def spans(draw, count: int, first_id: int, meeting_ids: list[str]) -> list[Span]:  # type: ignore[no-untyped-def]
    out = []
    for k in range(count):
        start = draw(st.integers(0, 600))
        length = draw(st.integers(1, 180))
        out.append(
            Span(
                first_id + k,
                draw(st.integers(1, 3)),
                _at(start),
                _at(start + length),
                draw(st.sampled_from([None, *meeting_ids])),
            )
        )
    return out


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    meeting_ids = ["m1", "m2", "m3"]
    bookings = spans(draw, draw(st.integers(0, 12)), 1, meeting_ids)
    sessions = spans(draw, draw(st.integers(0, 12)), 1000, meeting_ids)
    return bookings, sessions


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_matching_agrees_with_the_brute_force_definition(scenario) -> None:  # type: ignore[no-untyped-def]
    bookings, sessions = scenario
    matches = match_sessions(bookings, sessions)
    assert matches == reference_match(bookings, sessions)
    assert overrunning(bookings, sessions, matches) == reference_overruns(bookings, sessions, matches)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_the_peak_is_the_most_sessions_running_at_one_moment(scenario) -> None:  # type: ignore[no-untyped-def]
    _, sessions = scenario
    assert peak_concurrency(sessions)[0] == reference_peak(sessions)


def test_a_session_on_a_room_nobody_booked_is_unbooked_use() -> None:
    booking = Span(1, 1, _at(0), _at(60), "m1")
    elsewhere = Span(10, 2, _at(0), _at(60), "m9")
    assert match_sessions([booking], [elsewhere]) == {10: None}


def test_the_booking_whose_meeting_ran_wins_over_a_larger_overlap() -> None:
    """Two overbooked bookings: the session belongs to the one whose meeting it is."""
    long = Span(1, 1, _at(0), _at(120), "m1")
    short = Span(2, 1, _at(30), _at(60), "m2")
    session = Span(10, 1, _at(30), _at(60), "m2")
    assert match_sessions([long, short], [session]) == {10: 2}


def test_running_into_the_next_booking_is_an_overrun_but_running_into_free_time_is_not() -> None:
    first = Span(1, 1, _at(0), _at(60), "m1")
    nxt = Span(2, 1, _at(60), _at(120), "m2")
    into_next = Span(10, 1, _at(0), _at(75), "m1")
    matches = match_sessions([first, nxt], [into_next])
    assert matches == {10: 1} and overrunning([first, nxt], [into_next], matches) == {10}
    alone = Span(11, 1, _at(0), _at(75), "m1")
    assert overrunning([first], [alone], match_sessions([first], [alone])) == set()


def test_back_to_back_sessions_are_not_concurrent() -> None:
    assert peak_concurrency([Span(1, 1, _at(0), _at(60)), Span(2, 2, _at(60), _at(90))]) == (1, _at(0))
