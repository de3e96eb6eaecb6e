"""Settings from the environment: one object, read once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    database_is_default: bool
    goto_auth_url: str | None
    goto_api_url: str | None
    goto_client_id: str | None
    goto_client_secret: str | None
    secret_key: str | None
    smtp_url: str | None
    session_idle_hours: float = 8.0
    session_max_days: float = 7.0
    goto_rate_limit: float = 8.0  # GoTo calls per second per process, 0 = unpaced
    sandbox_rate_limit: int = 0  # the sandbox answers 429 beyond this many requests per second, 0 = never

    @property
    def uses_real_goto(self) -> bool:
        """Real GoTo is configured only when both client credentials are given."""
        return bool(self.goto_client_id and self.goto_client_secret)


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _number(name: str, default: float, *, zero_allowed: bool) -> float:
    """A ROOMDESK_* number: greater than 0, or 0 or more when `zero_allowed` (0 switches something off)."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < 0 or (value == 0 and not zero_allowed):
        raise ValueError(f"{name} must be {'0 or more' if zero_allowed else 'greater than 0'}, not {raw!r}")
    return value


def _whole(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number (0 or more), not {raw!r}")
    return int(raw)


def load_settings() -> Settings:
    """Read the settings from ROOMDESK_* environment variables: the one place the environment is parsed.

    A malformed value stops the process with a ValueError naming the variable, instead of a silent default.
    """
    data_dir = Path(_env("ROOMDESK_DATA_DIR") or "data").expanduser().resolve()
    url = _env("ROOMDESK_DATABASE_URL")
    return Settings(
        data_dir=data_dir,
        database_url=url or f"sqlite:///{data_dir / 'roomdesk.db'}",
        database_is_default=url is None,
        goto_auth_url=_env("ROOMDESK_GOTO_AUTH_URL"),
        goto_api_url=_env("ROOMDESK_GOTO_API_URL"),
        goto_client_id=_env("ROOMDESK_GOTO_CLIENT_ID"),
        goto_client_secret=_env("ROOMDESK_GOTO_CLIENT_SECRET"),
        secret_key=_env("ROOMDESK_SECRET_KEY"),
        smtp_url=_env("ROOMDESK_SMTP_URL"),
        session_idle_hours=_number("ROOMDESK_SESSION_IDLE_HOURS", 8.0, zero_allowed=False),
        session_max_days=_number("ROOMDESK_SESSION_MAX_DAYS", 7.0, zero_allowed=False),
        goto_rate_limit=_number("ROOMDESK_GOTO_RATE_LIMIT", 8.0, zero_allowed=True),
        sandbox_rate_limit=_whole("ROOMDESK_SANDBOX_RATE_LIMIT", 0),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call get_settings.cache_clear() after changing the environment."""
    return load_settings()
