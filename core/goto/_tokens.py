"""An in-memory TokenSource for tests and scripts."""

from __future__ import annotations

import threading
from typing import Protocol

from core.goto.api import TokenSet
from core.goto.errors import GotoAuthExpired


class _Refresher(Protocol):
    def refresh(self, refresh_token: str) -> TokenSet: ...


class StaticTokens:
    """Tokens held in a dict; refreshes through `oauth` (usually the GotoClient) when it holds a TokenSet."""

    def __init__(self, tokens: dict[str, TokenSet | str] | None = None, oauth: _Refresher | None = None) -> None:
        self.oauth = oauth
        self.refresh_count = 0
        self._tokens: dict[str, TokenSet | str] = {k.lower(): v for k, v in (tokens or {}).items()}
        self._lock = threading.Lock()

    def set(self, account: str, tokens: TokenSet | str) -> None:
        """Hold `tokens` (a TokenSet, or a bare access token that cannot be refreshed) for `account`."""
        with self._lock:
            self._tokens[account.lower()] = tokens

    def get(self, account: str) -> TokenSet | str:
        """What is held for `account` now."""
        with self._lock:
            return self._held(account)

    def access_token(self, account: str) -> str:
        """The access token held for `account`."""
        held = self.get(account)
        return held if isinstance(held, str) else held.access_token

    def refreshed_access_token(self, account: str, rejected: str) -> str:
        """A new access token, unless another thread already replaced the rejected one."""
        with self._lock:
            held = self._held(account)
            current = held if isinstance(held, str) else held.access_token
            if current != rejected:
                return current
            if isinstance(held, str) or self.oauth is None:
                raise GotoAuthExpired(f"The access token of {account} expired and cannot be refreshed here.")
            fresh = self.oauth.refresh(held.refresh_token)
            self._tokens[account.lower()] = fresh
            self.refresh_count += 1
            return fresh.access_token

    def _held(self, account: str) -> TokenSet | str:
        try:
            return self._tokens[account.lower()]
        except KeyError:
            raise GotoAuthExpired(f"No GoTo sign-in is held for {account}.") from None
