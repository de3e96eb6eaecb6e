"""Times in GoTo's answers: every form GoTo documents or sends is read as the same UTC moment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.goto.wire import format_time, parse_time

T = datetime(2015, 7, 1, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2015-07-01T22:00:00Z",  # the contract's own example ("ISO8601 UTC string, e.g. 2015-07-01T22:00:00Z")
        "2015-07-01T22:00:00z",
        "2015-07-01T22:00:00+00:00",  # RFC 3339 (`format: date-time`)
        "2015-07-01T22:00:00+0000",
        "2015-07-01T22:00:00.+0000",  # a bare dot before the offset, as GoTo answers
        "2015-07-01T22:00:00.000+0000",
        "2015-07-01T22:00:00.000Z",
        "2015-07-02T00:00:00+02:00",
        "2015-07-01T18:00:00-0400",
        "2015-07-01T22:00:00",  # no offset: UTC
        "2015-07-01T22:00Z",
        " 2015-07-01 22:00:00Z ",
    ],
)
def test_every_documented_time_form_is_the_same_utc_moment(text: str) -> None:
    assert parse_time(text) == T and parse_time(text).tzinfo == UTC


def test_fractions_are_kept_to_the_microsecond() -> None:
    assert parse_time("2015-07-01T22:00:00.1234567Z").microsecond == 123456
    assert parse_time("2015-07-01T22:00:00.5+0000").microsecond == 500000


@pytest.mark.parametrize("text", ["", "next monday", "2015-07-01", "2015-07-01T22:00:00+2", "22:00:00Z"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_times_sent_to_goto_are_whole_utc_seconds_with_a_z() -> None:
    assert format_time(parse_time("2015-07-02T00:00:00.9+02:00")) == "2015-07-01T22:00:00Z"
