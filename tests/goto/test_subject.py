"""goto_subject and MeetingSpec: what GoTo is sent, before any HTTP."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.goto import Meeting, MeetingSpec, goto_subject
from core.goto.api import utf16_length

T = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_goto_subject_escapes_angle_brackets_as_html_entities() -> None:
    assert goto_subject("Q3 <draft> review") == "Q3 &lt;draft&gt; review"


def test_goto_subject_stops_before_an_escape_that_would_cross_100_characters() -> None:
    assert goto_subject("x" * 98 + "<") == "x" * 98
    assert goto_subject("x" * 96 + "<") == "x" * 96 + "&lt;"


def test_goto_subject_counts_utf16_units_and_never_splits_a_character() -> None:
    """GoTo says "100 characters maximum"; an emoji outside the BMP is two UTF-16 units, so 50 of them fit."""
    assert goto_subject("😀" * 60) == "😀" * 50
    assert goto_subject("x" + "😀" * 60) == "x" + "😀" * 49  # 99 units: the 50th emoji would make 101
    assert goto_subject("ä" * 120) == "ä" * 100  # one unit each (precomposed)
    family = "👩\u200d👧"  # woman, zero-width joiner, girl: 5 units
    cut = goto_subject("x" * 97 + family)
    assert cut == "x" * 97 + "👩" or cut == "x" * 97  # never a dangling joiner
    assert not goto_subject("x" * 98 + family).endswith("\u200d")


def test_the_stored_subject_is_never_shortened() -> None:
    """Only what is sent to GoTo is cut: the spec (and so the appointment) keeps every character typed."""
    typed = "Quartalsplanung <Vertrieb> 😀 " * 10
    spec = MeetingSpec(typed, T, T + timedelta(hours=1))
    assert spec.subject == typed and len(goto_subject(spec.subject)) < len(typed)


@given(st.text(alphabet=st.sampled_from(["<", ">", "a", "&", "ß", " ", "\n", "😀", "\u200d"]), max_size=300))
def test_goto_subject_is_a_whole_escaped_prefix_of_at_most_100_characters(text: str) -> None:
    subject = goto_subject(text)
    assert utf16_length(subject) <= 100
    assert "<" not in subject and ">" not in subject
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.startswith(subject)
    # no half escape: what is kept decodes to a prefix of the original (text without its own entities)
    if "&" not in text:
        assert text.startswith(html.unescape(subject))
        assert utf16_length(subject) > 94 or subject == escaped or subject + "\u200d" == escaped[: len(subject) + 1]


def test_meeting_spec_refuses_naive_times_and_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MeetingSpec("x", datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 10))
    with pytest.raises(ValueError, match="after"):
        MeetingSpec("x", T, T)


def test_meeting_spec_keeps_times_in_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    spec = MeetingSpec("x", datetime(2026, 12, 7, 10, 0, tzinfo=berlin), datetime(2026, 12, 7, 11, 0, tzinfo=berlin))
    assert spec.starts_at == T and spec.starts_at.tzinfo == UTC


def test_meeting_spec_matches_the_meeting_goto_made_from_it() -> None:
    """After a lost create answer, a caller finds the meeting among the upcoming ones by subject and times."""
    spec = MeetingSpec("Plan <B> " + "y" * 120, T + timedelta(microseconds=5), T + timedelta(hours=1))
    made = Meeting("123456789", goto_subject(spec.subject), T, T + timedelta(hours=1), "Hybrid")
    assert spec.matches(made)
    assert not spec.matches(Meeting("1", made.subject, T, T + timedelta(hours=2), "Hybrid"))
    assert not spec.matches(Meeting("1", "Plan", T, T + timedelta(hours=1), "Hybrid"))
