"""Linking a room to its GoTo account over real HTTP against the sandbox: success and every failure path."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access import external_access
from core.kernel import crypto
from core.kernel.db import session_scope
from core.kernel.models import Room, RoomLink, utcnow
from core.meetings import accounts
from core.meetings.accounts import LinkFailed
from tests.goto.harness import SandboxAdmin
from tests.integration.linking import consent, linkable_room


def link(engine: Engine, goto, setup, *, email: str | None = None, decision: str = "allow"):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    answer = consent(url, email=email or setup.email, decision=decision)
    with session_scope(engine) as s:
        pending = accounts.claim_state(s, token=answer.token, state=answer.state)
    with session_scope(engine) as s:
        return accounts.finish_linking(s, pending=pending, code=answer.code, error=answer.error, oauth=goto.client)


def stored_links(engine: Engine) -> list[RoomLink]:
    with session_scope(engine) as s:
        return list(s.exec(select(RoomLink)))


def test_linking_stores_encrypted_tokens_and_the_connection_works(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    link(engine, goto, setup)
    [stored] = stored_links(engine)
    assert stored.status == "linked" and stored.email == setup.email
    assert stored.expires_at > utcnow() + timedelta(minutes=50)
    plain = crypto.decrypt(stored.access_token)
    assert plain not in stored.access_token and plain not in stored.refresh_token
    with session_scope(engine) as s:
        assert accounts.test_connection(s, user=setup.admin, room_id=setup.room.id, api=goto.client) == 0


def test_signing_in_as_another_account_stores_nothing(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    other = SandboxAdmin(sandbox)
    try:
        with pytest.raises(LinkFailed) as caught:
            link(engine, goto, setup, email=other.new_account())
    finally:
        other.http.close()
    assert setup.email in caught.value.message("en") and stored_links(engine) == []


def test_denied_consent_stores_nothing(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    with pytest.raises(LinkFailed) as caught:
        link(engine, goto, setup, decision="deny")
    assert "denied" in caught.value.message("en") and stored_links(engine) == []


def test_a_wrong_token_is_refused_before_anything_else(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    answer = consent(url, email=setup.email)
    with pytest.raises(LinkFailed) as caught, session_scope(engine) as s:
        accounts.claim_state(s, token=answer.token[:-1] + "x", state=answer.state)
    assert "not valid for this system" in caught.value.message("en")


def test_a_state_works_once_and_an_unknown_one_not_at_all(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    answer = consent(url, email=setup.email)
    with session_scope(engine) as s:
        accounts.claim_state(s, token=answer.token, state=answer.state)
    with pytest.raises(LinkFailed) as reused, session_scope(engine) as s:
        accounts.claim_state(s, token=answer.token, state=answer.state)
    with pytest.raises(LinkFailed) as unknown, session_scope(engine) as s:
        accounts.claim_state(s, token=answer.token, state="made-up")
    assert "already used" in reused.value.message("en") and "does not belong" in unknown.value.message("en")


def test_an_expired_state_is_refused(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    with session_scope(engine) as s:
        url = accounts.start_linking(
            s, user=setup.admin, room_id=setup.room.id, oauth=goto.client, now=utcnow() - timedelta(minutes=11)
        )
    answer = consent(url, email=setup.email)
    with pytest.raises(LinkFailed) as caught, session_scope(engine) as s:
        accounts.claim_state(s, token=answer.token, state=answer.state)
    assert "10 minutes" in caught.value.message("en")


def test_an_unregistered_redirect_url_gets_no_redirect_at_all(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    import httpx

    setup = linkable_room(engine, sandbox, register=False)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    page = httpx.get(url, timeout=10)
    assert page.status_code == 400 and "location" not in page.headers


def test_regenerating_the_token_invalidates_the_activation_and_old_callbacks(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
        assert external_access.get_external_access(s).activation_valid
    answer = consent(url, email=setup.email)
    with session_scope(engine) as s:
        access = external_access.regenerate_token(s, user=setup.admin)
        assert not access.activation_valid
    with pytest.raises(LinkFailed), session_scope(engine) as s:
        accounts.claim_state(s, token=answer.token, state=answer.state)


def test_goto_down_during_the_code_exchange_stores_nothing(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    answer = consent(url, email=setup.email)
    with session_scope(engine) as s:
        pending = accounts.claim_state(s, token=answer.token, state=answer.state)
    control = SandboxAdmin(sandbox)
    control.fault("500", count=10, path_prefix="/oauth/token")  # GoTo's token endpoint is down
    try:
        with pytest.raises(LinkFailed) as caught, session_scope(engine) as s:
            accounts.finish_linking(s, pending=pending, code=answer.code, error=None, oauth=goto.client)
    finally:
        control.reset_faults()
        control.http.close()
    assert "nothing was stored" in caught.value.message("en") and stored_links(engine) == []


class WorkerWritesMeanwhile:
    """GoTo's client, but while the code is exchanged another process (the worker) commits a write."""

    def __init__(self, client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
        self.client, self.engine = client, engine

    def exchange_code(self, code: str, redirect_uri: str, verifier: str):  # type: ignore[no-untyped-def]
        with session_scope(self.engine, immediate=True) as other:
            other.execute(sa.update(Room).values(description="changed by the worker"))
        return self.client.exchange_code(code, redirect_uri, verifier)


def test_a_write_committed_during_the_code_exchange_does_not_fail_the_link(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    """SQLite: the callback read before GoTo answered; a commit in between must not end in 'database is locked'."""
    setup = linkable_room(engine, sandbox)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    answer = consent(url, email=setup.email)
    with session_scope(engine) as s:
        pending = accounts.claim_state(s, token=answer.token, state=answer.state)
    with session_scope(engine) as s:
        accounts.finish_linking(
            s, pending=pending, code=answer.code, error=None, oauth=WorkerWritesMeanwhile(goto.client, engine)
        )
    [stored] = stored_links(engine)
    assert stored.status == "linked" and stored.email == setup.email
