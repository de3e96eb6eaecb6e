"""`roomdesk goto check`: what an admin sees before linking the first room, against the sandbox over HTTP."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from core.admin.goto_check import check_goto
from core.cli.main import app
from core.goto import GotoConfig
from core.goto.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from core.kernel.config import Settings, get_settings
from core.kernel.db import get_engine
from tests.integration.linking import linkable_room
from tests.pg import free_port


def settings(tmp_path: Path, client_id: str | None = None, secret: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url="", database_is_default=False, goto_auth_url=None, goto_api_url=None,
        goto_client_id=client_id, goto_client_secret=secret, secret_key=None, smtp_url=None,
    )  # fmt: skip


@pytest.fixture
def config(sandbox) -> GotoConfig:  # type: ignore[no-untyped-def]
    return GotoConfig(
        auth_url=sandbox.auth_url,
        api_url=sandbox.api_url,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        read_timeout=5,
    )


def by_name(checks) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {c.name: (c.status, c.message) for c in checks}


def test_a_registered_redirect_url_and_a_known_client_are_ready(engine: Engine, sandbox, config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    linkable_room(engine, sandbox)
    checks = by_name(check_goto(engine, settings(tmp_path), config))
    assert checks["configuration"][0] == "warn" and "built-in sandbox" in checks["configuration"][1]
    assert checks["redirect URL"][0] == "ok" and "http://roomdesk.test" in checks["redirect URL"][1]
    assert checks["token endpoint"] == (
        "ok",
        f"{config.token_endpoint} reached; GoTo accepts the client id and secret.",
    )
    assert checks["linked rooms"] == ("ok", "No room linked yet.")


def test_a_wrong_secret_is_named_as_such(engine: Engine, sandbox, config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wrong = dataclasses.replace(config, client_secret="not-the-secret")
    status, message = by_name(check_goto(engine, settings(tmp_path), wrong))["token endpoint"]
    assert status == "fail" and "does not accept the client id and secret" in message


def test_an_unregistered_redirect_url_and_a_missing_address_each_say_what_to_do(
    engine: Engine, sandbox, config, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    assert by_name(check_goto(engine, settings(tmp_path), config))["redirect URL"][0] == "fail"  # no address yet
    linkable_room(engine, sandbox, register=False)
    status, message = by_name(check_goto(engine, settings(tmp_path), config))["redirect URL"]
    assert status == "fail" and "is not activated" in message and "http://roomdesk.test" in message


def test_an_unreachable_or_wrong_auth_address_is_told_apart(engine: Engine, config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    closed = dataclasses.replace(config, auth_url=f"http://127.0.0.1:{free_port()}")
    status, message = by_name(check_goto(engine, settings(tmp_path), closed))["token endpoint"]
    assert status == "fail" and "cannot be reached" in message
    not_goto = dataclasses.replace(config, auth_url=config.api_url)  # the REST API has no token endpoint
    status, message = by_name(check_goto(engine, settings(tmp_path), not_goto))["token endpoint"]
    assert status == "fail" and "check ROOMDESK_GOTO_AUTH_URL" in message


def test_half_a_client_configuration_names_the_missing_variable(engine: Engine, config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    status, message = by_name(check_goto(engine, settings(tmp_path, client_id="abc"), config))["configuration"]
    assert status == "fail" and message.startswith("ROOMDESK_GOTO_CLIENT_SECRET is not set")


def test_the_command_lists_every_check_and_fails_until_linking_can_work(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    for name in ["ROOMDESK_GOTO_CLIENT_ID", "ROOMDESK_GOTO_CLIENT_SECRET", "ROOMDESK_GOTO_AUTH_URL"]:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, ["goto", "check"])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == [
        "warn  configuration", "FAIL  redirect URL", "ok    token endpoint", "ok    linked rooms",
    ]  # fmt: skip
    assert lines[-1] == "Not ready: fix redirect URL."
