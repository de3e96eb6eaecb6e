"""Token refresh with a lease: GoTo is called with no transaction open, and a refresh elsewhere is waited for."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.goto import TokenSet
from core.goto.stored_tokens import StoredTokens
from core.kernel import crypto
from core.kernel.db import session_scope
from core.kernel.models import RoomLink, utcnow
from tests.conftest import make_room


class SlowGoto:
    """A token endpoint that answers only when the test lets it (a fake, not a mock)."""

    def __init__(self) -> None:
        self.called, self.answer, self.calls = threading.Event(), threading.Event(), 0

    def refresh(self, refresh_token: str) -> TokenSet:
        self.calls += 1
        self.called.set()
        assert self.answer.wait(10)
        return TokenSet("fresh-access", refresh_token, utcnow() + timedelta(hours=1), principal="r@x.test")

    def authorize_url(self, redirect_uri: str, state: str, code_verifier: str, login_hint: str = "") -> str:
        raise NotImplementedError

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        raise NotImplementedError


def _expiring_link(engine: Engine, account: str = "r@x.test") -> int:
    with session_scope(engine) as s:
        room = make_room(s, goto_account=account)
        s.add(
            RoomLink(
                room_id=room.id,  # type: ignore[arg-type]
                email=account,
                access_token=crypto.encrypt("old-access"),
                refresh_token=crypto.encrypt("the-refresh"),
                expires_at=utcnow() + timedelta(minutes=1),
            )
        )
        return room.id  # type: ignore[return-value]


def test_saves_go_on_while_goto_answers_a_refresh(engine: Engine) -> None:
    """The refresh holds no write lock while it waits for GoTo: another write commits meanwhile."""
    room_id = _expiring_link(engine)
    goto = SlowGoto()
    tokens = StoredTokens(engine, goto)
    got: list[str] = []
    refreshing = threading.Thread(target=lambda: got.append(tokens.access_token("r@x.test")))
    refreshing.start()
    assert goto.called.wait(10)
    with session_scope(engine, immediate=True) as s:  # a user's save, while GoTo has not answered yet
        link = s.get(RoomLink, room_id)
        assert link is not None and link.refresh_lease_owner  # the refresh is claimed ...
        link.last_error = "written during the refresh"
        s.add(link)
    goto.answer.set()
    refreshing.join(10)
    assert got == ["fresh-access"] and goto.calls == 1
    with session_scope(engine) as s:
        link = s.exec(select(RoomLink)).one()
        assert crypto.decrypt(link.access_token) == "fresh-access" and link.refresh_lease_owner == ""
        assert crypto.decrypt(link.refresh_token) == "the-refresh"  # GoTo sent none: the old one stays


def test_a_refresh_leased_by_another_process_is_waited_for_and_reused(engine: Engine) -> None:
    room_id = _expiring_link(engine)
    with session_scope(engine) as s:  # another process claimed the refresh a moment ago
        link = s.get(RoomLink, room_id)
        assert link is not None
        link.refresh_lease_owner, link.refresh_lease_until = "other-process", utcnow() + timedelta(minutes=3)
        s.add(link)
    waits: list[float] = []

    def other_process_finishes(seconds: float) -> None:
        waits.append(seconds)
        with session_scope(engine) as s:
            link = s.get(RoomLink, room_id)
            assert link is not None
            link.access_token, link.expires_at = crypto.encrypt("theirs"), utcnow() + timedelta(hours=1)
            link.refresh_lease_owner, link.refresh_lease_until = "", None
            s.add(link)

    goto = SlowGoto()
    goto.answer.set()
    assert StoredTokens(engine, goto, sleep=other_process_finishes).access_token("r@x.test") == "theirs"
    assert goto.calls == 0 and len(waits) == 1


def test_an_abandoned_lease_expires_and_the_refresh_happens(engine: Engine) -> None:
    room_id = _expiring_link(engine)
    with session_scope(engine) as s:  # a process died mid-refresh
        link = s.get(RoomLink, room_id)
        assert link is not None
        link.refresh_lease_owner, link.refresh_lease_until = "dead-process", utcnow() - timedelta(seconds=1)
        s.add(link)
    goto = SlowGoto()
    goto.answer.set()
    assert StoredTokens(engine, goto).access_token("r@x.test") == "fresh-access" and goto.calls == 1
