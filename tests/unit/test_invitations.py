"""The invitation block: replaced and removed exactly; the user's text survives byte for byte."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.meetings.invitations import BEGIN, END, Invitation, compose_note, render_invitation, replace_block, split_note

MEETING = Invitation(join_url="https://meet.goto.com/123456789", meeting_id="123456789", dial_in="+49 30 1234")
OTHER = Invitation(join_url="https://meet.goto.com/987654321", meeting_id="987654321")

# Notes of any text, including ones that contain our delimiters, whole blocks, and trailing newlines.
tricky = st.sampled_from([BEGIN, END, render_invitation(MEETING), render_invitation(OTHER), "\n\n", "\r\n", ""])
notes = st.lists(st.one_of(st.text(), tricky), max_size=6).map("".join)


@given(notes)
def test_writing_then_removing_the_block_gives_back_the_users_text(note: str) -> None:
    block = render_invitation(MEETING)
    stored = replace_block(note, None, block)
    assert stored.startswith(note) and stored.endswith(block)
    assert replace_block(stored, block, None) == note


@given(notes)
def test_replacing_the_block_keeps_the_users_text_and_leaves_one_block(note: str) -> None:
    first, second = render_invitation(MEETING), render_invitation(OTHER)
    stored = replace_block(replace_block(note, None, first), first, second)
    assert stored == note + second
    assert split_note(stored, second) == (note, second)


@given(notes)
def test_a_hand_edited_block_is_kept_as_the_users_text(note: str) -> None:
    block = render_invitation(MEETING)
    edited = compose_note(note, block) + " (edited)"
    assert split_note(edited, block) == (edited, None)
    assert replace_block(edited, block, None) == edited


def test_the_block_reads_well_in_both_languages() -> None:
    assert render_invitation(MEETING, "en") == (
        "\n\n─── GoTo Meeting ───\nJoin the meeting: https://meet.goto.com/123456789\n"
        "Meeting ID: 123 456 789\nDial in: +49 30 1234\n─── Room Desk ───"
    )
    assert "Meeting-ID: 123 456 789" in render_invitation(MEETING, "de")
