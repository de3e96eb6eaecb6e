"""Linking a GoTo account: the sandbox's authorize page and token endpoint, driven by the real client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from core.goto import GotoAuthExpired, GotoClient, GotoOAuthError, StaticTokens
from core.goto.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, RunningSandbox, register_redirect_uri
from tests.goto.harness import Linked, MovableClock, Recorder, SandboxAdmin, sandbox_config

CALLBACK = "https://desk.example.org/pages/goto_callback?t=s3cret"
VERIFIER = "v" * 64


def _register(target: RunningSandbox) -> None:
    register_redirect_uri(target.data_dir, CALLBACK)


@pytest.fixture
def oauth(sandbox: RunningSandbox, recorder: Recorder) -> Iterator[GotoClient]:
    _register(sandbox)
    with GotoClient(sandbox_config(sandbox), StaticTokens(), transport=recorder.transport("client")) as client:
        yield client


def _consent(target: RunningSandbox, authorize_url: str, **fields: str) -> httpx.Response:
    """What the browser sends when the user submits the sandbox's sign-in page."""
    page = httpx.get(authorize_url)
    assert page.status_code == 200 and "Allow" in page.text and "Deny" in page.text
    form = dict(httpx.URL(authorize_url).params)
    form.update({"email": "room1@sandbox.roomdesk.test", "password": "sandbox", "decision": "allow", **fields})
    return httpx.post(f"{target.url}/oauth/authorize", data=form)


def _code(target: RunningSandbox, client: GotoClient, state: str = "st-1") -> str:
    response = _consent(target, client.authorize_url(CALLBACK, state, VERIFIER))
    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith(CALLBACK + "&") and location.params["state"] == state
    return location.params["code"]


def test_full_code_flow_with_pkce_links_the_account(sandbox: RunningSandbox, oauth: GotoClient) -> None:
    url = httpx.URL(oauth.authorize_url(CALLBACK, "st-1", VERIFIER))
    assert url.params["response_type"] == "code" and url.params["code_challenge_method"] == "S256"
    assert url.params["redirect_uri"] == CALLBACK and url.path == "/oauth/authorize"
    tokens = oauth.exchange_code(_code(sandbox, oauth), CALLBACK, VERIFIER)
    assert tokens.principal == "room1@sandbox.roomdesk.test" and tokens.scope
    assert tokens.access_token and tokens.refresh_token and tokens.refresh_rotated
    assert 3500 < (tokens.expires_at - datetime.now(UTC)).total_seconds() <= 3600


def test_the_token_request_is_form_encoded_with_http_basic_client_auth(
    sandbox: RunningSandbox, oauth: GotoClient, recorder: Recorder
) -> None:
    oauth.exchange_code(_code(sandbox, oauth), CALLBACK, VERIFIER)
    (sent,) = recorder.sent("POST", "/oauth/token")
    assert sent.request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    basic = base64.b64encode(f"{SANDBOX_CLIENT_ID}:{SANDBOX_CLIENT_SECRET}".encode()).decode()
    assert sent.request.headers["authorization"] == f"Basic {basic}"
    assert b"client_secret" not in sent.request.content


def test_a_code_works_only_once(sandbox: RunningSandbox, oauth: GotoClient) -> None:
    code = _code(sandbox, oauth)
    oauth.exchange_code(code, CALLBACK, VERIFIER)
    with pytest.raises(GotoOAuthError) as caught:
        oauth.exchange_code(code, CALLBACK, VERIFIER)
    assert caught.value.error == "invalid_grant" and "already used" in str(caught.value)


@pytest.mark.parametrize("redirect_uri, verifier", [(CALLBACK + "x", VERIFIER), (CALLBACK, "w" * 64)])
def test_a_code_needs_the_same_redirect_uri_and_the_pkce_verifier(
    sandbox: RunningSandbox, oauth: GotoClient, redirect_uri: str, verifier: str
) -> None:
    with pytest.raises(GotoOAuthError) as caught:
        oauth.exchange_code(_code(sandbox, oauth), redirect_uri, verifier)
    assert caught.value.error == "invalid_grant"


def test_a_code_expires_after_ten_minutes(
    clocked_sandbox: RunningSandbox, clock: MovableClock, recorder: Recorder
) -> None:
    _register(clocked_sandbox)
    with GotoClient(sandbox_config(clocked_sandbox), StaticTokens(), transport=recorder.transport("client")) as client:
        fresh, stale = _code(clocked_sandbox, client), _code(clocked_sandbox, client)
        clock.advance(minutes=9, seconds=59)
        assert client.exchange_code(fresh, CALLBACK, VERIFIER).access_token
        clock.advance(seconds=2)
        with pytest.raises(GotoOAuthError, match="expired"):
            client.exchange_code(stale, CALLBACK, VERIFIER)


