"""Single sign-on end to end: Streamlit's own OIDC login (st.login) against a local OpenID Connect provider.

The provider below is small but real: discovery, JWKS, an authorize endpoint that signs in the person the
test chooses, and a token endpoint issuing RS256-signed ID tokens with the nonce. Streamlit (Authlib) verifies
them exactly as it would Google's or Entra's.
"""

from __future__ import annotations

import base64
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.e2e.conftest import running_dashboard, settle
from tests.pg import free_port

pytestmark = pytest.mark.browser
CLIENT_ID, CLIENT_SECRET = "roomdesk", "oidc-test-secret"


class OidcProvider:
    """Signs in whoever `person` says (the test's choice), the way any OIDC provider would."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.person: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.url = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return Response("bad authorization request", status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": params.get("nonce"), "person": dict(self.person)}
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}", 302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        basic = request.headers.get("authorization", "").removeprefix("Basic ")
        given = (
            base64.b64decode(basic).decode().split(":", 1)
            if basic
            else [form.get("client_id"), form.get("client_secret")]
        )
        grant = self.codes.pop(str(form.get("code")), None)  # codes are single use
        if given != [CLIENT_ID, CLIENT_SECRET] or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": grant["person"].get("email", "x"),
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["person"],
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
                "scope": "openid profile email",
            }
        )


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    oidc = OidcProvider()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(oidc.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    oidc.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    yield oidc
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def sso_dashboard(provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard (demo data: admin@example.org is the admin) with [auth] pointing at the provider."""
    data = tmp_path_factory.mktemp("sso-data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (data / "secrets.toml").write_text(
        f'[auth]\nredirect_uri = "{url}/oauth2callback"\ncookie_secret = "{secrets.token_hex(16)}"\n'
        f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.url}/.well-known/openid-configuration"\n'
    )
    with running_dashboard(
        data,
        port=port,
        extra_args=("--secrets.files", str(data / "secrets.toml")),
        env={"ROOMDESK_EMBEDDED_WORKER": "0"},
    ) as started:
        yield started


def sign_in_at_provider(browser, url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(url)
    settle(page)
    page.get_by_role("button", name="Sign in with your organisation account").click()
    page.wait_for_url(f"{url}/**", timeout=30_000)  # back from the provider, through /oauth2callback
    settle(page)
    return context, page


def test_a_verified_known_person_signs_in_with_the_identity_provider(
    browser,
    sso_dashboard: str,  # type: ignore[no-untyped-def]
    provider: OidcProvider,
) -> None:
    provider.person = {"email": "Admin@Example.org", "email_verified": True, "name": "Alex at the IdP"}
    context, page = sign_in_at_provider(browser, sso_dashboard)
    page.get_by_role("heading", name="Timeline").wait_for(timeout=60_000)
    assert page.get_by_text("Alex Admin").count() >= 1  # the Room Desk user, with their role
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to Room Desk").wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_role("button", name="Sign in with your organisation account").count() == 1
    context.close()


def test_an_unknown_person_is_told_to_ask_an_admin(browser, sso_dashboard: str, provider: OidcProvider) -> None:  # type: ignore[no-untyped-def]
    provider.person = {"email": "stranger@example.org", "email_verified": True}
    context, page = sign_in_at_provider(browser, sso_dashboard)
    page.get_by_text("Room Desk has no user with this e-mail address", exact=False).wait_for(timeout=60_000)
    assert page.get_by_text("stranger@example.org", exact=False).count() >= 1
    assert page.get_by_role("button", name="Sign out of the identity provider").count() == 1
    assert page.get_by_label("Password", exact=True).count() == 0  # no way in but an admin
    context.close()


def test_an_unverified_address_signs_nobody_in(browser, sso_dashboard: str, provider: OidcProvider) -> None:  # type: ignore[no-untyped-def]
    provider.person = {"email": "admin@example.org", "email_verified": False}
    context, page = sign_in_at_provider(browser, sso_dashboard)
    page.get_by_text("has not verified the e-mail address admin@example.org", exact=False).wait_for(timeout=60_000)
    assert page.get_by_role("heading", name="Timeline").count() == 0
    context.close()


def test_local_accounts_still_work_next_to_the_identity_provider(browser, sso_dashboard: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(sso_dashboard)
    settle(page)
    page.get_by_label("User name", exact=True).fill("sam")
    page.get_by_label("Password", exact=True).fill("roomdesk-demo")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Activation desk").wait_for(timeout=60_000)
    context.close()
