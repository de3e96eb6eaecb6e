"""The sandbox's state file: it survives restarts and is shared by a running server and the CLI functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from core.goto import GotoClient, GotoConfig, MeetingSpec, StaticTokens
from core.goto.sandbox import (
    ADMIN_HEADER,
    DEMO_ACCOUNTS,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    RunningSandbox,
    add_account,
    issue_token,
    list_redirect_uris,
    register_redirect_uri,
    start_in_thread,
    unregister_redirect_uri,
)
from core.goto.sandbox.cli import sandbox_app
from core.kernel.config import get_settings
from tests.goto.harness import Linked, Recorder, sandbox_config


def _spec() -> MeetingSpec:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return MeetingSpec("Survives restarts", start, start + timedelta(hours=1))


def test_a_restarted_sandbox_keeps_accounts_redirect_uris_tokens_and_meetings(
    tmp_path: Path, make_linked: Callable[..., Linked], recorder: Recorder
) -> None:
    first = start_in_thread(tmp_path)
    try:
        linked = make_linked(first)
        meeting = linked.client.create_meeting(linked.account, _spec())
        register_redirect_uri(tmp_path, "https://desk.example.org/cb")
    finally:
        first.stop()
    second = start_in_thread(tmp_path)
    try:
        tokens = StaticTokens({linked.account: linked.tokens.access_token(linked.account)})  # no refresh possible
        with GotoClient(sandbox_config(second), tokens, transport=recorder.transport("client")) as api:
            got = api.get_meeting(linked.account, meeting.meeting_id)
        assert got is not None and got.subject == "Survives restarts"
        assert list_redirect_uris(tmp_path) == ["https://desk.example.org/cb"]
        assert (
            len(httpx.get(f"{second.url}/_sandbox/accounts", headers={ADMIN_HEADER: SANDBOX_CLIENT_SECRET}).json())
            == len(DEMO_ACCOUNTS) + 1
        )
    finally:
        second.stop()


def test_the_demo_accounts_are_seeded(tmp_path: Path) -> None:
    assert tuple(f"room{i}@sandbox.roomdesk.test" for i in range(1, 7)) == DEMO_ACCOUNTS
    running = start_in_thread(tmp_path)
    try:
        listed = httpx.get(f"{running.url}/_sandbox/accounts", headers={ADMIN_HEADER: SANDBOX_CLIENT_SECRET}).json()
    finally:
        running.stop()
    assert [(a["email"], a["first_name"], a["last_name"]) for a in listed] == [
        (f"room{i}@sandbox.roomdesk.test", "Room", last)
        for i, last in enumerate(["One", "Two", "Three", "Four", "Five", "Six"], start=1)
    ]


def test_cli_functions_change_the_state_of_a_running_sandbox(sandbox: RunningSandbox, recorder: Recorder) -> None:
    """The CLI writes the same file the server reads: an account and a token made offline work at once."""
    email = add_account(sandbox.data_dir, "Script.User@Sandbox.Roomdesk.Test", "Script", "User", password="pw")
    assert email.email == "script.user@sandbox.roomdesk.test"
    token = issue_token(sandbox.data_dir, email.email)
    with GotoClient(
        sandbox_config(sandbox), StaticTokens({email.email: token}), transport=recorder.transport("client")
    ) as api:
        assert api.upcoming_meetings(email.email) == []
    with pytest.raises(LookupError):
        issue_token(sandbox.data_dir, "nobody@sandbox.roomdesk.test")


def test_the_developer_center_lists_registers_and_removes_redirect_uris(sandbox: RunningSandbox) -> None:
    path = f"{sandbox.url}/developer/clients/{SANDBOX_CLIENT_ID}/redirect-uris"
    admin = {ADMIN_HEADER: SANDBOX_CLIENT_SECRET}
    uri = "https://support.example.org/pages/goto_callback?t=abc"
    assert httpx.get(path).status_code == 403 and httpx.get(path, headers={ADMIN_HEADER: "guess"}).status_code == 403
    assert httpx.post(path, json={"redirect_uri": uri}).status_code == 403
    assert httpx.post(path, json={"redirect_uri": uri}, headers=admin).status_code == 201
    assert httpx.post(path, json={"redirect_uri": uri}, headers=admin).json().count(uri) == 1  # idempotent
    assert uri in httpx.get(path, headers=admin).json()
    assert uri in httpx.get(f"{sandbox.url}/developer").text.replace("&amp;", "&")
    for bad in ("not a url", "ftp://x.example.org/", "https://x.example.org/#frag", ""):
        assert httpx.post(path, json={"redirect_uri": bad}, headers=admin).status_code == 400
    assert httpx.request("DELETE", path, json={"redirect_uri": uri}, headers=admin).status_code == 200
    assert uri not in list_redirect_uris(sandbox.data_dir)
    assert httpx.request("DELETE", path, json={"redirect_uri": uri}, headers=admin).status_code == 404
    assert httpx.get(f"{sandbox.url}/developer/clients/unknown/redirect-uris", headers=admin).status_code == 404


def test_unregister_reports_whether_the_uri_was_registered(tmp_path: Path) -> None:
    register_redirect_uri(tmp_path, "https://a.example.org/cb")
    assert unregister_redirect_uri(tmp_path, "https://a.example.org/cb")
    assert not unregister_redirect_uri(tmp_path, "https://a.example.org/cb")
    with pytest.raises(ValueError):
        register_redirect_uri(tmp_path, "https://a.example.org/cb#x")


def test_the_controls_need_the_admin_key(raw: httpx.Client) -> None:
    for method, path in [
        ("POST", "/_sandbox/faults"),
        ("GET", "/_sandbox/accounts"),
        ("POST", "/_sandbox/reset-faults"),
        ("POST", f"/_sandbox/accounts/{DEMO_ACCOUNTS[0]}/token"),
    ]:
        assert raw.request(method, path, headers={ADMIN_HEADER: "wrong"}).status_code == 403


def test_a_fault_request_names_what_is_wrong(raw: httpx.Client) -> None:
    response = raw.post("/_sandbox/faults", json={"kind": "418"}, headers={ADMIN_HEADER: SANDBOX_CLIENT_SECRET})
    assert response.status_code == 400 and "kind must be one of" in response.json()["error"]


def test_the_cli_adds_accounts_and_prints_only_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        added = runner.invoke(sandbox_app, ["account", "add", "new@sandbox.roomdesk.test", "--first-name", "New"])
        assert added.exit_code == 0 and "new@sandbox.roomdesk.test" in added.output
        printed = runner.invoke(sandbox_app, ["token", "new@sandbox.roomdesk.test"])
        assert printed.exit_code == 0 and len(printed.stdout.strip().split()) == 1
        unknown = runner.invoke(sandbox_app, ["token", "nobody@sandbox.roomdesk.test"])
        assert unknown.exit_code == 1
    finally:
        get_settings.cache_clear()
    running = start_in_thread(tmp_path)
    try:
        config = GotoConfig(auth_url=running.auth_url, api_url=running.api_url)
        tokens = StaticTokens({"new@sandbox.roomdesk.test": printed.stdout.strip()})
        with GotoClient(config, tokens, transport=recorder.transport("client")) as api:
            assert api.upcoming_meetings("new@sandbox.roomdesk.test") == []
    finally:
        running.stop()
