"""The translation layer: both languages complete, placeholders consistent, every key used exists."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

from core.kernel.i18n import catalogue, format_datetime, pick_language, translate

ROOT = Path(__file__).resolve().parents[2]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_german_and_english_have_the_same_keys_and_placeholders() -> None:
    en, de = catalogue("en"), catalogue("de")
    assert set(en) == set(de)
    assert {k: placeholders(v) for k, v in en.items()} == {k: placeholders(v) for k, v in de.items()}


def test_every_key_the_code_uses_is_translated() -> None:
    pattern = re.compile(
        r"[\"']((?:error|warning|signin|nav|role|sidebar|profile|action|rooms|appointments|settings|banner|callback|invitation|import|meeting|outbox|mail|"
        r"timeline|import|conflicts|addon|activation|audit|sso|series|usage|now)\.[a-z_]+)[\"']"
    )
    used = {
        m
        for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "dashboard.py"]
        for m in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert used, "the scan found no keys at all"
    assert sorted(used - set(catalogue("en"))) == []


def test_language_follows_the_user_then_the_browser() -> None:
    assert pick_language("de", "en-US") == "de"
    assert pick_language(None, "de-AT") == "de"
    assert pick_language(None, "fr-FR") == "en"
    assert translate("nav.rooms", "de") == "Räume" and translate("nav.rooms", "xx") == "Rooms"


def test_times_are_shown_in_the_users_zone_and_locale() -> None:
    moment = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert format_datetime(moment, "de", "Europe/Berlin") == "01.07.26, 09:30"
    assert "9:30" in format_datetime(moment, "en", "Europe/Berlin")
