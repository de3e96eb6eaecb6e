"""Series rules: wall-clock times across DST, month ends, positions, count/until, exclusions; checked against
an independent implementation (icalendar + recurring-ical-events)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st

from core.kernel.errors import RoomDeskError
from core.series.rules import (
    RuleSpec,
    build_rule,
    describe_rule,
    ending_before,
    expand,
    first_occurrence,
    last_end,
    normalize_rule,
    parse_rule,
)

BERLIN = "Europe/Berlin"
TZ = ZoneInfo(BERLIN)
FAR = datetime(2030, 1, 1, tzinfo=UTC)


def local(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


def occurrences(rule: str, start: datetime, minutes: int = 60, **kw: object) -> list:  # type: ignore[type-arg]
    return expand(
        normalize_rule(rule, BERLIN),
        first_start=start,
        first_end=start + timedelta(minutes=minutes),
        zone=BERLIN,
        window_end=kw.pop("window_end", FAR),
        **kw,
    )  # type: ignore[arg-type]


def test_a_0900_berlin_series_stays_at_0900_across_the_spring_change() -> None:
    found = occurrences("FREQ=WEEKLY;BYDAY=MO;COUNT=3", local(2026, 3, 23))
    assert [o.start.astimezone(TZ).time() for o in found] == [time(9)] * 3
    assert [o.start.hour for o in found] == [8, 7, 7]  # UTC moves, the wall clock does not
    assert [o.end.astimezone(TZ).time() for o in found] == [time(10)] * 3


def test_a_0900_berlin_series_stays_at_0900_across_the_autumn_change() -> None:
    found = occurrences("FREQ=DAILY;COUNT=3", local(2026, 10, 24))
    assert [o.start.astimezone(TZ).time() for o in found] == [time(9)] * 3
    assert [o.start.hour for o in found] == [7, 8, 8]


def test_a_time_that_does_not_exist_on_the_spring_day_moves_forward_and_one_that_exists_twice_is_the_first() -> None:
    spring = occurrences("FREQ=DAILY;COUNT=3", local(2026, 3, 28, 2, 30))
    assert spring[1].start.astimezone(TZ).strftime("%d %H:%M") == "29 03:30"  # RFC 5545: offset before the gap
    autumn = occurrences("FREQ=DAILY;COUNT=2", local(2026, 10, 24, 2, 30))
    assert autumn[1].start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30 (summer time)


def test_monthly_on_the_31st_skips_months_without_one() -> None:
    found = occurrences("FREQ=MONTHLY;COUNT=5", local(2026, 1, 31))
    assert [o.day for o in found] == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
        date(2026, 7, 31),
        date(2026, 8, 31),
    ]
    last_day = occurrences("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", local(2026, 1, 31))
    assert [o.day for o in last_day] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


def test_last_friday_and_last_weekday_of_the_month() -> None:
    fridays = occurrences("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", local(2026, 1, 30))
    assert [o.day for o in fridays] == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)]
    workdays = occurrences("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3", local(2026, 1, 30))
    assert [o.day for o in workdays] == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 31)]  # 31 Mar: Tuesday


def test_count_and_until_end_the_series_and_until_includes_its_whole_last_day() -> None:
    assert len(occurrences("FREQ=DAILY;COUNT=4", local(2026, 6, 1))) == 4
    rule = build_rule(RuleSpec(freq="DAILY", until=date(2026, 6, 5)), first_day=date(2026, 6, 1), zone=BERLIN)
    assert rule == "FREQ=DAILY;UNTIL=20260605T215959Z"
    assert [o.day.day for o in occurrences(rule, local(2026, 6, 1, 23, 0))] == [1, 2, 3, 4, 5]
    assert last_end(rule, first_start=local(2026, 6, 1), first_end=local(2026, 6, 1, 10), zone=BERLIN) == local(
        2026, 6, 5, 10
    )
    assert last_end("FREQ=DAILY", first_start=local(2026, 6, 1), first_end=local(2026, 6, 1, 10), zone=BERLIN) is None


def test_excluded_dates_are_left_out_and_a_window_gives_only_what_overlaps_it() -> None:
    found = occurrences("FREQ=DAILY;COUNT=5", local(2026, 6, 1), skip={"2026-06-02", "2026-06-04"})
    assert [o.day.day for o in found] == [1, 3, 5]
    window = occurrences(
        "FREQ=DAILY", local(2026, 6, 1), window_start=local(2026, 6, 10, 9, 30), window_end=local(2026, 6, 12)
    )
    assert [o.day.day for o in window] == [10, 11]


def test_a_series_begins_on_the_first_day_its_rule_picks() -> None:
    rule = normalize_rule("FREQ=WEEKLY;BYDAY=FR", BERLIN)
    assert first_occurrence(rule, local(2026, 3, 23), BERLIN) == local(2026, 3, 27)
    assert first_occurrence("FREQ=DAILY;UNTIL=20260101T000000Z", local(2026, 3, 23), BERLIN) is None


def test_cutting_a_series_before_a_day_turns_count_into_until() -> None:
    cut = ending_before("FREQ=WEEKLY;BYDAY=MO;COUNT=10", date(2026, 3, 30), BERLIN)
    assert cut == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260329T215959Z"
    assert [o.day.day for o in occurrences(cut, local(2026, 3, 16))] == [16, 23]


@pytest.mark.parametrize(
    "spec",
    [
        RuleSpec(freq="DAILY", interval=3, count=5),
        RuleSpec(freq="WEEKLY", interval=2, weekdays=("MO", "WE"), until=date(2027, 3, 31)),
        RuleSpec(freq="MONTHLY", month_day=-1),
        RuleSpec(freq="MONTHLY", by_position=True, position=-1, weekdays=("FR",), count=12),
        RuleSpec(freq="MONTHLY", by_position=True, position=2, weekdays=("MO", "TU", "WE", "TH", "FR")),
        RuleSpec(freq="YEARLY", by_position=True, position=-1, weekdays=("SU",), count=3),
        RuleSpec(freq="YEARLY"),
    ],
)
def test_the_form_reads_back_every_rule_it_builds(spec: RuleSpec) -> None:
    rule = build_rule(spec, first_day=date(2026, 3, 1), zone=BERLIN)
    assert parse_rule(rule, BERLIN) == spec
    assert describe_rule(rule, BERLIN, "de") and "series." not in describe_rule(rule, BERLIN, "en")


def test_describe_rule_speaks_plainly() -> None:
    assert describe_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=5", BERLIN) == "every 2 weeks on Mon, Wed, 5 times"
    assert describe_rule("FREQ=MONTHLY;BYDAY=-1FR", BERLIN, "de") == "jeden Monat am letzten Fr."


@pytest.mark.parametrize(
    "rule, key",
    [
        ("", "error.series_rule_required"),
        ("FREQ=HOURLY", "error.series_frequency"),
        ("FREQ=DAILY;BYHOUR=9", "error.series_rule_part"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101", "error.series_count_and_until"),
        ("FREQ=DAILY;INTERVAL=0", "error.series_interval"),
        ("FREQ=DAILY;COUNT=5000", "error.series_count"),
        ("FREQ=WEEKLY;BYDAY=XX", "error.series_rule_invalid"),
        ("nonsense", "error.series_rule_invalid"),
        ("FREQ=DAILY;UNTIL=21500101", "error.series_until_range"),
    ],
)
def test_bad_rules_are_refused_with_a_message_naming_the_rule(rule: str, key: str) -> None:
    with pytest.raises(RoomDeskError) as caught:
        normalize_rule(rule, BERLIN)
    assert (
        caught.value.key == key
        and caught.value.field == "rrule"
        and caught.value.message("en").startswith(("Rule:", "rrule"))
    )


def test_imported_rules_are_accepted_with_prefix_lower_case_and_a_floating_until() -> None:
    assert (
        normalize_rule("RRULE:freq=weekly;byday=MO,WE;until=20270331", BERLIN)
        == "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270331T215959Z"
    )
    assert normalize_rule("FREQ=DAILY;UNTIL=20270331T090000", BERLIN) == "FREQ=DAILY;UNTIL=20270331T070000Z"


# --- the independent implementation -----------------------------------------------------------------------


def independent(rule: str, start: datetime, minutes: int, exdates: list[date], until: datetime) -> list[datetime]:
    """Occurrence starts per icalendar + recurring-ical-events (its own RRULE, EXDATE and time-zone handling)."""
    start = start.astimezone(TZ)  # DTSTART;TZID=Europe/Berlin: the rule's days are Berlin days
    event = icalendar.Event()
    event.add("uid", "series@test")
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("rrule", icalendar.vRecur.from_ical(rule))
    for day in exdates:
        event.add("exdate", datetime.combine(day, start.timetz()))
    calendar = icalendar.Calendar()
    calendar.add_component(event)
    found = recurring_ical_events.of(calendar).between(start - timedelta(days=1), until)
    return sorted(e["DTSTART"].dt.astimezone(UTC) for e in found)


CASES = [
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", local(2026, 3, 2)),
    ("FREQ=DAILY;INTERVAL=2", local(2026, 10, 20, 8, 15)),
    ("FREQ=MONTHLY;BYMONTHDAY=31", local(2026, 1, 31, 17)),
    ("FREQ=MONTHLY;BYDAY=-1FR", local(2026, 1, 30)),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", local(2026, 1, 30, 16, 30)),
    ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", local(2026, 3, 29, 10)),
    ("FREQ=WEEKLY;INTERVAL=3;BYDAY=TU;COUNT=20", local(2026, 3, 3, 12)),
    ("FREQ=DAILY;UNTIL=20261101T225959Z", local(2026, 10, 1, 23, 30)),
]


@pytest.mark.parametrize("rule, start", CASES)
def test_expansion_matches_recurring_ical_events(rule: str, start: datetime) -> None:
    skip = [start.date() + timedelta(days=14), start.date() + timedelta(days=60)]
    until = datetime(2028, 6, 1, tzinfo=UTC)
    ours = [o.start for o in occurrences(rule, start, skip={d.isoformat() for d in skip}, window_end=until)]
    assert ours == independent(rule, start, 60, skip, until)
    assert len(ours) >= 3


@settings(max_examples=40, deadline=None)
@given(
    freq=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    interval=st.integers(1, 4),
    days=st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1, max_size=3),
    position=st.sampled_from([1, 2, 3, 4, -1]),
    by_position=st.booleans(),
    count=st.integers(1, 40),
    offset=st.integers(0, 700),
    hour=st.sampled_from([0, 7, 9, 12, 18, 23]),
)
def test_random_form_rules_expand_like_recurring_ical_events(
    freq: str, interval: int, days: set[str], position: int, by_position: bool, count: int, offset: int, hour: int
) -> None:
    first_day = date(2026, 1, 1) + timedelta(days=offset)
    spec = RuleSpec(
        freq=freq,
        interval=interval,
        weekdays=tuple(sorted(days)),
        by_position=by_position,
        position=position,
        count=count,
    )
    rule = build_rule(spec, first_day=first_day, zone=BERLIN)
    start = first_occurrence(rule, datetime.combine(first_day, time(hour), TZ), BERLIN)
    if start is None:
        return
    until = datetime(2040, 1, 1, tzinfo=UTC)
    assert [o.start for o in occurrences(rule, start, window_end=until)] == independent(rule, start, 60, [], until)
