"""Signing in: throttled per user name and per address, audited, the demo password only on the demo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access import auth, sessions, settings, throttle
from core.kernel.config import get_settings
from core.kernel.db import session_scope
from core.kernel.errors import SignInFailed, ValidationFailed
from core.kernel.models import AuditEntry
from tests.conftest import at, commit, make_user


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ROOMDESK_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def anna(engine: Engine) -> int:
    return commit(engine, lambda s: make_user(s, username="anna").id)


def attempt(engine: Engine, password: str, *, when, name: str = "anna", address: str = "10.0.0.1") -> str:  # type: ignore[no-untyped-def]
    """The outcome of one try: 'ok', 'wrong' or the throttling message."""
    try:
        auth.sign_in(engine, username=name, password=password, client_address=address, now=when)
        return "ok"
    except throttle.SignInThrottled as err:
        return err.message("en")
    except SignInFailed:
        return "wrong"


def test_a_sign_in_starts_a_server_session_and_is_audited(engine: Engine, anna: int) -> None:
    signed_in = auth.sign_in(engine, username="Anna", password="correct horse", client_address="10.0.0.1", now=at(0))
    with session_scope(engine) as s:
        assert sessions.resume_session(s, signed_in.cookie, now=at(0))[0].id == anna  # type: ignore[index]
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "user.sign_in")).one()
    assert entry.entity_id == str(anna) and entry.after == {"username": "anna", "client_address": "10.0.0.1"}


def test_failed_sign_ins_are_audited_even_though_they_fail(engine: Engine, anna: int) -> None:
    assert attempt(engine, "wrong", when=at(0)) == "wrong"
    assert attempt(engine, "wrong", when=at(0), name="nobody") == "wrong"
    with session_scope(engine) as s:
        failed = s.exec(select(AuditEntry).where(AuditEntry.action == "user.sign_in_failed")).all()
    assert [(e.entity_id, e.after["username"]) for e in failed] == [(str(anna), "anna"), (None, "nobody")]


def test_failures_grow_the_delay_then_lock_the_user_name(engine: Engine, anna: int) -> None:
    t = at(0)
    for _ in range(3):
        assert attempt(engine, "wrong", when=t) == "wrong"
    assert attempt(engine, "wrong", when=t) == "wrong"  # the fourth failure starts the delays
    assert attempt(engine, "correct horse", when=t) == "Too many failed sign-ins. Wait 2 seconds, then try again."
    t += timedelta(seconds=2)
    for expected_wait in [4, 8, 16, 32, 60]:
        assert attempt(engine, "wrong", when=t) == "wrong"
        assert f"Wait {expected_wait} seconds" in attempt(engine, "wrong", when=t)
        t += timedelta(seconds=expected_wait)
    assert attempt(engine, "wrong", when=t) == "wrong"  # the tenth failure within 15 minutes locks
    locked = attempt(engine, "correct horse", when=t + timedelta(minutes=10))
    assert locked.startswith("Too many failed sign-ins: signing in is locked for 5 minutes")
    assert attempt(engine, "correct horse", when=t + timedelta(minutes=15)) == "ok"


def test_a_successful_sign_in_clears_the_user_names_failures(engine: Engine, anna: int) -> None:
    for _ in range(3):
        attempt(engine, "wrong", when=at(0))
    assert attempt(engine, "correct horse", when=at(0)) == "ok"
    for _ in range(3):
        assert attempt(engine, "wrong", when=at(0)) == "wrong"  # counted afresh: no delay yet


def test_one_address_guessing_many_user_names_is_throttled(engine: Engine) -> None:
    for n in range(10):
        assert attempt(engine, "guess", when=at(0), name=f"user{n}") == "wrong"
    assert attempt(engine, "guess", when=at(0), name="user99") == "wrong"
    assert "Wait 2 seconds" in attempt(engine, "guess", when=at(0), name="user100")
    assert attempt(engine, "guess", when=at(0), name="user100", address="10.0.0.2") == "wrong"  # others are not


def test_the_demo_password_opens_only_a_demo_installation(engine: Engine, anna: int) -> None:
    with session_scope(engine) as s:
        make_user(s, username="copied", password=None).password_hash = auth.hash_password(auth.DEMO_PASSWORD)
    assert attempt(engine, auth.DEMO_PASSWORD, when=at(0), name="copied") == "wrong"
    with session_scope(engine) as s:
        settings.put_value(s, settings.DEMO_SEEDED, True)
    assert attempt(engine, auth.DEMO_PASSWORD, when=at(0), name="copied") == "ok"


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(engine: Engine, anna: int) -> None:
    here = auth.sign_in(engine, username="anna", password="correct horse", now=at(0)).cookie
    there = auth.sign_in(engine, username="anna", password="correct horse", now=at(0)).cookie
    with session_scope(engine) as s:
        user = auth.get_user(s, anna)
        with pytest.raises(ValidationFailed) as wrong:
            auth.change_password(s, user=user, current="nope", new="a better secret", keep=here)
        assert wrong.value.by_field()["current"].message("en").startswith("Current password")
        for weak, expected in [("short", "at least 10"), ("aaaaaaaaaaaa", "too easy"), ("my-anna-pass", "too easy")]:
            with pytest.raises(ValidationFailed) as caught:
                auth.change_password(s, user=user, current="correct horse", new=weak, keep=here)
            assert expected in caught.value.message("en")
        auth.change_password(s, user=user, current="correct horse", new="a better secret", keep=here, now=at(1))
    with session_scope(engine) as s:
        assert sessions.resume_session(s, here, now=at(1)) is not None
        assert sessions.resume_session(s, there, now=at(1)) is None
        assert auth.authenticate(s, "anna", "a better secret").id == anna


def test_a_reset_link_works_once_and_only_for_a_day(engine: Engine, anna: int) -> None:
    boss = commit(engine, lambda s: make_user(s, role="admin"))
    session_before = auth.sign_in(engine, username="anna", password="correct horse", now=at(0)).cookie
    with session_scope(engine) as s:
        token = auth.create_reset_link(s, actor=boss, user_id=anna, now=at(0))
        late = auth.create_reset_link(s, actor=boss, user_id=anna, now=at(0))  # replaces the first
    with session_scope(engine) as s:
        assert auth.reset_link_user(s, token, now=at(1)) is None
        assert auth.reset_link_user(s, late, now=at(25)) is None
        assert auth.reset_link_user(s, late, now=at(1)).id == anna  # type: ignore[union-attr]
        auth.set_password_with_link(s, token=late, new="brand new words", now=at(1))
    with session_scope(engine) as s:
        assert auth.authenticate(s, "anna", "brand new words").id == anna
        assert sessions.resume_session(s, session_before, now=at(1)) is None
        assert auth.reset_link_user(s, late, now=at(1)) is None  # used up
        stored = [e.action for e in s.exec(select(AuditEntry).where(AuditEntry.entity_id == str(anna)))]
    assert "user.reset_link" in stored and "user.password_reset" in stored


def test_only_admins_create_reset_links(engine: Engine, anna: int) -> None:
    from core.kernel.errors import PermissionDenied

    staff = commit(engine, lambda s: make_user(s, role="staff"))
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        auth.create_reset_link(s, actor=staff, user_id=anna)
