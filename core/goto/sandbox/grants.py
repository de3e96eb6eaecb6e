"""Authorization codes, access tokens and refresh tokens of the sandbox, as GoTo issues them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from core.goto.sandbox.store import Account, Store

CODE_LIFETIME = 600.0
ACCESS_LIFETIME = 3600  # GoTo: "Access tokens have a lifespan of 60 minutes"
REFRESH_LIFETIME = 30 * 86400.0  # GoTo's older guide: refresh tokens "are good for 30 days and are renewed"
SCOPE = "collab:"  # the scope string the sandbox grants (GoTo answers with the scopes of the OAuth client)


@dataclass(frozen=True)
class Grant:
    """Tokens handed out for one account."""

    access_token: str
    refresh_token: str | None
    account: Account


class GrantRefused(Exception):
    """An RFC 6749 error to answer with."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def new_code(store: Store, *, client_id: str, email: str, redirect_uri: str, code_challenge: str | None) -> str:
    """A single-use authorization code, valid for 10 minutes."""
    code = secrets.token_urlsafe(24)
    with store.write() as db:
        db.execute(
            "INSERT INTO codes (code, client_id, email, redirect_uri, code_challenge, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (code, client_id, email, redirect_uri, code_challenge, store.now() + CODE_LIFETIME),
        )
    return code


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def redeem_code(
    store: Store, *, code: str, client_id: str, redirect_uri: str | None, code_verifier: str | None
) -> Grant:
    """Tokens for a code: it must be unused, unexpired, this client's, for the same redirect URI and verifier."""
    with store.write() as db:
        row = db.execute("SELECT * FROM codes WHERE code = ?", (code,)).fetchone()
        refusal = _code_refusal(row, client_id, redirect_uri, code_verifier, store.now())
        if row is not None:
            db.execute("UPDATE codes SET used = 1 WHERE code = ?", (code,))  # any attempt uses the code up
        if refusal is None:
            access, refresh = _insert_tokens(db, store, row["email"], client_id)
    if refusal is not None:
        raise refusal
    return _grant(store, access, refresh, row["email"])


def _code_refusal(
    row,
    client_id: str,
    redirect_uri: str | None,
    verifier: str | None,
    now: float,
) -> GrantRefused | None:
    if row is None or row["client_id"] != client_id:
        return GrantRefused("invalid_grant", "The authorization code is unknown.")
    if row["used"]:
        return GrantRefused("invalid_grant", "The authorization code was already used.")
    if row["expires_at"] <= now:
        return GrantRefused("invalid_grant", "The authorization code has expired.")
    if redirect_uri != row["redirect_uri"]:
        return GrantRefused("invalid_grant", "The redirect_uri does not match the authorization request.")
    if row["code_challenge"]:
        if not verifier:
            return GrantRefused("invalid_grant", "The code_verifier is missing.")
        if not hmac.compare_digest(s256(verifier), row["code_challenge"]):
            return GrantRefused("invalid_grant", "The code_verifier does not match the code_challenge.")
    return None


def refresh_grant(store: Store, *, refresh_token: str, client_id: str, rotate: bool = False) -> Grant:
    """A new access token; a new refresh token only when the old one is past its lifetime (or `rotate`).

    GoTo ("How to Obtain and Use Refresh Tokens"): a refresh answer has "no refresh_token field ... But, if a new
    refresh token has been issued because the old one has expired", it carries `token_type` and `refresh_token`.
    The replaced refresh token stops working, so a client that drops the new one must link again.
    """
    with store.write() as db:
        row = db.execute("SELECT * FROM refresh_tokens WHERE token = ?", (refresh_token,)).fetchone()
        if row is None or row["client_id"] != client_id or row["revoked"]:
            raise GrantRefused("invalid_grant", "The refresh token is invalid or was revoked.")
        access = secrets.token_urlsafe(32)
        db.execute(
            "INSERT INTO access_tokens (token, email, client_id, expires_at) VALUES (?, ?, ?, ?)",
            (access, row["email"], client_id, store.now() + ACCESS_LIFETIME),
        )
        db.execute("UPDATE accounts SET refresh_count = refresh_count + 1 WHERE email = ?", (row["email"],))
        renewed: str | None = None
        if rotate or (row["issued_at"] or 0.0) + REFRESH_LIFETIME <= store.now():
            renewed = secrets.token_urlsafe(32)
            db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE token = ?", (refresh_token,))
            db.execute(
                "INSERT INTO refresh_tokens (token, email, client_id, issued_at) VALUES (?, ?, ?, ?)",
                (renewed, row["email"], client_id, store.now()),
            )
    return _grant(store, access, renewed, row["email"])


def issue_tokens(store: Store, *, email: str, client_id: str) -> Grant:
    """Fresh tokens without an authorization step (for scripts and tests)."""
    with store.write() as db:
        access, refresh = _insert_tokens(db, store, email, client_id)
    return _grant(store, access, refresh, email)


def account_of(store: Store, access_token: str) -> Account | None:
    """The account a valid access token belongs to; None for unknown, expired or revoked tokens."""
    with store.read() as db:
        row = db.execute(
            "SELECT email FROM access_tokens WHERE token = ? AND expired = 0 AND expires_at > ?",
            (access_token, store.now()),
        ).fetchone()
    return store.account(row[0]) if row else None


def expire_access_tokens(store: Store, email: str) -> int:
    """Let every current access token of the account expire; how many there were."""
    with store.write() as db:
        return db.execute("UPDATE access_tokens SET expired = 1 WHERE email = ? AND expired = 0", (email,)).rowcount


def revoke_refresh_tokens(store: Store, email: str) -> int:
    """Revoke every refresh token of the account; how many there were."""
    with store.write() as db:
        return db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE email = ? AND revoked = 0", (email,)).rowcount


def _insert_tokens(db, store: Store, email: str, client_id: str) -> tuple[str, str]:
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO access_tokens (token, email, client_id, expires_at) VALUES (?, ?, ?, ?)",
        (access, email, client_id, store.now() + ACCESS_LIFETIME),
    )
    db.execute(
        "INSERT INTO refresh_tokens (token, email, client_id, issued_at) VALUES (?, ?, ?, ?)",
        (refresh, email, client_id, store.now()),
    )
    return access, refresh


def _grant(store: Store, access: str, refresh: str | None, email: str) -> Grant:
    account = store.account(email)
    assert account is not None
    return Grant(access, refresh, account)
