"""Stored tokens against the sandbox: refresh ahead of expiry, one refresh at a time, relinking when revoked."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.goto import GotoAuthExpired
from core.goto.stored_tokens import StoredTokens
from core.kernel import crypto
from core.kernel.db import session_scope
from core.kernel.models import RoomLink
from core.meetings import accounts
from tests.goto.harness import SandboxAdmin
from tests.integration.linking import linked_room


@pytest.fixture
def control(sandbox):  # type: ignore[no-untyped-def]
    admin = SandboxAdmin(sandbox)
    yield admin
    admin.http.close()


def test_an_expired_access_token_is_refreshed_once_and_the_call_succeeds(
    engine: Engine, goto, sandbox, control
) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    control.expire_token(setup.email)  # GoTo forgets the token early: the client gets a 401
    assert goto.client.upcoming_meetings(setup.email) == []
    assert control.account(setup.email)["refresh_count"] == 1
    with session_scope(engine) as s:
        link = s.exec(select(RoomLink)).one()
        assert link.refresh_count == 1 and link.last_refresh_at is not None


def test_many_threads_hitting_one_expiring_account_cause_exactly_one_refresh(
    engine: Engine, goto, sandbox, control
) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    with session_scope(engine) as s:  # the stored token is about to expire: every caller wants a refresh
        link = s.exec(select(RoomLink)).one()
        link.expires_at = link.expires_at - timedelta(minutes=58)
        s.add(link)
    barrier, errors = threading.Barrier(8), []

    def use() -> None:
        barrier.wait()
        try:
            goto.client.upcoming_meetings(setup.email)
        except Exception as err:
            errors.append(err)

    threads = [threading.Thread(target=use) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert control.account(setup.email)["refresh_count"] == 1


def test_a_revoked_refresh_token_marks_the_room_needs_relinking(engine: Engine, goto, sandbox, control) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    control.revoke_refresh(setup.email)
    control.expire_token(setup.email)
    with pytest.raises(GotoAuthExpired):
        goto.client.upcoming_meetings(setup.email)
    with session_scope(engine) as s:
        status = accounts.link_statuses(s, [setup.room.id])[setup.room.id]
    assert status.status == "needs_relinking" and status.last_error


def test_the_worker_refreshes_tokens_that_expire_within_ten_minutes(engine: Engine, goto, sandbox, control) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    with session_scope(engine) as s:
        link = s.exec(select(RoomLink)).one()
        link.expires_at = link.expires_at - timedelta(minutes=52)  # 8 minutes left
        s.add(link)
        before = link.expires_at
    [outcome] = StoredTokens(engine, goto.client).refresh_expiring(timedelta(minutes=10))
    assert outcome.ok and outcome.room == setup.room.name
    with session_scope(engine) as s:
        assert s.exec(select(RoomLink)).one().expires_at > before + timedelta(minutes=40)
    assert StoredTokens(engine, goto.client).refresh_expiring(timedelta(minutes=10)) == []


def test_a_late_refusal_of_the_old_refresh_token_leaves_a_room_linked_anew_meanwhile(
    engine: Engine, goto, sandbox, control
) -> None:  # type: ignore[no-untyped-def]
    """GoTo refuses the revoked token while the admin relinks the room in another tab: the new link stays."""
    setup = linked_room(engine, goto, sandbox)
    control.revoke_refresh(setup.email)

    class RelinkedWhileAsking:
        def refresh(self, refresh_token: str):  # type: ignore[no-untyped-def]
            with session_scope(engine) as s:  # the other tab's linking lands before GoTo's answer
                link = s.exec(select(RoomLink)).one()
                link.refresh_token = crypto.encrypt("a-fresh-refresh-token")
                s.add(link)
            return goto.client.refresh(refresh_token)

    with session_scope(engine) as s:
        stale = crypto.decrypt(s.exec(select(RoomLink)).one().access_token)
    with pytest.raises(GotoAuthExpired):
        StoredTokens(engine, RelinkedWhileAsking()).refreshed_access_token(setup.email, stale)  # type: ignore[arg-type]
    with session_scope(engine) as s:
        status = accounts.link_statuses(s, [setup.room.id])[setup.room.id]
    assert status.status == "linked"
