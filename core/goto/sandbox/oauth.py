"""GoTo's OAuth endpoints: the sign-in/consent page (/oauth/authorize) and the token endpoint (/oauth/token)."""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import unquote_plus, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core.goto.sandbox import grants, pages
from core.goto.sandbox.context import SandboxState, form_of, state_of
from core.goto.sandbox.grants import GrantRefused
from core.goto.sandbox.store import DEFAULT_PASSWORD, Account, Store

# login_hint (OpenID Connect Core 3.1.2.1) only pre-fills the e-mail; RFC 6749 3.1 has GoTo ignore it.
_FORWARDED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "login_hint",
)


def _authorize_problem(store: Store, params: dict[str, str]) -> str | None:
    client_id = params.get("client_id", "")
    if not client_id or store.client_secret(client_id) is None:
        return "Unknown client_id: this application is not registered."
    if params.get("redirect_uri", "") not in store.redirect_uris(client_id):
        # Exact string comparison, as GoTo: no prefix, case or trailing-slash leniency (open-redirect protection).
        return "The redirect_uri is not registered for this application."
    if params.get("response_type") != "code":
        return "Unsupported response_type: only 'code' is allowed."
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
        return "Unsupported code_challenge_method: only 'S256' is allowed."
    return None


def _create_problem(store: Store, email: str) -> str | None:
    """Why the consent page's "create sandbox account" cannot create this account, or None."""
    email = email.strip()
    if "@" not in email or email.startswith("@") or email.endswith("@") or any(c.isspace() for c in email):
        return f"Not an e-mail address: {email!r}."
    if store.account(email) is not None:
        return f"The sandbox account {email} exists already: sign in with its password (Allow)."
    return None


def _sign_in_problem(store: Store, email: str) -> str:
    # Real GoTo says only "wrong e-mail or password"; the sandbox may say more, it holds no real accounts.
    if email.strip() and store.account(email) is None:
        return f"There is no sandbox account {email.strip()} yet. Create it below (sandbox only)."
    return "Wrong e-mail or password."


def _back_to_client(redirect_uri: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}", status_code=302)


async def authorize(request: Request) -> Response:
    """Show the sign-in page (GET) or take its answer (POST)."""
    sandbox = state_of(request)
    params = dict(request.query_params) if request.method == "GET" else await form_of(request)
    problem = _authorize_problem(sandbox.store, params)
    if problem:
        return pages.oauth_error_page(problem)
    forwarded = {k: params[k] for k in _FORWARDED if params.get(k)}
    accounts = [a.email for a in sandbox.store.accounts()]
    if request.method == "GET":
        return pages.consent_page(forwarded, accounts, email=params.get("login_hint", ""))
    decision, email, password = params.get("decision"), params.get("email", ""), params.get("password", "")
    if decision not in ("allow", "create"):
        return _back_to_client(params["redirect_uri"], error="access_denied", state=params.get("state", ""))
    if decision == "create":
        problem = _create_problem(sandbox.store, email)
        if problem:
            return pages.consent_page(forwarded, accounts, error=problem, email=email)
        account: Account | None = sandbox.store.add_account(
            email, email.split("@")[0], "", password or DEFAULT_PASSWORD
        )
    else:
        account = sandbox.store.check_password(email, password)
    if account is None:
        return pages.consent_page(forwarded, accounts, error=_sign_in_problem(sandbox.store, email), email=email)
    code = grants.new_code(
        sandbox.store,
        client_id=params["client_id"],
        email=account.email,
        redirect_uri=params["redirect_uri"],
        code_challenge=params.get("code_challenge"),
    )
    return _back_to_client(params["redirect_uri"], code=code, state=params.get("state", ""))


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="GoTo sandbox"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _basic_client(request: Request, sandbox: SandboxState) -> str | None:
    """The client id authenticated by HTTP Basic (RFC 6749 2.3.1: both parts form-urlencoded), else None."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    expected = sandbox.store.client_secret(client_id)
    return client_id if sep and expected is not None and hmac.compare_digest(secret, expected) else None


async def token(request: Request) -> Response:
    """The token endpoint: authorization_code and refresh_token grants, client authenticated with HTTP Basic."""
    sandbox = state_of(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request", "The body must be application/x-www-form-urlencoded.")
    form = await form_of(request)
    client_id = _basic_client(request, sandbox)
    if client_id is None or form.get("client_id", client_id) != client_id:
        return _oauth_error("invalid_client", "Client authentication failed (HTTP Basic required).", 401)
    grant_type = form.get("grant_type", "")
    try:
        if grant_type == "authorization_code":
            if not form.get("code"):
                return _oauth_error("invalid_request", "The code parameter is missing.")
            grant = grants.redeem_code(
                sandbox.store,
                code=form["code"],
                client_id=client_id,
                redirect_uri=form.get("redirect_uri"),
                code_verifier=form.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            if not form.get("refresh_token"):
                return _oauth_error("invalid_request", "The refresh_token parameter is missing.")
            rotate = sandbox.faults.take(request.url.path, ("new_refresh_token",)) is not None
            grant = grants.refresh_grant(
                sandbox.store, refresh_token=form["refresh_token"], client_id=client_id, rotate=rotate
            )
        elif not grant_type:
            return _oauth_error("invalid_request", "The grant_type parameter is missing.")
        else:
            return _oauth_error("unsupported_grant_type", f"The grant type {grant_type!r} is not supported.")
    except GrantRefused as refused:
        return _oauth_error(refused.error, refused.description)
    return JSONResponse(token_answer(grant), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def token_answer(grant: grants.Grant) -> dict[str, object]:
    """The token endpoint's answer exactly as GoTo documents it today ("How to Obtain and Use Refresh Tokens").

    Always `access_token`, `expires_in`, `scope` and `principal` (who the token represents: the account's e-mail);
    `token_type` and `refresh_token` only when a refresh token is handed out (a code exchange, or a refresh whose
    old refresh token had expired). No `email`/`organizer_key`/`account_key`/`firstName`: those were the retired
    api.getgo.com/oauth answer's.
    """
    body: dict[str, object] = {"access_token": grant.access_token}
    if grant.refresh_token:
        body.update(token_type="Bearer", refresh_token=grant.refresh_token)
    body.update(expires_in=grants.ACCESS_LIFETIME, scope=grants.SCOPE, principal=grant.account.email)
    return body


routes = [Route("/oauth/authorize", authorize, methods=["GET", "POST"]), Route("/oauth/token", token, methods=["POST"])]
