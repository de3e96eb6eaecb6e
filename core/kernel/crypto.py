"""Secrets at rest: Fernet keys from ROOMDESK_SECRET_KEY or a 0600 key file under the data directory."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.kernel.config import Settings, get_settings

KEY_FILE = "secret.key"


class SecretUnreadable(Exception):
    """The configured keys cannot decrypt a stored secret (wrong or missing key)."""


def _key_file(config: Settings) -> Path:
    return config.data_dir / KEY_FILE


def load_keys(config: Settings | None = None) -> list[bytes]:
    """The keys, newest first: from ROOMDESK_SECRET_KEY (comma-separated) or the generated key file."""
    config = config or get_settings()
    if config.secret_key:
        return [k.strip().encode() for k in config.secret_key.split(",") if k.strip()]
    path = _key_file(config)
    if not path.exists():
        create_key_file(path)
    keys = [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]
    if not keys:
        raise SecretUnreadable(f"the key file {path} is empty")
    return keys


def create_key_file(path: Path) -> None:
    """Create the first key exactly once: two processes starting on an empty data directory share one key.

    The key is written to a private temporary file and then hard-linked into place, which fails if the file
    exists (an exclusive create that is never seen half written); the loser simply reads the winner's key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(Fernet.generate_key().decode() + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process was first: its key is the key
    finally:
        tmp.unlink(missing_ok=True)


def write_keys(keys: list[bytes], config: Settings | None = None) -> None:
    """Replace the key file atomically; it is created with mode 0600 so only the service account reads it."""
    config = config or get_settings()
    path = _key_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(k.decode() for k in keys) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def cipher(config: Settings | None = None) -> MultiFernet:
    """Encrypts with the newest key, decrypts with any configured key."""
    return MultiFernet([Fernet(k) for k in load_keys(config)])


def encrypt(plain: str, config: Settings | None = None) -> str:
    return cipher(config).encrypt(plain.encode()).decode()


def decrypt(token: str, config: Settings | None = None) -> str:
    try:
        return cipher(config).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys") from None


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison, so response timing reveals nothing about the secret."""
    return hmac.compare_digest(given.encode(), expected.encode())


def new_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
