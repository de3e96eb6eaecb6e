"""The sandbox's state in its own SQLite file (sandbox.db): clients, redirect URIs and accounts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

Clock = Callable[[], datetime]

SANDBOX_CLIENT_ID = "roomdesk-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
DEFAULT_PASSWORD = "sandbox"
_NAMES = ["One", "Two", "Three", "Four", "Five", "Six"]
DEMO_ACCOUNTS = tuple(f"room{i}@sandbox.roomdesk.test" for i in range(1, 7))

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS redirect_uris (client_id TEXT NOT NULL, uri TEXT NOT NULL, PRIMARY KEY (client_id, uri));
CREATE TABLE IF NOT EXISTS accounts (email TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    password_hash TEXT NOT NULL, account_key TEXT NOT NULL, organizer_key TEXT NOT NULL,
    refresh_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS codes (code TEXT PRIMARY KEY, client_id TEXT NOT NULL, email TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, code_challenge TEXT, expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS access_tokens (token TEXT PRIMARY KEY, email TEXT NOT NULL, client_id TEXT NOT NULL,
    expires_at REAL NOT NULL, expired INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refresh_tokens (token TEXT PRIMARY KEY, email TEXT NOT NULL, client_id TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0, issued_at REAL);
CREATE TABLE IF NOT EXISTS meetings (meeting_id INTEGER PRIMARY KEY, email TEXT NOT NULL, subject TEXT NOT NULL,
    starts_at REAL NOT NULL, ends_at REAL NOT NULL, password_required INTEGER NOT NULL,
    conference_call_info TEXT NOT NULL, meeting_type TEXT NOT NULL, coorganizer_keys TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS meetings_by_email ON meetings (email, ends_at);
CREATE TABLE IF NOT EXISTS sessions (session_id INTEGER PRIMARY KEY AUTOINCREMENT, meeting_id INTEGER NOT NULL,
    email TEXT NOT NULL, subject TEXT NOT NULL, conference_call_info TEXT NOT NULL, meeting_type TEXT NOT NULL,
    started_at REAL NOT NULL, ends_at REAL NOT NULL, ended_at REAL);
CREATE INDEX IF NOT EXISTS sessions_by_email ON sessions (email, started_at);
"""


def utc_now() -> datetime:
    """The real time, UTC-aware (the default clock)."""
    return datetime.now(UTC)


def password_hash(password: str) -> str:
    """A salted hash (a sandbox needs no slow KDF, but keeps no plain passwords either)."""
    salt = secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"


def password_matches(stored: str, password: str) -> bool:
    """Whether `password` is the one `stored` was made from."""
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(digest, hashlib.sha256((salt + password).encode()).hexdigest())


@dataclass(frozen=True)
class Account:
    """A sandbox GoTo account (one organizer)."""

    email: str
    first_name: str
    last_name: str
    account_key: str
    organizer_key: str
    refresh_count: int