def test_a_wrong_client_secret_is_invalid_client(sandbox: RunningSandbox, oauth: GotoClient) -> None:
    code = _code(sandbox, oauth)
    with GotoClient(sandbox_config(sandbox, client_secret="wrong"), StaticTokens()) as impostor:
        with pytest.raises(GotoOAuthError) as caught:
            impostor.exchange_code(code, CALLBACK, VERIFIER)
    assert caught.value.error == "invalid_client"


@pytest.mark.parametrize(
    "auth, form",
    [
        (None, {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}),  # in the body: not GoTo's way
        ((SANDBOX_CLIENT_ID, "nope"), {}),
        (("someone-else", SANDBOX_CLIENT_SECRET), {}),
    ],
)
def test_the_token_endpoint_requires_http_basic_client_auth(raw: httpx.Client, auth: Any, form: dict[str, str]) -> None:
    response = raw.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x", **form}, auth=auth)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "form, error",
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "unknown"}, "invalid_grant"),
    ],
)
def test_token_endpoint_errors_are_rfc6749_json(raw: httpx.Client, form: dict[str, str], error: str) -> None:
    response = raw.post("/oauth/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert response.status_code == 400 and response.json()["error"] == error
    assert response.json()["error_description"]


def _authorize(raw: httpx.Client, **overrides: str) -> httpx.Response:
    params = {"client_id": SANDBOX_CLIENT_ID, "response_type": "code", "redirect_uri": CALLBACK, "state": "s"}
    return raw.get("/oauth/authorize", params={**params, **overrides})


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"client_id": "unknown-app"}, "Unknown client_id"),
        ({"response_type": "token"}, "response_type"),
        ({"redirect_uri": "https://evil.example.org/cb"}, "redirect_uri"),
        ({"redirect_uri": CALLBACK + "/"}, "redirect_uri"),
        ({"redirect_uri": CALLBACK.replace("desk.example.org", "DESK.example.org")}, "redirect_uri"),
        ({"redirect_uri": CALLBACK.replace("https", "http")}, "redirect_uri"),
        ({"redirect_uri": CALLBACK.split("?")[0]}, "redirect_uri"),
        ({"redirect_uri": CALLBACK + "&next=https://evil.example.org"}, "redirect_uri"),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "S256"),
    ],
)
def test_authorize_refuses_with_an_error_page_and_never_redirects(
    sandbox: RunningSandbox, raw: httpx.Client, overrides: dict[str, str], message: str
) -> None:
    _register(sandbox)
    response = _authorize(raw, **overrides)
    assert response.status_code == 400 and "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html") and message in response.text


def test_authorize_shows_the_sign_in_page_for_a_registered_redirect_uri(
    sandbox: RunningSandbox, raw: httpx.Client
) -> None:
    _register(sandbox)
    page = _authorize(raw)
    assert page.status_code == 200
    for label in ("E-mail", "Password", ">Allow<", ">Deny<", "room6@sandbox.roomdesk.test"):
        assert label in page.text


def test_deny_sends_access_denied_back_with_the_state(sandbox: RunningSandbox, oauth: GotoClient) -> None:
    response = _consent(sandbox, oauth.authorize_url(CALLBACK, "st-deny", VERIFIER), decision="deny", password="")
    params = httpx.URL(response.headers["location"]).params
    assert response.status_code == 302 and params["error"] == "access_denied" and params["state"] == "st-deny"
    assert "code" not in params


def test_a_wrong_password_shows_the_page_again_without_redirecting(sandbox: RunningSandbox, oauth: GotoClient) -> None:
    response = _consent(sandbox, oauth.authorize_url(CALLBACK, "s", VERIFIER), password="guess")
    assert response.status_code == 401 and "location" not in response.headers
    assert "Wrong e-mail or password" in response.text


def test_the_sign_in_page_fills_in_the_login_hint_and_marks_account_creation_as_sandbox_only(
    sandbox: RunningSandbox, oauth: GotoClient
) -> None:
    page = httpx.get(oauth.authorize_url(CALLBACK, "s", VERIFIER, login_hint="new.room@example.org"))
    assert page.status_code == 200 and "value='new.room@example.org'" in page.text
    assert "Sandbox only: create this account" in page.text and "Real GoTo has no such button" in page.text
    assert "name='login_hint' value='new.room@example.org'" in page.text  # kept when the page comes back


def test_an_unknown_account_is_named_and_pointed_to_the_sandbox_only_creation(
    sandbox: RunningSandbox, oauth: GotoClient
) -> None:
    response = _consent(sandbox, oauth.authorize_url(CALLBACK, "s", VERIFIER), email="nobody.yet@example.org")
    assert response.status_code == 401 and "location" not in response.headers
    assert "There is no sandbox account nobody.yet@example.org yet. Create it below (sandbox only)." in response.text


