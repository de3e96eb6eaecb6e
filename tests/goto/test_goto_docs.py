"""Room Desk against a strict stand-in written from GoTo's documentation (tests/goto/docs_goto.py), not the sandbox.

Linking, refresh with and without a new refresh token, create/update/delete/start, upcoming meetings and reconcile
must all work against what GoTo documents, and the sandbox must answer the same shapes, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.engine import Engine

from core.access import external_access
from core.goto import GotoClient, GotoConfig, MeetingSpec, StaticTokens
from core.goto.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, RunningSandbox
from core.goto.stored_tokens import StoredTokens
from core.kernel import crypto
from core.kernel.db import session_scope
from core.kernel.models import RoomLink
from core.meetings import accounts
from core.meetings.reconcile import reconcile
from tests.conftest import make_room, make_user
from tests.goto import docs_goto
from tests.goto.docs_goto import DocsGoto
from tests.goto.harness import Recorder, SandboxAdmin

CALLBACK = "https://desk.example.org/goto_callback?token=t0k"
LATER = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


@pytest.fixture
def docs() -> DocsGoto:
    return DocsGoto()


@pytest.fixture
def client(docs: DocsGoto, recorder: Recorder) -> Iterator[GotoClient]:
    config = GotoConfig(
        auth_url=docs_goto.AUTH,
        api_url=docs_goto.API,
        client_id=docs_goto.CLIENT_ID,
        client_secret=docs_goto.CLIENT_SECRET,
        requests_per_second=0,
    )
    with GotoClient(config, StaticTokens(), transport=recorder.transport("client", docs.transport())) as made:
        made.tokens.oauth = made  # type: ignore[attr-defined]
        yield made
    assert docs.violations == []


def test_the_code_exchange_reads_the_documented_answer(docs: DocsGoto, client: GotoClient) -> None:
    tokens = client.exchange_code(docs.issue_code(CALLBACK), CALLBACK, "v" * 64)
    assert set(docs.token_answers[-1]) == docs_goto.DOCUMENTED_REFRESH_WITH_NEW_TOKEN
    assert tokens.principal == docs_goto.PRINCIPAL and tokens.account == "mahar.singh@company.com"
    assert tokens.scope == docs_goto.SCOPE and tokens.refresh_token in docs.refresh_tokens
    assert 3590 < (tokens.expires_at - datetime.now(UTC)).total_seconds() <= 3600


def test_a_refresh_answer_without_token_type_or_refresh_token_keeps_the_old_refresh_token(
    docs: DocsGoto, client: GotoClient
) -> None:
    linked = client.exchange_code(docs.issue_code(CALLBACK), CALLBACK, "v" * 64)
    fresh = client.refresh(linked.refresh_token)
    assert set(docs.token_answers[-1]) == docs_goto.DOCUMENTED_REFRESH_WITHOUT_NEW_TOKEN
    assert fresh.refresh_token == linked.refresh_token and fresh.access_token != linked.access_token
    docs.rotate_next_refresh = True
    renewed = client.refresh(fresh.refresh_token)
    assert set(docs.token_answers[-1]) == docs_goto.DOCUMENTED_REFRESH_WITH_NEW_TOKEN
    assert renewed.refresh_token != linked.refresh_token and client.refresh(renewed.refresh_token).access_token


def test_every_meeting_call_is_what_goto_documents(docs: DocsGoto, client: GotoClient) -> None:
    tokens = client.exchange_code(docs.issue_code(CALLBACK), CALLBACK, "v" * 64)
    client.tokens.set(tokens.account, tokens)  # type: ignore[attr-defined]
    account = tokens.account
    spec = MeetingSpec("Board <Q3> " + "😀" * 60, LATER, LATER + timedelta(hours=1))
    made = client.create_meeting(account, spec)
    assert made.join_url == f"https://global.gotomeeting.com/join/{made.meeting_id}"
    fetched = client.get_meeting(account, made.meeting_id)
    assert fetched is not None and fetched.starts_at == LATER and spec.matches(fetched)  # read back RFC 3339 times
    moved = MeetingSpec(spec.subject, LATER + timedelta(hours=2), LATER + timedelta(hours=3))
    client.update_meeting(account, made.meeting_id, moved)
    (upcoming,) = client.upcoming_meetings(account)
    assert upcoming.meeting_id == made.meeting_id and moved.matches(upcoming)
    assert client.host_url(account, made.meeting_id).endswith(f"/start/{made.meeting_id}")
    client.delete_meeting(account, made.meeting_id)
    assert client.get_meeting(account, made.meeting_id) is None


def test_a_room_links_refreshes_and_reconciles_against_documented_goto(
    docs: DocsGoto, client: GotoClient, engine: Engine
) -> None:
    """The whole round trip through Room Desk's services; the room's account differs from GoTo's principal in case."""
    tokens = StoredTokens(engine, oauth=client)
    client.tokens = tokens
    with session_scope(engine) as s:
        admin = make_user(s, role="admin")
        room = make_room(s, name="Board room", goto_account="mahar.singh@company.com")
        access = external_access.set_system_address(s, user=admin, address="https://desk.example.org")
        external_access.set_access_user(s, user=admin, access_user_id=admin.id)
        external_access.record_activation(s, url=access.redirect_url, actor=admin)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=admin, room_id=room.id, oauth=client)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{docs_goto.AUTH}/oauth/authorize?") and query["response_type"] == "code"
    redirect = query["redirect_uri"]
    callback_token = parse_qs(urlsplit(redirect).query)["token"][0]
    with session_scope(engine) as s:
        pending = accounts.claim_state(s, token=callback_token, state=query["state"])
    with session_scope(engine) as s:
        accounts.finish_linking(s, pending=pending, code=docs.issue_code(redirect), error=None, oauth=client)
    with session_scope(engine) as s:
        link = s.get(RoomLink, room.id)
        assert link is not None and link.status == "linked" and link.email == "mahar.singh@company.com"
        first_refresh = crypto.decrypt(link.refresh_token)
    made = client.create_meeting(room.goto_account, MeetingSpec("Plan", LATER, LATER + timedelta(hours=1)))
    assert tokens.refresh_expiring(timedelta(hours=2))[0].ok  # a refresh answer without a refresh token
    docs.rotate_next_refresh = True
    assert tokens.refresh_expiring(timedelta(hours=2))[0].ok  # one with a new refresh token
    with session_scope(engine) as s:
        stored = crypto.decrypt(s.get(RoomLink, room.id).refresh_token)  # type: ignore[union-attr]
    assert stored != first_refresh and stored in docs.refresh_tokens
    report = reconcile(engine, client, repair=False)
    assert report.unreachable == [] and report.unknown_at_goto == [("Board room", made.meeting_id, "Plan")]


def test_the_sandbox_answers_tokens_in_exactly_the_documented_shapes(
    sandbox: RunningSandbox, admin: SandboxAdmin
) -> None:
    email = admin.new_account()
    issued = admin.http.post(f"/_sandbox/accounts/{email}/token").json()
    assert set(issued) == docs_goto.DOCUMENTED_REFRESH_WITH_NEW_TOKEN and not set(issued) & docs_goto.RETIRED_FIELDS
    form = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    plain = httpx.post(f"{sandbox.url}/oauth/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert set(plain.json()) == docs_goto.DOCUMENTED_REFRESH_WITHOUT_NEW_TOKEN
    assert plain.json()["principal"] == email and plain.json()["expires_in"] == 3600
    admin.fault("new_refresh_token")
    renewed = httpx.post(f"{sandbox.url}/oauth/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert set(renewed.json()) == docs_goto.DOCUMENTED_REFRESH_WITH_NEW_TOKEN
    assert renewed.json()["token_type"] == "Bearer"
