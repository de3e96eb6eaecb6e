"""The invitation block written below the user's note: rendered from the meeting, replaced and removed exactly."""

from __future__ import annotations

from dataclasses import dataclass

from core.kernel.i18n import translate

# The block always sits at the very end of the note and starts with a blank line. We keep the exact text we
# wrote (in goto_meeting_data), so finding it is a suffix comparison: text that merely *looks* like our
# delimiters inside the user's note can never be mistaken for the block.
BEGIN = "─── GoTo Meeting ───"
END = "─── Room Desk ───"


@dataclass(frozen=True)
class Invitation:
    join_url: str
    meeting_id: str
    dial_in: str = ""


def render_invitation(invitation: Invitation, lang: str = "en") -> str:
    """The block as it is appended to the note (leading blank line included)."""
    lines = [
        BEGIN,
        # Only a link GoTo gave is ever shown; none is made up from the meeting id.
        translate("invitation.join", lang, url=invitation.join_url)
        if invitation.join_url
        else translate("invitation.join_unknown", lang),
        translate("invitation.meeting_id", lang, id=_grouped(invitation.meeting_id)),
    ]
    if invitation.dial_in:
        lines.append(translate("invitation.dial_in", lang, info=invitation.dial_in))
    lines.append(END)
    return "\n\n" + "\n".join(lines)


def _grouped(meeting_id: str) -> str:
    """GoTo shows meeting ids in groups of three digits, as people dial them."""
    digits = meeting_id.strip()
    return " ".join(digits[i : i + 3] for i in range(0, len(digits), 3)) if digits.isdigit() else digits


def compose_note(user_text: str, block: str | None) -> str:
    """The stored note: the user's text, byte for byte, followed by the block (if any)."""
    return user_text + (block or "")


def split_note(note: str, block: str | None) -> tuple[str, str | None]:
    """The user's text and our block, given the exact block we last wrote.

    If the note no longer ends with that block (someone edited it by hand), nothing is treated as ours:
    the whole note is the user's, so nothing they wrote can be lost.
    """
    if block and note.endswith(block):
        return note[: len(note) - len(block)], block
    return note, None


def replace_block(note: str, old_block: str | None, new_block: str | None) -> str:
    """The note with our old block replaced by the new one (or removed when new_block is None)."""
    user_text, _ = split_note(note, old_block)
    return compose_note(user_text, new_block)
