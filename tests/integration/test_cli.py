"""The `roomdesk` command: database upgrade, users, demo, key rotation, worker pass, sandbox helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.access.auth import authenticate
from core.cli.main import app
from core.kernel.config import get_settings
from core.kernel.db import get_engine, session_scope

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("ROOMDESK_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_db_upgrade_creates_the_schema(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output and (data_dir / "roomdesk.db").exists()


def test_user_add_reads_the_password_from_stdin(data_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["user", "add", "olga", "--role", "staff", "--group", "External", "--password-stdin"],
        input="a long secret\n",
    )
    assert result.exit_code == 0, result.output
    with session_scope(get_engine()) as s:
        assert authenticate(s, "olga", "a long secret").role == "staff"


def test_user_add_refuses_bad_input_naming_the_field(data_dir: Path) -> None:
    result = runner.invoke(app, ["user", "add", "olga", "--role", "boss", "--password-stdin"], input="a long secret\n")
    assert result.exit_code == 1 and "Role" in result.output
    assert runner.invoke(app, ["user", "add", "olga", "--role", "staff"]).exit_code == 2


def test_cli_commands_never_seed_the_demo_but_demo_reset_does(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    with session_scope(get_engine()) as s:
        from core.admin.demo import is_empty

        assert is_empty(s)
    result = runner.invoke(app, ["demo", "--reset"])
    assert result.exit_code == 0 and "roomdesk-demo" in result.output
    assert runner.invoke(app, ["demo"]).exit_code == 1  # not empty any more
    with session_scope(get_engine()) as s:
        assert authenticate(s, "admin", "roomdesk-demo").role == "admin"


def test_keys_rotate_reencrypts_under_a_new_key(data_dir: Path) -> None:
    from core.access import external_access

    runner.invoke(app, ["demo", "--reset"])
    with session_scope(get_engine()) as s:
        from sqlmodel import select

        from core.kernel.models import User

        admin = s.exec(select(User).where(User.username == "admin")).one()
        external_access.set_system_address(s, user=admin, address="https://roomdesk.example.org")
        token = external_access.current_token(s)
    old_key = (data_dir / "secret.key").read_text()
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0 and "Re-encrypted 1 secret" in result.output
    assert (data_dir / "secret.key").read_text() != old_key
    with session_scope(get_engine()) as s:
        assert external_access.current_token(s) == token


def test_worker_once_runs_one_pass_against_the_sandbox(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "tokens refreshed: 0, failed: 0; meeting jobs done: 0, postponed: 0" in result.output


def test_sandbox_token_prints_a_working_access_token(data_dir: Path) -> None:
    assert runner.invoke(app, ["sandbox", "account", "add", "ops@sandbox.roomdesk.test"]).exit_code == 0
    result = runner.invoke(app, ["sandbox", "token", "ops@sandbox.roomdesk.test"])
    assert result.exit_code == 0
    import httpx

    from core.goto.sandbox import start_in_thread

    running = start_in_thread(data_dir)  # a sandbox on the same state the CLI wrote to
    try:
        answer = httpx.get(
            f"{running.api_url}/upcomingMeetings",
            timeout=10,
            headers={"Authorization": f"Bearer {result.output.strip()}"},
        )
    finally:
        running.stop()
    assert answer.status_code == 200 and answer.json() == []


def test_the_embedded_sandbox_comes_back_on_the_same_port(data_dir: Path) -> None:
    """Join links written into notes point at the sandbox; a restart must not break them."""
    from core.goto.connect import connect_goto

    first = connect_goto(get_engine(), get_settings())
    url = first.sandbox.url
    first.client.close()
    first.sandbox.stop()
    again = connect_goto(get_engine(), get_settings())
    try:
        assert again.sandbox.url == url
    finally:
        again.client.close()
        again.sandbox.stop()
