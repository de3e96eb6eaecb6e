"""GoTo's OAuth endpoints through Authlib: authorize URL with PKCE, code exchange, refresh."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import authlib.deprecate  # noqa: F401  (installs Authlib's "always warn" filter, which the next block overrides)
import httpx

with warnings.catch_warnings():
    # Authlib >= 1.7 prefers the httpx2 fork and warns on every import; Room Desk uses httpx on purpose.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

from core.goto.api import TokenSet
from core.goto.errors import GotoAuthExpired, GotoOAuthError, GotoRateLimited, GotoUnavailable

# Errors raised before a byte reached GoTo: repeating the request cannot do anything twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Unclosable(httpx.BaseTransport):
    """Lends a shared transport to a short-lived client without letting it close the transport."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


class _Busy(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response


def _refuse_busy(response: httpx.Response) -> httpx.Response:
    if response.status_code == 429 or response.status_code >= 500:
        raise _Busy(response)  # Authlib would read a 429's JSON body as a token
    return response


class OAuthFlow:
    """The three OAuth operations of one configured client; `retry` decides whether to repeat a refusal."""

    def __init__(
        self,
        *,
        auth_url: str,
        client_id: str,
        client_secret: str,
        timeout: httpx.Timeout,
        transport: httpx.BaseTransport | None,
        retry: Callable[[int, httpx.Response | None], bool],
    ) -> None:
        self.authorize_endpoint = f"{auth_url.rstrip('/')}/oauth/authorize"
        self.token_endpoint = f"{auth_url.rstrip('/')}/oauth/token"
        self.client_id, self.client_secret = client_id, client_secret
        self.timeout, self.transport, self.retry = timeout, transport, retry

    def _client(self, answers: list[Any] | None = None) -> OAuth2Client:
        extra: dict[str, Any] = {"transport": _Unclosable(self.transport)} if self.transport else {}
        client = OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            code_challenge_method="S256",
            timeout=self.timeout,
            **extra,
        )

        def keep(response: httpx.Response) -> httpx.Response:
            _refuse_busy(response)
            if answers is not None:
                try:
                    answers.append(response.json())  # Authlib fills in the old refresh token; we need GoTo's answer
                except ValueError:
                    pass  # no JSON body: the token call itself reports that error to its caller
            return response

        client.register_compliance_hook("access_token_response", keep)
        client.register_compliance_hook("refresh_token_response", keep)
        return client

    def authorize_url(self, redirect_uri: str, state: str, code_verifier: str, login_hint: str = "") -> str:
        """The URL that sends the browser to GoTo's sign-in (response_type=code, PKCE S256).

        `login_hint` (OpenID Connect Core 3.1.2.1) names the account to sign in as; a server that does not know it
        ignores it (RFC 6749 3.1), the sandbox fills it into its e-mail field.
        """
        extra = {"login_hint": login_hint} if login_hint else {}
        with self._client() as client:
            url, _ = client.create_authorization_url(
                self.authorize_endpoint, state=state, code_verifier=code_verifier, redirect_uri=redirect_uri, **extra
            )
        return str(url)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code for tokens."""
        return self._token_call(
            lambda c: c.fetch_token(
                self.token_endpoint,
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
            )
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens for a refresh token; GoTo may leave out the refresh token, then the old one stays."""
        return self._token_call(
            lambda c: c.refresh_token(self.token_endpoint, refresh_token=refresh_token), refreshing=refresh_token
        )

    def _token_call(self, call: Callable[[OAuth2Client], dict[str, Any]], refreshing: str | None = None) -> TokenSet:
        attempt = 0
        while True:
            response: httpx.Response | None = None
            answers: list[Any] = []
            try:
                with self._client(answers) as client:
                    token = call(client)
                raw = answers[-1] if answers and isinstance(answers[-1], dict) else dict(token)
                return _token_set(raw, refreshing)
            except OAuthError as err:
                if refreshing is not None and err.error == "invalid_grant":
                    raise GotoAuthExpired(
                        "GoTo no longer accepts this account's sign-in; it must be linked again.",
                        needs_relinking=True,
                        status=400,
                    ) from err
                raise GotoOAuthError(err.error or "unknown_error", err.description) from err
            except _Busy as busy:
                response = busy.response
            except NOT_SENT:
                pass  # the request never left: trying again is safe
            except (httpx.HTTPError, ValueError) as err:
                # A code is single use and a refresh may rotate tokens: a lost answer is not repeated.
                raise GotoUnavailable() from err
            if not self.retry(attempt, response):
                if response is not None and response.status_code == 429:
                    raise GotoRateLimited(retry_after(response))
                raise GotoUnavailable(status=response.status_code if response is not None else None)
            attempt += 1


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def _token_set(token: dict[str, Any], old_refresh: str | None) -> TokenSet:
    """Our TokenSet from GoTo's answer; a refresh answer without `refresh_token` keeps the old refresh token.

    GoTo ("How to Obtain and Use Refresh Tokens"): "there is no refresh_token field in the response body. But, if a
    new refresh token has been issued because the old one has expired", the answer carries `token_type` and
    `refresh_token`. `token_type` is therefore optional too; a bearer token is the only kind GoTo issues.
    """
    if not token.get("access_token"):
        raise ValueError("the token answer has no access_token")
    kind = str(token.get("token_type") or "Bearer")
    if kind.lower() != "bearer":
        raise ValueError(f"the token answer has an unknown token_type {kind!r}")
    fresh_refresh = token.get("refresh_token")
    refresh = fresh_refresh or old_refresh
    if not refresh:
        raise ValueError("the token answer has no refresh_token")
    lifetime = float(token.get("expires_in") or 3600)  # GoTo: "Access tokens have a lifespan of 60 minutes"
    return TokenSet(
        access_token=str(token["access_token"]),
        refresh_token=str(refresh),
        expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
        principal=str(token.get("principal") or ""),
        scope=str(token.get("scope") or ""),
        refresh_rotated=bool(fresh_refresh),
    )
