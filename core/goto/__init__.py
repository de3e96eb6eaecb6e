"""The GoTo adapter: the port (GotoApi), the real client, and its errors. The sandbox lives in `sandbox/`."""

from core.goto._pacing import PacingStats, bulk_work
from core.goto._tokens import StaticTokens
from core.goto.api import GotoApi, Meeting, MeetingSpec, TokenSet, TokenSource, goto_subject
from core.goto.client import GotoClient, GotoConfig
from core.goto.errors import (
    GotoAmbiguousCreate,
    GotoAuthExpired,
    GotoError,
    GotoMeetingActive,
    GotoNotFound,
    GotoOAuthError,
    GotoRateLimited,
    GotoRejected,
    GotoUnavailable,
)

__all__ = [
    "GotoAmbiguousCreate",
    "GotoApi",
    "GotoAuthExpired",
    "GotoClient",
    "GotoConfig",
    "GotoError",
    "GotoMeetingActive",
    "GotoNotFound",
    "GotoOAuthError",
    "GotoRateLimited",
    "GotoRejected",
    "GotoUnavailable",
    "Meeting",
    "MeetingSpec",
    "PacingStats",
    "StaticTokens",
    "TokenSet",
    "TokenSource",
    "bulk_work",
    "goto_subject",
]
