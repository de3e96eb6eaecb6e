"""Can Room Desk talk to GoTo's token endpoint with the configured OAuth client? One probe, answered in words.

The probe asks for a token with a refresh token GoTo cannot know. GoTo first authenticates the client (HTTP
Basic, as for every token request), so its answer tells the two failures apart without touching any account:
`invalid_client` (401) means the client id or secret is wrong; `invalid_grant` (400) means the client is known
and only the made-up token was refused, which is what a healthy configuration answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.goto.client import GotoConfig

PROBE_TOKEN = "roomdesk-self-check-not-a-real-token"


@dataclass(frozen=True)
class Check:
    """One line of `roomdesk goto check`: what was checked, whether it holds, and what to do if not."""

    name: str
    status: str  # "ok", "warn" or "fail"
    message: str

    @property
    def ok(self) -> bool:
        return self.status != "fail"


def probe_token_endpoint(config: GotoConfig, transport: httpx.BaseTransport | None = None) -> Check:
    """Reach `config.token_endpoint` with the client's credentials and say what GoTo thinks of them."""
    url = config.token_endpoint
    try:
        with httpx.Client(timeout=config.timeout, transport=transport) as http:
            answer = http.post(
                url,
                data={"grant_type": "refresh_token", "refresh_token": PROBE_TOKEN},
                auth=(config.client_id, config.client_secret),
                headers={"Accept": "application/json"},
            )
    except httpx.TimeoutException:
        return Check("token endpoint", "fail", f"{url} did not answer within {config.read_timeout:g} s.")
    except httpx.TransportError as err:
        return Check("token endpoint", "fail", f"{url} cannot be reached ({err}); check DNS, proxy and firewall.")
    try:
        error = str(answer.json().get("error", ""))
    except ValueError:
        error = ""
    if answer.status_code == 401 or error == "invalid_client":
        return Check(
            "token endpoint",
            "fail",
            "GoTo does not accept the client id and secret: compare ROOMDESK_GOTO_CLIENT_ID and "
            "ROOMDESK_GOTO_CLIENT_SECRET with the OAuth client in GoTo's developer center.",
        )
    if error == "invalid_grant":
        return Check("token endpoint", "ok", f"{url} reached; GoTo accepts the client id and secret.")
    if answer.status_code == 429:
        return Check("token endpoint", "warn", f"{url} answered 429 (rate limit); try again in a minute.")
    return Check(
        "token endpoint",
        "fail",
        f"{url} answered HTTP {answer.status_code}{f' ({error})' if error else ''}, not like GoTo's token "
        "endpoint: check ROOMDESK_GOTO_AUTH_URL.",
    )
