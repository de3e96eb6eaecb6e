"""Key rotation: re-encrypt every stored secret under a new Fernet key (MultiFernet.rotate)."""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access.external_access import TOKEN
from core.kernel import crypto
from core.kernel.config import Settings
from core.kernel.db import session_scope
from core.kernel.models import OAuthState, RoomLink, Setting


class RotationRefused(Exception):
    """Keys come from the environment: the operator must put the new key first there."""


def rotate_keys(engine: Engine, config: Settings) -> int:
    """Generate a key, re-encrypt every secret in one transaction, then retire the old keys. Returns the count."""
    if config.secret_key:
        raise RotationRefused(
            "keys come from ROOMDESK_SECRET_KEY: put a new key first in that comma-separated "
            "list (print one with `roomdesk keys generate`), run `roomdesk keys rotate --reencrypt` "
            "and then drop the old keys from the list"
        )
    old = crypto.load_keys(config)
    new = Fernet.generate_key()
    crypto.write_keys([new, *old], config)  # both readable while rows are being rewritten
    count = reencrypt(engine, MultiFernet([Fernet(k) for k in [new, *old]]))
    crypto.write_keys([new], config)
    return count


def reencrypt(engine: Engine, cipher: MultiFernet) -> int:
    """Rewrite every encrypted value under the cipher's first key; all or nothing."""

    def again(value: str) -> str:
        return cipher.rotate(value.encode()).decode()

    count = 0
    with session_scope(engine, immediate=True) as session:
        for link in session.exec(select(RoomLink)):
            link.access_token, link.refresh_token = again(link.access_token), again(link.refresh_token)
            session.add(link)
            count += 2
        for state in session.exec(select(OAuthState)):
            state.code_verifier = again(state.code_verifier)
            session.add(state)
            count += 1
        token = session.get(Setting, TOKEN)
        if token is not None and token.value:
            token.value = again(token.value)
            session.add(token)
            count += 1
    return count
