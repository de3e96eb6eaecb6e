"""Server-side sign-in sessions: signed random ids, hashed at rest, idle and absolute expiry, ending them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from core.access import sessions
from core.kernel.config import get_settings
from core.kernel.models import SignInSession
from tests.conftest import at, make_user


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ROOMDESK_SECRET_KEY", key)
    monkeypatch.delenv("ROOMDESK_SESSION_IDLE_HOURS", raising=False)
    monkeypatch.delenv("ROOMDESK_SESSION_MAX_DAYS", raising=False)
    get_settings.cache_clear()
    yield key
    get_settings.cache_clear()


def test_the_database_keeps_only_a_hash_of_the_id_the_browser_holds(session: Session) -> None:
    user = make_user(session)
    cookie = sessions.start_session(session, user=user, now=at(0))
    raw = cookie.split(".")[0]
    row = session.exec(select(SignInSession)).one()
    assert raw not in row.id_hash and row.id_hash == sessions.hash_id(raw)
    assert user.username not in cookie and len(raw) == 43  # 32 random bytes; nothing about the user


def test_a_live_session_signs_its_user_in_again(session: Session) -> None:
    user = make_user(session)
    cookie = sessions.start_session(session, user=user, now=at(0))
    resumed = sessions.resume_session(session, cookie, now=at(2))
    assert resumed is not None and resumed[0].id == user.id


def test_a_forged_or_garbled_cookie_signs_nobody_in(session: Session) -> None:
    user = make_user(session)
    cookie = sessions.start_session(session, user=user, now=at(0))
    raw, signature = cookie.split(".")
    for bad in [f"{raw}.{signature[:-2]}xx", f"{raw[:-1]}A.{signature}", raw, "", "a.b.c", sessions.hash_id(raw)]:
        assert sessions.resume_session(session, bad, now=at(0)) is None


def test_a_cookie_signed_under_another_installations_key_is_refused(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cookie = sessions.start_session(session, user=make_user(session), now=at(0))
    monkeypatch.setenv("ROOMDESK_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    assert sessions.resume_session(session, cookie, now=at(0)) is None


def test_a_rotated_key_keeps_sessions_signed_before_the_rotation(
    session: Session, monkeypatch, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    cookie = sessions.start_session(session, user=make_user(session), now=at(0))
    monkeypatch.setenv("ROOMDESK_SECRET_KEY", f"{Fernet.generate_key().decode()},{secret_key}")
    get_settings.cache_clear()
    assert sessions.resume_session(session, cookie, now=at(0)) is not None


def test_a_session_ends_after_eight_idle_hours_but_activity_keeps_it(session: Session) -> None:
    user = make_user(session)
    idle = sessions.start_session(session, user=user, now=at(0))
    busy = sessions.start_session(session, user=user, now=at(0))
    for hour in range(1, 12):
        assert sessions.resume_session(session, busy, now=at(hour)) is not None
    assert sessions.resume_session(session, idle, now=at(7.9)) is not None  # activity at 7.9 h: 8 h from then
    assert sessions.resume_session(session, idle, now=at(15.8)) is not None
    assert sessions.resume_session(session, idle, now=at(15.9 + 8)) is None
    assert sessions.resume_session(session, idle, now=at(16)) is None  # once expired, it stays ended


def test_a_session_ends_after_seven_days_however_busy(session: Session) -> None:
    cookie = sessions.start_session(session, user=make_user(session), now=at(0))
    hour = 0.0
    while hour < 7 * 24 - 1:
        assert sessions.resume_session(session, cookie, now=at(hour)) is not None
        hour += 4
    assert sessions.resume_session(session, cookie, now=at(0, day=7)) is None


def test_idle_and_absolute_lifetimes_come_from_the_environment(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROOMDESK_SESSION_IDLE_HOURS", "0.5")
    monkeypatch.setenv("ROOMDESK_SESSION_MAX_DAYS", "1")
    get_settings.cache_clear()
    assert sessions.lifetime() == sessions.Lifetime(idle=timedelta(minutes=30), absolute=timedelta(days=1))
    cookie = sessions.start_session(session, user=make_user(session), now=at(0))
    assert sessions.resume_session(session, cookie, now=at(0.6)) is None
    monkeypatch.setenv("ROOMDESK_SESSION_IDLE_HOURS", "soon")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="ROOMDESK_SESSION_IDLE_HOURS"):
        get_settings()


def test_sign_out_ends_the_session_on_the_server(session: Session) -> None:
    cookie = sessions.start_session(session, user=make_user(session), now=at(0))
    sessions.end_session(session, cookie, now=at(1))
    assert sessions.resume_session(session, cookie, now=at(1)) is None


def test_a_deactivated_user_has_no_live_session(session: Session) -> None:
    user = make_user(session)
    cookie = sessions.start_session(session, user=user, now=at(0))
    user.active = False
    assert sessions.resume_session(session, cookie, now=at(0)) is None


def test_ending_the_other_sessions_keeps_this_one_and_lists_only_live_ones(session: Session) -> None:
    user, other = make_user(session), make_user(session)
    here = sessions.start_session(session, user=user, client_address="10.0.0.1", now=at(0))
    there = sessions.start_session(session, user=user, client_address="10.0.0.2", now=at(0))
    theirs = sessions.start_session(session, user=other, now=at(0))
    listed = sessions.list_sessions(session, user=user, current=here, now=at(1))
    assert sorted((s.client_address, s.current) for s in listed) == [("10.0.0.1", True), ("10.0.0.2", False)]
    assert sessions.end_user_sessions(session, user_id=user.id, reason="test", keep=here, now=at(1)) == 1
    assert sessions.resume_session(session, here, now=at(1)) is not None
    assert sessions.resume_session(session, there, now=at(1)) is None
    assert sessions.resume_session(session, theirs, now=at(1)) is not None
    assert [s.current for s in sessions.list_sessions(session, user=user, current=here, now=at(1))] == [True]


def test_sign_out_everywhere_ends_every_session_of_the_user(session: Session) -> None:
    user = make_user(session)
    cookies = [sessions.start_session(session, user=user, now=at(0)) for _ in range(3)]
    assert sessions.sign_out_everywhere(session, user=user, now=at(1)) == 3
    assert all(sessions.resume_session(session, c, now=at(1)) is None for c in cookies)
