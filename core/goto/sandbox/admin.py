"""Changing the sandbox's state file directly, without a running server (for the CLI and the app)."""

from __future__ import annotations

from pathlib import Path

from core.goto.sandbox import grants
from core.goto.sandbox.control import valid_redirect_uri
from core.goto.sandbox.store import DEFAULT_PASSWORD, SANDBOX_CLIENT_ID, Account, Store


def add_account(
    data_dir: Path, email: str, first_name: str = "", last_name: str = "", password: str = DEFAULT_PASSWORD
) -> Account:
    """Create a sandbox account (or update the names and password of an existing one)."""
    if "@" not in email:
        raise ValueError(f"not an e-mail address: {email!r}")
    return Store(data_dir).add_account(email, first_name, last_name, password)


def issue_token(data_dir: Path, email: str, client_id: str = SANDBOX_CLIENT_ID) -> str:
    """A fresh access token (valid one hour) for an existing account, for scripts and API exploration."""
    store = Store(data_dir)
    account = store.account(email)
    if account is None:
        raise LookupError(f"no sandbox account {email!r}")
    return grants.issue_tokens(store, email=account.email, client_id=client_id).access_token


def register_redirect_uri(data_dir: Path, uri: str, client_id: str = SANDBOX_CLIENT_ID) -> list[str]:
    """Register a redirect URI for the client (what support staff do in the developer center)."""
    if not valid_redirect_uri(uri):
        raise ValueError(f"not an absolute http(s) URL without a fragment: {uri!r}")
    store = Store(data_dir)
    if store.client_secret(client_id) is None:
        raise LookupError(f"no sandbox client {client_id!r}")
    store.add_redirect_uri(client_id, uri)
    return store.redirect_uris(client_id)


def unregister_redirect_uri(data_dir: Path, uri: str, client_id: str = SANDBOX_CLIENT_ID) -> bool:
    """Remove a registered redirect URI; False when it was not registered."""
    return Store(data_dir).remove_redirect_uri(client_id, uri)


def list_redirect_uris(data_dir: Path, client_id: str = SANDBOX_CLIENT_ID) -> list[str]:
    """The client's registered redirect URIs."""
    return Store(data_dir).redirect_uris(client_id)
