"""Secrets at rest: generated key file, Fernet encryption, rotation under a new key."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.admin import keys
from core.kernel import crypto
from core.kernel.config import Settings, get_settings
from core.kernel.db import session_scope
from core.kernel.models import RoomLink
from tests.conftest import at, make_room


def settings_for(tmp_path: Path, secret_key: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url="sqlite://",
        database_is_default=True,
        goto_auth_url=None,
        goto_api_url=None,
        goto_client_id=None,
        goto_client_secret=None,
        secret_key=secret_key,
        smtp_url=None,
    )


def test_a_key_is_generated_on_first_use_readable_only_by_the_owner(tmp_path: Path) -> None:
    config = settings_for(tmp_path)
    token = crypto.encrypt("refresh-me", config)
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600
    assert "refresh-me" not in token and crypto.decrypt(token, config) == "refresh-me"


def test_the_environment_key_wins_and_a_wrong_key_cannot_decrypt(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    token = crypto.encrypt("secret", settings_for(tmp_path, key))
    assert not (tmp_path / "secret.key").exists()
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(token, settings_for(tmp_path, Fernet.generate_key().decode()))


def test_same_secret_compares_whole_values() -> None:
    assert crypto.same_secret("abc", "abc") and not crypto.same_secret("abc", "abd")
    assert not crypto.same_secret("ab", "abc")


def test_rotation_reencrypts_every_token_and_retires_the_old_key(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROOMDESK_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    config = get_settings()
    with session_scope(engine) as s:
        room = make_room(s, goto_account="a@example.org")
        s.add(
            RoomLink(
                room_id=room.id,
                email="a@example.org",
                access_token=crypto.encrypt("access-1"),
                refresh_token=crypto.encrypt("refresh-1"),
                expires_at=at(1),
            )
        )
    old_key = (tmp_path / "secret.key").read_text().strip().encode()
    assert keys.rotate_keys(engine, config) == 2
    with session_scope(engine) as s:
        link = s.exec(select(RoomLink)).one()
        assert crypto.decrypt(link.access_token) == "access-1" and crypto.decrypt(link.refresh_token) == "refresh-1"
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(link.access_token.encode())
    assert (tmp_path / "secret.key").read_text().strip().encode() != old_key
    get_settings.cache_clear()


def test_rotation_refuses_when_keys_come_from_the_environment(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(keys.RotationRefused):
        keys.rotate_keys(engine, replace(settings_for(tmp_path), secret_key=Fernet.generate_key().decode()))
