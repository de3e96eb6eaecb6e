"""Every audit action Room Desk records has a label in words, in English and German."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.reporting.audit_log import action_label

ROOT = Path(__file__).resolve().parents[2]


def recorded_actions() -> set[str]:
    """The action codes written in core/: `action="…"` (also in a conditional) and the sign-in audit calls."""
    codes: set[str] = set()
    for path in (ROOT / "core").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "action=" in line or "_audit_sign_in(" in line:
                codes.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', line))
    codes.add("series.meetings_ahead_hours")  # recorded through the constant MEETINGS_AHEAD
    return codes


def test_the_scan_finds_the_actions_it_should() -> None:
    found = recorded_actions()
    assert {"appointment.create", "room.linked", "user.sign_in_failed", "external.token_regenerated"} <= found
    assert len(found) >= 50


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_recorded_action_has_a_label(language: str) -> None:
    missing = sorted(code for code in recorded_actions() if action_label(code, language) == code)
    assert missing == []


def test_labels_differ_by_language_and_an_unknown_code_is_shown_as_it_is() -> None:
    assert action_label("external.token_regenerated", "en") == "Redirect URL token renewed"
    assert action_label("external.token_regenerated", "de") == "Token der Weiterleitungs-URL erneuert"
    assert action_label("something.new", "de") == "something.new"
