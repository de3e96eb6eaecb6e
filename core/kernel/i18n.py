"""One small translation layer: German and English texts, dates and times in the user's locale and zone."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
_LOCALES = {"en": "en_GB", "de": "de_DE"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The texts of one language, read once: core/kernel/locales/<lang>.json plus one <area>.<lang>.json per area."""
    folder = Path(__file__).with_name("locales")
    texts: dict[str, str] = {}
    for path in [folder / f"{lang}.json", *sorted(folder.glob(f"*.{lang}.json"))]:
        texts.update(json.loads(path.read_text(encoding="utf-8")))
    return texts


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for `key` in `lang` (English if missing there), with {placeholders} filled in."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**params) if params else text


def pick_language(preferred: str | None, browser_locale: str | None) -> str:
    """The user's saved choice wins; otherwise the browser's language if we have it; else English."""
    if preferred in LANGUAGES:
        return preferred
    if browser_locale:
        primary = browser_locale.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def format_datetime(value: datetime, lang: str, tz: str) -> str:
    """A UTC-aware moment shown in the user's zone and locale, e.g. '24.11.2026, 09:30'."""
    return _babel_datetime(value.astimezone(ZoneInfo(tz)), "short", locale=_LOCALES.get(lang, "en_GB"))


def format_date(value: datetime, lang: str, tz: str) -> str:
    return _babel_date(value.astimezone(ZoneInfo(tz)), "medium", locale=_LOCALES.get(lang, "en_GB"))


def format_time(value: datetime, lang: str, tz: str) -> str:
    return _babel_time(value.astimezone(ZoneInfo(tz)), "short", locale=_LOCALES.get(lang, "en_GB"))
