"""The real GoTo client over httpx: typed results, timeouts, bounded retries, one refresh after a 401."""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx

from core.goto import history, wire
from core.goto._oauth import NOT_SENT, OAuthFlow, retry_after
from core.goto._pacing import Pacer, PacingStats
from core.goto.api import Meeting, MeetingSpec, TokenSet, TokenSource
from core.goto.errors import (
    GotoAmbiguousCreate,
    GotoAuthExpired,
    GotoMeetingActive,
    GotoNotFound,
    GotoRateLimited,
    GotoRejected,
    GotoUnavailable,
)
from core.kernel.config import Settings

REAL_AUTH_URL = "https://authentication.logmeininc.com"
REAL_API_URL = "https://api.getgo.com/G2M/rest"
# Answers after which GoTo certainly did not execute the request, so even a create may be repeated.
NOT_EXECUTED = frozenset({429, 503})
_T = TypeVar("_T")


@dataclass(frozen=True)
class GotoConfig:
    """Where GoTo is and how patiently to talk to it."""

    auth_url: str = REAL_AUTH_URL
    api_url: str = REAL_API_URL
    client_id: str = ""
    client_secret: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_retry_after: float = 30.0  # a longer Retry-After is reported to the caller instead of waited out
    # GoTo's "Rate Limiting" reference: "default | 10 requests per second", per API. 8 evenly spaced requests make
    # at most 9 in any second, leaving room for network jitter. 0 turns pacing off (Retry-After still holds).
    requests_per_second: float = 8.0

    @classmethod
    def from_settings(cls, settings: Settings) -> GotoConfig:
        """Real GoTo by default; ROOMDESK_GOTO_AUTH_URL, _API_URL, _CLIENT_ID, _CLIENT_SECRET and _RATE_LIMIT
        as read once by core.kernel.config."""
        return cls(
            auth_url=settings.goto_auth_url or REAL_AUTH_URL,
            api_url=settings.goto_api_url or REAL_API_URL,
            client_id=settings.goto_client_id or "",
            client_secret=settings.goto_client_secret or "",
            requests_per_second=settings.goto_rate_limit,
        )

    @property
    def token_endpoint(self) -> str:
        """GoTo's token endpoint for this configuration."""
        return f"{self.auth_url.rstrip('/')}/oauth/token"

    @property
    def timeout(self) -> httpx.Timeout:
        """The httpx timeout: connect as configured, read/write/pool at the read timeout."""
        return httpx.Timeout(self.read_timeout, connect=self.connect_timeout)


