"""`roomdesk user list|add|deactivate|reset-password` and `roomdesk group list|add|members`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from core.access import auth
from core.cli.main import app
from core.kernel.config import get_settings
from core.kernel.db import get_engine, session_scope
from core.kernel.errors import SignInFailed

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("ROOMDESK_SECRET_KEY", raising=False)
    monkeypatch.delenv("ROOMDESK_SMTP_URL", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    for name, role in [("olga", "staff"), ("sam", "support")]:
        result = runner.invoke(app, ["user", "add", name, "--role", role, "--password-stdin"], input="a long secret\n")
        assert result.exit_code == 0, result.output
    yield tmp_path
    get_settings.cache_clear()
    get_engine.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_user_list_filters_and_shows_status(data_dir: Path) -> None:
    assert [line.split()[0] for line in run("user", "list").splitlines()[:-1]] == ["olga", "sam"]
    assert run("user", "list", "--role", "support").splitlines()[0].split()[:3] == ["sam", "support", "active"]
    run("user", "deactivate", "sam")
    inactive = run("user", "list", "--inactive").splitlines()
    assert [line.split()[:3] for line in inactive[:-1]] == [["sam", "support", "inactive"]] and inactive[
        -1
    ] == "1 user(s)."
    assert "sam" not in run("user", "list", "--active")


def test_user_deactivate_blocks_sign_in_and_reactivate_restores_it(data_dir: Path) -> None:
    assert "Deactivated user olga." in run("user", "deactivate", "olga")
    with session_scope(get_engine()) as s, pytest.raises(SignInFailed):
        auth.authenticate(s, "olga", "a long secret")
    run("user", "deactivate", "olga", "--reactivate")
    with session_scope(get_engine()) as s:
        assert auth.authenticate(s, "olga", "a long secret").username == "olga"
    result = runner.invoke(app, ["user", "deactivate", "nobody"])
    assert result.exit_code == 1


def test_user_reset_password_prints_a_one_time_link(data_dir: Path) -> None:
    out = run("user", "reset-password", "olga", "--base-url", "https://desk.example.org")
    link = out.splitlines()[0]
    assert link.startswith("https://desk.example.org/set_password?token=") and "Valid once, until" in out
    token = parse_qs(urlsplit(link).query)["token"][0]
    with session_scope(get_engine()) as s:
        auth.set_password_with_link(s, token=token, new="fresh secret words")
    with session_scope(get_engine()) as s:
        assert auth.authenticate(s, "olga", "fresh secret words").username == "olga"


def test_groups_are_listed_added_and_their_members_changed(data_dir: Path) -> None:
    assert "Added group Sales." in run("group", "add", "Sales")
    assert runner.invoke(app, ["group", "add", "sales"]).exit_code == 1
    assert run("group", "members", "Sales", "--add", "olga", "--add", "sam").splitlines() == [
        "olga",
        "sam",
        "2 member(s) in Sales.",
    ]
    assert run("group", "members", "Sales", "--remove", "sam").splitlines() == ["olga", "1 member(s) in Sales."]
    listed = {line.split()[0]: line for line in run("group", "list").splitlines()}
    assert set(listed) == {"All", "None", "External", "Sales"} and listed["Sales"].endswith("olga")
    assert "built-in" in listed["All"]
    refused = runner.invoke(app, ["group", "members", "All", "--add", "olga"])
    assert refused.exit_code == 1 and "cannot have members" in refused.output
