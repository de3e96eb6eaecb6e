"""What every sandbox endpoint shares, and the small request helpers they all use."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.requests import Request

from core.goto.sandbox.faults import Faults
from core.goto.sandbox.ratelimit import RateLimit
from core.goto.sandbox.store import Store

ADMIN_HEADER = "X-Sandbox-Admin"


@dataclass
class SandboxState:
    """The state file, the fault queue and the OAuth client whose secret is the admin key."""

    store: Store
    faults: Faults
    client_id: str
    client_secret: str
    rate_limit: RateLimit = field(default_factory=RateLimit)


def state_of(request: Request) -> SandboxState:
    """The sandbox behind this request."""
    return request.app.state.sandbox


async def form_of(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (no multipart parser needed for OAuth)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def is_admin(request: Request, secret: str | None = None) -> bool:
    """Whether the request carries the admin key (the client secret) in X-Sandbox-Admin."""
    expected = secret if secret is not None else state_of(request).client_secret
    return hmac.compare_digest(request.headers.get(ADMIN_HEADER, "").encode(), expected.encode())
