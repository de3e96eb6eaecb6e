"""The GoTo sandbox: a local emulator of GoTo's OAuth, meetings API and developer center, for tests and demos."""

from core.goto.sandbox.admin import (
    add_account,
    issue_token,
    list_redirect_uris,
    register_redirect_uri,
    unregister_redirect_uri,
)
from core.goto.sandbox.app import create_app
from core.goto.sandbox.context import ADMIN_HEADER
from core.goto.sandbox.server import RunningSandbox, serve, start_in_thread
from core.goto.sandbox.store import DEFAULT_PASSWORD, DEMO_ACCOUNTS, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

__all__ = [
    "ADMIN_HEADER",
    "DEFAULT_PASSWORD",
    "DEMO_ACCOUNTS",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "RunningSandbox",
    "add_account",
    "create_app",
    "issue_token",
    "list_redirect_uris",
    "register_redirect_uri",
    "serve",
    "start_in_thread",
    "unregister_redirect_uri",
]
