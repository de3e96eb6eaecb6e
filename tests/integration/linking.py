"""Test helpers: drive the sandbox's consent page like a browser would, and set up linkable rooms."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.engine import Engine

from core.access import external_access
from core.goto.sandbox import RunningSandbox, register_redirect_uri
from core.kernel.db import session_scope
from core.kernel.models import Room, User
from tests.conftest import make_room, make_user
from tests.goto.harness import SandboxAdmin

ADDRESS = "http://roomdesk.test"


@dataclass
class Answer:
    token: str
    state: str
    code: str | None
    error: str | None


def consent(authorize_url: str, *, email: str, password: str = "sandbox", decision: str = "allow") -> Answer:
    """Open the authorize URL, submit the consent form, and read GoTo's redirect back to us."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    with httpx.Client(timeout=10) as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        answer = http.post(
            authorize_url.split("?")[0], data={**params, "email": email, "password": password, "decision": decision}
        )
    assert answer.status_code in (302, 303), answer.text
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    return Answer(
        token=back["token"][0],
        state=back.get("state", [""])[0],
        code=back.get("code", [None])[0],
        error=back.get("error", [None])[0],
    )


@dataclass
class Setup:
    admin: User
    room: Room
    email: str


def linkable_room(engine: Engine, sandbox: RunningSandbox, *, register: bool = True) -> Setup:
    """An admin, a room for a fresh sandbox account, external access set up (and registered at the sandbox)."""
    control = SandboxAdmin(sandbox)
    email = control.new_account()
    control.http.close()
    with session_scope(engine) as s:
        admin = make_user(s, role="admin")
        room = make_room(s, goto_account=email)
        access = external_access.set_system_address(s, user=admin, address=ADDRESS)
        external_access.set_access_user(s, user=admin, access_user_id=admin.id)
        if register:
            register_redirect_uri(sandbox.data_dir, access.redirect_url)
            external_access.record_activation(s, url=access.redirect_url, actor=admin)
    return Setup(admin, room, email)


def link_room(engine: Engine, goto, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    """Link the setup's room through the real flow: authorize URL, consent page, callback services."""
    from core.meetings import accounts

    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    answer = consent(url, email=setup.email)
    with session_scope(engine) as s:
        pending = accounts.claim_state(s, token=answer.token, state=answer.state)
    with session_scope(engine) as s:
        accounts.finish_linking(s, pending=pending, code=answer.code, error=answer.error, oauth=goto.client)


def linked_room(engine: Engine, goto, sandbox: RunningSandbox) -> Setup:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox)
    link_room(engine, goto, setup)
    return setup