def test_creating_the_sandbox_account_on_the_consent_page_links_it_in_one_step(
    sandbox: RunningSandbox, oauth: GotoClient
) -> None:
    """A new room's GoTo account can be linked from the dashboard alone, without `roomdesk sandbox account add`."""
    url = oauth.authorize_url(CALLBACK, "st-new", VERIFIER)
    response = _consent(sandbox, url, email="Fresh.Room@Example.org", password="", decision="create")
    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert location.params["state"] == "st-new"
    tokens = oauth.exchange_code(location.params["code"], CALLBACK, VERIFIER)
    assert tokens.account == "fresh.room@example.org"
    again = _consent(sandbox, oauth.authorize_url(CALLBACK, "s2", VERIFIER), email="fresh.room@example.org")
    assert again.status_code == 302, "the created account signs in with the default password"


def test_account_creation_never_takes_over_an_existing_account(sandbox: RunningSandbox, oauth: GotoClient) -> None:
    url = oauth.authorize_url(CALLBACK, "s", VERIFIER)
    response = _consent(sandbox, url, email="room2@sandbox.roomdesk.test", password="mine", decision="create")
    assert response.status_code == 401 and "location" not in response.headers
    assert "exists already: sign in with its password" in response.text
    assert _consent(sandbox, url, email="room2@sandbox.roomdesk.test", password="mine").status_code == 401
    bad = _consent(sandbox, url, email="not-an-address", decision="create")
    assert bad.status_code == 401 and "Not an e-mail address" in bad.text


def test_a_tampered_form_cannot_redirect_to_an_unregistered_uri(sandbox: RunningSandbox, oauth: GotoClient) -> None:
    response = _consent(sandbox, oauth.authorize_url(CALLBACK, "s", VERIFIER), redirect_uri="https://evil.example.org/")
    assert response.status_code == 400 and "location" not in response.headers


def test_refresh_gives_a_new_access_token_and_counts_once(linked: Linked, admin: SandboxAdmin) -> None:
    held = linked.held()
    fresh = linked.client.refresh(held.refresh_token)
    assert fresh.access_token != held.access_token and fresh.refresh_token == held.refresh_token
    assert fresh.principal == linked.account and admin.account(linked.account)["refresh_count"] == 1


def test_refresh_keeps_the_old_refresh_token_when_goto_sends_none(linked: Linked, recorder: Recorder) -> None:
    """GoTo's usual refresh answer has neither refresh_token nor token_type; the old refresh token stays valid."""
    held = linked.held()
    fresh = linked.client.refresh(held.refresh_token)
    (sent,) = recorder.sent("POST", "/oauth/token")
    assert sent.response is not None and set(sent.response.json()) == {
        "access_token",
        "expires_in",
        "scope",
        "principal",
    }
    assert fresh.refresh_token == held.refresh_token and not fresh.refresh_rotated
    assert linked.client.refresh(fresh.refresh_token).access_token  # and it still works


def test_a_renewed_refresh_token_replaces_the_old_one(linked: Linked, admin: SandboxAdmin, recorder: Recorder) -> None:
    """When GoTo renews an expired refresh token, its answer carries token_type and the new refresh_token."""
    held = linked.held()
    admin.fault("new_refresh_token")
    fresh = linked.client.refresh(held.refresh_token)
    (sent,) = recorder.sent("POST", "/oauth/token")
    assert sent.response is not None and sent.response.json()["token_type"] == "Bearer"
    assert fresh.refresh_rotated and fresh.refresh_token not in ("", held.refresh_token)
    assert linked.client.refresh(fresh.refresh_token).access_token
    with pytest.raises(GotoAuthExpired):
        linked.client.refresh(held.refresh_token)


def test_a_revoked_refresh_token_means_the_account_must_be_linked_again(linked: Linked, admin: SandboxAdmin) -> None:
    admin.revoke_refresh(linked.account)
    with pytest.raises(GotoAuthExpired) as caught:
        linked.client.refresh(linked.held().refresh_token)
    assert caught.value.needs_relinking


def test_refresh_with_a_wrong_client_secret_is_not_a_relink(sandbox: RunningSandbox, linked: Linked) -> None:
    """A misconfigured secret is the operator's problem: it must not flag every room as needing relinking."""
    with GotoClient(sandbox_config(sandbox, client_secret="wrong"), StaticTokens()) as impostor:
        with pytest.raises(GotoOAuthError) as caught:
            impostor.refresh(linked.held().refresh_token)
    assert caught.value.error == "invalid_client" and not isinstance(caught.value, GotoAuthExpired)
