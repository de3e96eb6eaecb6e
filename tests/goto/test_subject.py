"""goto_subject and MeetingSpec: what GoTo is sent, before any HTTP."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.goto import Meeting, MeetingSpec, goto_subject

T = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_goto_subject_escapes_angle_brackets_as_html_entities() -> None:
    assert goto_subject("Q3 <draft> review") == "Q3 &lt;draft&gt; review"


def test_goto_subject_stops_before_an_escape_that_would_cross_100_characters() -> None:
    assert goto_subject("x" * 98 + "<") == "x" * 98
    assert goto_subject("x" * 96 + "<") == "x" * 96 + "&lt;"


@given(st.text(alphabet=st.sampled_from(["<", ">", "a", "&", "ß", " ", "\n"]), max_size=300))
def test_goto_subject_is_a_whole_escaped_prefix_of_at_most_100_characters(text: str) -> None:
    subject = goto_subject(text)
    assert len(subject) <= 100
    assert "<" not in subject and ">" not in subject
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.startswith(subject)
    # no half escape: what is kept decodes to a prefix of the original (text without its own entities)
    if "&" not in text:
        assert text.startswith(html.unescape(subject))
        assert len(subject) > 96 or subject == escaped


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
