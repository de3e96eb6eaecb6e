"""The developer center (registered redirect URIs) and the sandbox's own control endpoints (/_sandbox)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.goto.sandbox import grants, oauth, pages, schedule
from core.goto.sandbox.context import SandboxState, is_admin, state_of
from core.goto.sandbox.faults import parse_fault
from core.goto.sandbox.store import Account

Endpoint = Callable[[Request], Awaitable[Response]]


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def valid_redirect_uri(uri: object) -> TypeGuard[str]:
    """An absolute http(s) URL without a fragment (RFC 6749 3.1.2)."""
    if not isinstance(uri, str) or uri != uri.strip():
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment and "#" not in uri


async def developer_page(request: Request) -> Response:
    """The developer center's overview page."""
    store = state_of(request).store
    return pages.developer_page({c: store.redirect_uris(c) for c in store.clients()})


async def redirect_uris(request: Request) -> Response:
    """List (GET), register (POST) or unregister (DELETE) a client's redirect URIs; admin key = client secret."""
    store, client_id = state_of(request).store, request.path_params["client_id"]
    secret = store.client_secret(client_id)
    if secret is None:
        return _problem(404, f"Unknown client {client_id}")
    if not is_admin(request, secret):
        return _problem(403, "X-Sandbox-Admin must carry the client secret")
    if request.method == "GET":
        return JSONResponse(store.redirect_uris(client_id))
    data = await _json(request)
    uri = data.get("redirect_uri") if isinstance(data, dict) else None
    if not valid_redirect_uri(uri):
        return _problem(400, "redirect_uri must be an absolute http(s) URL without a fragment")
    if request.method == "POST":
        store.add_redirect_uri(client_id, uri)
        return JSONResponse(store.redirect_uris(client_id), status_code=201)
    if not store.remove_redirect_uri(client_id, uri):
        return _problem(404, "This redirect_uri is not registered")
    return JSONResponse(store.redirect_uris(client_id))


def admin_only(handler: Callable[[Request, SandboxState], Awaitable[Response]]) -> Endpoint:
    """Refuse (403) requests without the admin key."""

    async def endpoint(request: Request) -> Response:
        if not is_admin(request):
            return _problem(403, "X-Sandbox-Admin must carry the client secret")
        return await handler(request, state_of(request))

    return endpoint


def _account_json(sandbox: SandboxState, account: Account) -> dict[str, Any]:
    return {
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "account_key": account.account_key,
        "organizer_key": account.organizer_key,
        "refresh_count": account.refresh_count,
        "meeting_count": schedule.count_meetings(sandbox.store, account.email),
    }


async def faults(request: Request, sandbox: SandboxState) -> Response:
    """Queue a fault (POST) or list the pending ones (GET)."""
    if request.method == "POST":
        try:
            sandbox.faults.add(parse_fault(await _json(request)))
        except ValueError as bad:
            return _problem(400, str(bad))
    return JSONResponse({"pending": sandbox.faults.pending()}, status_code=201 if request.method == "POST" else 200)


async def rate_limit(request: Request, sandbox: SandboxState) -> Response:
    """Show (GET) or set (POST {"per_second": 10, "retry_after": null}) the enforced rate limit."""
    if request.method == "POST":
        try:
            sandbox.rate_limit.configure(await _json(request))
        except ValueError as bad:
            return _problem(400, str(bad))
    return JSONResponse(sandbox.rate_limit.state())


async def reset_faults(request: Request, sandbox: SandboxState) -> Response:
    """Drop every pending fault."""
    sandbox.faults.reset()
    return JSONResponse({"pending": []})


async def accounts(request: Request, sandbox: SandboxState) -> Response:
    """List the accounts (GET) or add/update one (POST {email, first_name, last_name, password})."""
    if request.method == "GET":
        return JSONResponse([_account_json(sandbox, a) for a in sandbox.store.accounts()])
    data = await _json(request)
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or "@" not in email:
        return _problem(400, "email is required")
    account = sandbox.store.add_account(
        email, str(data.get("first_name", "")), str(data.get("last_name", "")), str(data.get("password") or "sandbox")
    )
    return JSONResponse(_account_json(sandbox, account), status_code=201)


async def account_action(request: Request, sandbox: SandboxState) -> Response:
    """One account: GET shows it; POST .../expire-token, .../revoke-refresh or .../token act on it."""
    account = sandbox.store.account(request.path_params["email"])
    if account is None:
        return _problem(404, "Unknown account")
    action = request.path_params.get("action")
    if action is None:
        return JSONResponse(_account_json(sandbox, account))
    if action == "expire-token":
        return JSONResponse({"expired": grants.expire_access_tokens(sandbox.store, account.email)})
    if action == "revoke-refresh":
        return JSONResponse({"revoked": grants.revoke_refresh_tokens(sandbox.store, account.email)})
    if action != "token":
        return _problem(404, f"Unknown action {action}")
    grant = grants.issue_tokens(sandbox.store, email=account.email, client_id=sandbox.client_id)
    return JSONResponse(oauth.token_answer(grant), status_code=201)


async def end_meeting(request: Request, sandbox: SandboxState) -> Response:
    """End a running meeting, as its organizer would."""
    raw = request.path_params["meeting_id"]
    if not (raw.isascii() and raw.isdigit()) or not schedule.end_meeting(sandbox.store, int(raw)):
        return _problem(404, "No running meeting with this id")
    return JSONResponse({"ended": int(raw)})


routes = [
    Route("/developer", developer_page, methods=["GET"]),
    Route("/developer/clients/{client_id}/redirect-uris", redirect_uris, methods=["GET", "POST", "DELETE"]),
    Route("/_sandbox/faults", admin_only(faults), methods=["GET", "POST"]),
    Route("/_sandbox/reset-faults", admin_only(reset_faults), methods=["POST"]),
    Route("/_sandbox/rate-limit", admin_only(rate_limit), methods=["GET", "POST"]),
    Route("/_sandbox/accounts", admin_only(accounts), methods=["GET", "POST"]),
    Route("/_sandbox/accounts/{email}", admin_only(account_action), methods=["GET"]),
    Route("/_sandbox/accounts/{email}/{action:str}", admin_only(account_action), methods=["POST"]),
    Route("/_sandbox/meetings/{meeting_id}/end", admin_only(end_meeting), methods=["POST"]),
]