class Store:
    """Opens short transactions on sandbox.db; safe for a server and the CLI at once (WAL, busy timeout)."""

    def __init__(self, data_dir: Path, clock: Clock = utc_now) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path, self.clock = data_dir / "sandbox.db", clock
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(refresh_tokens)")}
            if "issued_at" not in columns:  # a sandbox.db from before refresh tokens had a lifetime
                db.execute("ALTER TABLE refresh_tokens ADD COLUMN issued_at REAL")
        with self.write() as db:
            db.execute("INSERT OR IGNORE INTO clients VALUES (?, ?)", (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
            for email, last in zip(DEMO_ACCOUNTS, _NAMES, strict=True):
                if db.execute("SELECT 1 FROM accounts WHERE email = ?", (email,)).fetchone() is None:
                    _insert_account(db, email, "Room", last, DEFAULT_PASSWORD)

    def now(self) -> float:
        """The clock's current moment as a UNIX timestamp (how the tables store time)."""
        return self.clock().timestamp()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (each statement sees committed data)."""
        with self._connect() as db:
            yield db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """An immediate transaction: read-check-write sequences cannot interleave, even across processes."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- clients and redirect URIs ------------------------------------------------------------------------

    def ensure_client(self, client_id: str, client_secret: str) -> None:
        """Register the OAuth client, or give it this secret."""
        with self.write() as db:
            db.execute(
                "INSERT INTO clients VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET "
                "client_secret = excluded.client_secret",
                (client_id, client_secret),
            )

    def client_secret(self, client_id: str) -> str | None:
        """The client's secret, None for an unknown client."""
        with self.read() as db:
            row = db.execute("SELECT client_secret FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        return row[0] if row else None

    def clients(self) -> list[str]:
        """Every registered client id."""
        with self.read() as db:
            return [r[0] for r in db.execute("SELECT client_id FROM clients ORDER BY client_id")]

    def redirect_uris(self, client_id: str) -> list[str]:
        """The client's registered redirect URIs, in order."""
        with self.read() as db:
            return [
                r[0] for r in db.execute("SELECT uri FROM redirect_uris WHERE client_id = ? ORDER BY uri", (client_id,))
            ]

    def add_redirect_uri(self, client_id: str, uri: str) -> None:
        """Register `uri` for the client (again is fine)."""
        with self.write() as db:
            db.execute("INSERT OR IGNORE INTO redirect_uris VALUES (?, ?)", (client_id, uri))

    def remove_redirect_uri(self, client_id: str, uri: str) -> bool:
        """Unregister `uri`; False when it was not registered."""
        with self.write() as db:
            removed = db.execute("DELETE FROM redirect_uris WHERE client_id = ? AND uri = ?", (client_id, uri))
            return removed.rowcount > 0

    # --- accounts ---------------------------------------------------------------------------------------

    def add_account(self, email: str, first_name: str, last_name: str, password: str) -> Account:
        """Create the account, or update its names and password."""
        email = email.strip().lower()
        with self.write() as db:
            if db.execute("SELECT 1 FROM accounts WHERE email = ?", (email,)).fetchone() is None:
                _insert_account(db, email, first_name, last_name, password)
            else:
                db.execute(
                    "UPDATE accounts SET first_name = ?, last_name = ?, password_hash = ? WHERE email = ?",
                    (first_name, last_name, password_hash(password), email),
                )
        account = self.account(email)
        assert account is not None
        return account

    def account(self, email: str) -> Account | None:
        """The account, None if unknown."""
        with self.read() as db:
            row = db.execute("SELECT * FROM accounts WHERE email = ?", (email.strip().lower(),)).fetchone()
        return _account(row) if row else None

    def accounts(self) -> list[Account]:
        """Every account by e-mail."""
        with self.read() as db:
            return [_account(r) for r in db.execute("SELECT * FROM accounts ORDER BY email")]

    def check_password(self, email: str, password: str) -> Account | None:
        """The account if the password is right."""
        with self.read() as db:
            row = db.execute("SELECT * FROM accounts WHERE email = ?", (email.strip().lower(),)).fetchone()
        return _account(row) if row and password_matches(row["password_hash"], password) else None


def _insert_account(db: sqlite3.Connection, email: str, first_name: str, last_name: str, password: str) -> None:
    # GoTo's keys are long decimal numbers carried as strings; the contract also types them int64
    # (organizerkey), so they stay below 2**63 (9.22e18).
    db.execute(
        "INSERT INTO accounts (email, first_name, last_name, password_hash, account_key, organizer_key) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            email,
            first_name,
            last_name,
            password_hash(password),
            str(secrets.randbelow(8 * 10**18) + 10**18),
            str(secrets.randbelow(8 * 10**18) + 10**18),
        ),
    )


def _account(row: sqlite3.Row) -> Account:
    return Account(
        row["email"],
        row["first_name"],
        row["last_name"],
        row["account_key"],
        row["organizer_key"],
        row["refresh_count"],
    )
