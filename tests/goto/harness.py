"""Test helpers for the GoTo adapter: a recording transport, the contract check, and the sandbox's controls."""

from __future__ import annotations

import json
import threading
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from core.goto import GotoClient, GotoConfig, StaticTokens, TokenSet
from core.goto.sandbox import ADMIN_HEADER, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, RunningSandbox

SPEC_PATH = Path(__file__).with_name("gotomeeting-openapi.yml")  # copy of ../shared/reference
API_PREFIX = "/G2M/rest"
# Statuses the contract does not list but GoTo (and the sandbox) answer; their bodies must still be JSON errors.
UNDOCUMENTED = {401, 404, 409, 429, 500, 502, 503, 504}


@dataclass
class Exchange:
    """One request as sent, and the response as received (None when the transport failed)."""

    source: str  # "client": sent by GotoClient; "raw": hand-made by a test
    request: httpx.Request
    response: httpx.Response | None


class Recorder:
    """Collects every exchange made through its transports (thread-safe)."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def transport(self, source: str, inner: httpx.BaseTransport | None = None) -> httpx.BaseTransport:
        """A transport that records into this recorder."""
        return _RecordingTransport(self, source, inner or httpx.HTTPTransport())

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def take(self) -> list[Exchange]:
        """Everything recorded since the last take."""
        with self._lock:
            taken, self.exchanges = self.exchanges, []
        return taken

    def sent(self, method: str, path_suffix: str) -> list[Exchange]:
        """Exchanges (not yet taken) with this method whose path ends with `path_suffix`."""
        with self._lock:
            return [
                e for e in self.exchanges if e.request.method == method and e.request.url.path.endswith(path_suffix)
            ]


class _RecordingTransport(httpx.BaseTransport):
    def __init__(self, recorder: Recorder, source: str, inner: httpx.BaseTransport) -> None:
        self.recorder, self.source, self.inner = recorder, source, inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        try:
            response = self.inner.handle_request(request)
            response.read()
        except httpx.TransportError:
            self.recorder.add(Exchange(self.source, request, None))
            raise
        self.recorder.add(Exchange(self.source, request, response))
        return response

    def close(self) -> None:
        self.inner.close()


class ContractCheck:
    """Validates meetings-API exchanges against the reference OpenAPI contract with openapi-core."""

    def __init__(self) -> None:
        spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
        spec["servers"] = [{"url": API_PREFIX}]  # any host: the sandbox runs on a random loopback port
        self.api = OpenAPI.from_dict(spec)
        self.paths: dict[str, Any] = spec["paths"]

    def problems(self, exchanges: list[Exchange]) -> list[str]:
        """One line per contract violation; requests are checked when GotoClient sent them."""
        found = []
        for exchange in exchanges:
            if not exchange.request.url.path.startswith(API_PREFIX + "/"):
                continue
            request = _mock_request(exchange.request)
            where = f"{exchange.request.method} {exchange.request.url.path}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # openapi-core cannot check the oauth2 scheme
                if exchange.source == "client":
                    found += [f"request {where}: {err}" for err in self._errors(self.api.validate_request, request)]
                if exchange.response is not None:
                    found += [
                        f"response {exchange.response.status_code} to {where}: {err}"
                        for err in self._response_errors(request, exchange.response)
                    ]
        return found

    def _response_errors(self, request: MockRequest, response: httpx.Response) -> list[str]:
        mock = MockResponse(
            response.content, response.status_code, content_type=response.headers.get("content-type", "").split(";")[0]
        )
        operation = self._operation(request)
        if operation is not None and str(response.status_code) not in operation["responses"]:
            if response.status_code not in UNDOCUMENTED:
                return [f"status {response.status_code} is neither in the contract nor a known GoTo error"]
            body = _json_or_none(response)
            ok = isinstance(body, dict) and all(isinstance(body.get(k), str) for k in ("msg", "int_err_code"))
            return [] if ok else [f"undocumented error status without a GoTo error body: {response.text[:200]}"]
        return self._errors(lambda r: self.api.validate_response(r, mock), request)

    def _operation(self, request: MockRequest) -> dict[str, Any] | None:
        path = request.path[len(API_PREFIX) :]
        for template, item in self.paths.items():
            parts, wanted = template.strip("/").split("/"), path.strip("/").split("/")
            if len(parts) != len(wanted) or request.method.lower() not in item:
                continue
            if all(p.startswith("{") or p == w for p, w in zip(parts, wanted, strict=True)):
                return item[request.method.lower()]  # type: ignore[no-any-return]
        return None

    @staticmethod
    def _errors(check: Any, request: MockRequest) -> list[str]:
        try:
            check(request)
        except Exception as err:  # openapi-core raises a family of validation errors
            cause = err.__cause__ or err
            return [f"{type(err).__name__}: {cause}"]
        return []


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _mock_request(request: httpx.Request) -> MockRequest:
    url = request.url
    return MockRequest(
        f"{url.scheme}://{url.netloc.decode()}",
        request.method,
        url.path,
        args=dict(url.params),
        headers=dict(request.headers),
        data=request.content or None,
        content_type=request.headers.get("content-type", "application/json").split(";")[0],
    )


@dataclass
class SandboxAdmin:
    """The sandbox's control endpoints, as tests and demos use them."""

    sandbox: RunningSandbox
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.sandbox.url, headers={ADMIN_HEADER: SANDBOX_CLIENT_SECRET}, timeout=10)

    def _ok(self, response: httpx.Response) -> Any:
        assert response.status_code < 300, f"{response.request.url}: {response.status_code} {response.text}"
        return response.json()

    def new_account(self, first_name: str = "Test", last_name: str = "Organizer") -> str:
        """A fresh account, so a test's meetings and tokens are its own."""
        email = f"t{uuid.uuid4().hex[:10]}@sandbox.roomdesk.test"
        self._ok(
            self.http.post(
                "/_sandbox/accounts",
                json={"email": email, "first_name": first_name, "last_name": last_name, "password": "sandbox"},
            )
        )
        return email

    def account(self, email: str) -> dict[str, Any]:
        """The account as the sandbox sees it (refresh_count, meeting_count, keys)."""
        return self._ok(self.http.get(f"/_sandbox/accounts/{email}"))  # type: ignore[no-any-return]

    def token_set(self, email: str) -> TokenSet:
        """Tokens for the account without going through the consent page."""
        data = self._ok(self.http.post(f"/_sandbox/accounts/{email}/token"))
        return TokenSet(
            data["access_token"],
            data["refresh_token"],
            datetime.now(UTC) + timedelta(seconds=data["expires_in"]),
            principal=data["principal"],
            scope=data["scope"],
        )

    def fault(self, kind: str, count: int = 1, **options: Any) -> None:
        """Queue a fault for the next `count` matching calls."""
        self._ok(self.http.post("/_sandbox/faults", json={"kind": kind, "count": count, **options}))

    def rate_limit(self, per_second: int, retry_after: int | None = None) -> dict[str, Any]:
        """Make the sandbox enforce GoTo's rate limit (0: off); the previous counters are reset."""
        return self._ok(
            self.http.post("/_sandbox/rate-limit", json={"per_second": per_second, "retry_after": retry_after})
        )  # type: ignore[no-any-return]

    def refused_by_rate_limit(self) -> int:
        """How many requests the sandbox's rate limit answered with 429 since it was set."""
        return int(self._ok(self.http.get("/_sandbox/rate-limit"))["refused"])

    def reset_faults(self) -> None:
        self._ok(self.http.post("/_sandbox/reset-faults"))

    def expire_token(self, email: str) -> None:
        self._ok(self.http.post(f"/_sandbox/accounts/{email}/expire-token"))

    def revoke_refresh(self, email: str) -> None:
        self._ok(self.http.post(f"/_sandbox/accounts/{email}/revoke-refresh"))

    def end_meeting(self, meeting_id: str) -> None:
        self._ok(self.http.post(f"/_sandbox/meetings/{meeting_id}/end"))


class MovableClock:
    """A clock tests move forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def sandbox_config(sandbox: RunningSandbox, **overrides: Any) -> GotoConfig:
    """A client configuration for the sandbox."""
    settings = {
        "auth_url": sandbox.auth_url,
        "api_url": sandbox.api_url,
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
        **overrides,
    }
    return GotoConfig(**settings)


@dataclass
class Linked:
    """A GotoClient whose token source holds one sandbox account; `sleeps` records every backoff wait."""

    client: GotoClient
    tokens: StaticTokens
    account: str
    sleeps: list[float]

    def held(self) -> TokenSet:
        """The TokenSet the token source holds for the account now."""
        tokens = self.tokens.get(self.account)
        assert isinstance(tokens, TokenSet)
        return tokens


def body_of(exchange: Exchange) -> Any:
    """The JSON a request carried."""
    return json.loads(exchange.request.content)
