"""The environment is read in one place (core.kernel.config); GoTo's and the sandbox's settings come from it."""

from __future__ import annotations

import pytest

from core.goto import GotoConfig
from core.goto.client import REAL_API_URL, REAL_AUTH_URL
from core.goto.sandbox.ratelimit import RateLimit
from core.kernel.config import load_settings

GOTO_VARIABLES = [
    "ROOMDESK_GOTO_AUTH_URL", "ROOMDESK_GOTO_API_URL", "ROOMDESK_GOTO_CLIENT_ID", "ROOMDESK_GOTO_CLIENT_SECRET",
    "ROOMDESK_GOTO_RATE_LIMIT", "ROOMDESK_SANDBOX_RATE_LIMIT",
]  # fmt: skip


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in GOTO_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_without_configuration_goto_is_the_real_one_paced_at_eight_calls_a_second() -> None:
    config = GotoConfig.from_settings(load_settings())
    assert (config.auth_url, config.api_url, config.client_id, config.requests_per_second) == (
        REAL_AUTH_URL, REAL_API_URL, "", 8.0,
    )  # fmt: skip
    assert RateLimit.from_env().per_second == 0


def test_the_goto_configuration_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOMDESK_GOTO_CLIENT_ID", " abc ")
    monkeypatch.setenv("ROOMDESK_GOTO_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("ROOMDESK_GOTO_RATE_LIMIT", "0")
    monkeypatch.setenv("ROOMDESK_SANDBOX_RATE_LIMIT", "10")
    config = GotoConfig.from_settings(load_settings())
    assert (config.client_id, config.client_secret, config.requests_per_second) == ("abc", "s3cret", 0.0)
    assert RateLimit.from_env().per_second == 10


@pytest.mark.parametrize(
    ("name", "value"),
    [("ROOMDESK_GOTO_RATE_LIMIT", "fast"), ("ROOMDESK_GOTO_RATE_LIMIT", "-1"), ("ROOMDESK_SANDBOX_RATE_LIMIT", "2.5")],
)
def test_a_malformed_rate_stops_with_the_variable_named_instead_of_a_silent_default(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        load_settings()