class GotoClient:
    """GotoApi over HTTP, plus the OAuth calls (authorize URL, code exchange, refresh)."""

    def __init__(
        self,
        config: GotoConfig,
        tokens: TokenSource,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        pacer: Pacer | None = None,
    ) -> None:
        self.config, self.tokens = config, tokens
        self._sleep, self._random = sleep, random
        # One pacer per client: every thread using this client (dashboard sessions, the worker) shares it.
        self.pacer = pacer or Pacer(config.requests_per_second)
        self._http = httpx.Client(
            base_url=config.api_url.rstrip("/") + "/",
            timeout=config.timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._oauth = OAuthFlow(
            auth_url=config.auth_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            timeout=config.timeout,
            transport=transport,
            retry=lambda attempt, response: self._pause(attempt, response, executed_risk=True),
        )

    def pacing(self) -> PacingStats:
        """How many requests were sent and how long they waited for their turn."""
        return self.pacer.stats()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> GotoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- OAuth ------------------------------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, code_verifier: str, login_hint: str = "") -> str:
        """The GoTo sign-in URL for the browser (authorization code with PKCE S256)."""
        return self._oauth.authorize_url(redirect_uri, state, code_verifier, login_hint)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Tokens for an authorization code; raises GotoOAuthError for RFC 6749 errors."""
        return self._oauth.exchange_code(code, redirect_uri, code_verifier)

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens; `invalid_grant` raises GotoAuthExpired(needs_relinking=True)."""
        return self._oauth.refresh(refresh_token)

    # --- meetings ---------------------------------------------------------------------------------------

    def create_meeting(self, account: str, spec: MeetingSpec) -> Meeting:
        """Schedule a meeting; an answer lost after sending raises GotoAmbiguousCreate, never a second POST."""
        response = self._call(account, "POST", "meetings", json=wire.meeting_body(spec), creating=spec)
        try:
            return _parsed(lambda: wire.created_meeting(_json(response), spec))
        except GotoUnavailable as err:  # created, but we cannot tell which meeting it is
            raise GotoAmbiguousCreate(account, spec, status=response.status_code) from err

    def update_meeting(self, account: str, meeting_id: str, spec: MeetingSpec) -> None:
        """Change subject, times and audio of a meeting."""
        self._call(account, "PUT", f"meetings/{_id(meeting_id)}", json=wire.meeting_body(spec), meeting=meeting_id)

    def delete_meeting(self, account: str, meeting_id: str) -> None:
        """Delete a meeting; one GoTo does not know counts as deleted."""
        try:
            self._call(account, "DELETE", f"meetings/{_id(meeting_id)}", meeting=meeting_id)
        except GotoNotFound:
            return  # GoTo does not know it: it is gone, which is what deleting wanted

    def get_meeting(self, account: str, meeting_id: str) -> Meeting | None:
        """The meeting, or None when GoTo does not know it (for this account)."""
        try:
            response = self._call(account, "GET", f"meetings/{_id(meeting_id)}", meeting=meeting_id)
        except GotoNotFound:
            return None
        return _parsed(lambda: wire.fetched_meeting(_json(response)))

    def host_url(self, account: str, meeting_id: str) -> str:
        """The organizer's start URL; GotoMeetingActive when another meeting of the account runs."""
        response = self._call(account, "GET", f"meetings/{_id(meeting_id)}/start", meeting=meeting_id)
        data = _json(response)
        if not isinstance(data, dict) or not data.get("hostURL"):
            raise GotoUnavailable("GoTo answered the start request without a host URL.")
        return str(data["hostURL"])

    def upcoming_meetings(self, account: str) -> list[Meeting]:
        """Scheduled meetings that have not ended, with their status (ACTIVE/INACTIVE)."""
        data = _json(self._call(account, "GET", "upcomingMeetings"))
        return _parsed(lambda: [wire.listed_meeting(row) for row in data or []])

    def historical_meetings(self, account: str, start: datetime, end: datetime) -> list[Meeting]:
        """Meetings that ran and ended, started within [start, end]."""
        params = {"startDate": wire.format_time(start), "endDate": wire.format_time(end)}
        data = _json(self._call(account, "GET", "historicalMeetings", params=params))
        return _parsed(lambda: [wire.listed_meeting(row) for row in data or []])

    def past_sessions(self, account: str, start: datetime, end: datetime) -> list[history.PastSession]:
        """Sessions that ran on the account and ended, started within [start, end] (getHistoricalMeetings)."""
        params = {"startDate": wire.format_time(start), "endDate": wire.format_time(end)}
        data = _json(self._call(account, "GET", "historicalMeetings", params=params))
        return _parsed(lambda: [history.past_session(row) for row in data or []])

    def meeting_attendees(self, account: str, meeting_id: str) -> list[history.Attendee]:
        """Everybody who attended a finished session of the meeting; [] when it never ran."""
        try:
            data = _json(self._call(account, "GET", f"meetings/{_id(meeting_id)}/attendees", meeting=meeting_id))
        except GotoNotFound:
            return []
        return _parsed(lambda: [history.attendee(row) for row in data or []])

    # --- one request, with the retry policy --------------------------------------------------------------

    def _call(
        self,
        account: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        creating: MeetingSpec | None = None,
        meeting: str | None = None,
    ) -> httpx.Response:
        token = self.tokens.access_token(account)
        refreshed, attempt, waited_out = False, 0, False
        while True:
            response: httpx.Response | None = None
            self.pacer.wait_turn(ignore_hold=waited_out)
            waited_out = False
            try:
                response = self._http.request(
                    method, path, json=json, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except NOT_SENT:
                pass  # the request never left: the loop below tries again, which cannot duplicate anything
            except httpx.TransportError as err:
                if creating is not None:  # GoTo may have created it; only a lookup can tell
                    raise GotoAmbiguousCreate(account, creating) from err
            else:
                if response.status_code == 401 and not refreshed:
                    token, refreshed = self.tokens.refreshed_access_token(account, token), True
                    continue
                if response.status_code < 500 and response.status_code != 429:
                    return _checked(response, meeting)
                if creating is not None and response.status_code not in NOT_EXECUTED:
                    raise GotoAmbiguousCreate(account, creating, status=response.status_code)
            if not self._pause(attempt, response, executed_risk=False):
                if response is not None and response.status_code == 429:
                    raise GotoRateLimited(retry_after(response))
                raise GotoUnavailable(status=response.status_code if response is not None else None)
            attempt += 1
            waited_out = response is not None and response.status_code == 429

    def _pause(self, attempt: int, response: httpx.Response | None, *, executed_risk: bool) -> bool:
        """Wait before the next attempt and say True, or say False when the caller must give up."""
        if attempt >= self.config.max_retries:
            return False
        backoff = self._random() * min(self.config.backoff_cap, self.config.backoff_base * 2**attempt)
        if response is not None and response.status_code == 429:
            asked = retry_after(response)
            if asked is not None and asked > self.config.max_retry_after:
                return False
            delay = asked if asked is not None else backoff
            self.pacer.hold(delay)  # every other thread of this client waits too, not only this one
        elif response is not None and executed_risk and response.status_code not in NOT_EXECUTED:
            return False
        else:
            delay = backoff
        self._sleep(delay)
        return True


def _id(meeting_id: str) -> str:
    text = str(meeting_id)
    if not (text.isascii() and text.isdigit()):  # GoTo's ids are int64; anything else could steer the URL path
        raise GotoNotFound(text)
    return text


def _parsed(build: Callable[[], _T]) -> _T:
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise GotoUnavailable("GoTo answered with something unexpected.") from err


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as err:
        raise GotoUnavailable("GoTo answered with something that is not JSON.", status=response.status_code) from err


def _checked(response: httpx.Response, meeting: str | None) -> httpx.Response:
    """The response if it succeeded, else the matching GotoError."""
    status = response.status_code
    if status < 400:
        return response
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = wire.error_text(body, response.reason_phrase or f"HTTP {status}")
    if status == 401:
        raise GotoAuthExpired(f"GoTo rejected the account's sign-in twice: {detail}")
    if status == 404 and meeting is not None:
        raise GotoNotFound(meeting)
    if status == 409:
        active = body.get("activeMeetingId") if isinstance(body, dict) else None
        raise GotoMeetingActive(str(active) if active is not None else None, detail)
    raise GotoRejected(detail, status=status)
