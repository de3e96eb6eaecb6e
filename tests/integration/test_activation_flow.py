"""The whole activation path against the GoTo sandbox over HTTP: a new token invalidates the activation,
the admin requests a new one, support registers it, and linking works again."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access import external_access
from core.admin import activation
from core.goto.sandbox import list_redirect_uris
from core.kernel.db import session_scope
from core.kernel.models import RoomLink
from core.meetings import accounts
from core.meetings.accounts import LinkFailed
from tests.conftest import make_user
from tests.integration.linking import consent, link_room, linkable_room


def authorize_page(engine: Engine, goto, setup) -> httpx.Response:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    with httpx.Client(timeout=10) as http:
        return http.get(url)


def request_and_register(engine: Engine, sandbox, admin, support) -> activation.RequestView:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        assert activation.activation_state(s).state == "not_requested"
        filed = activation.file_request(s, user=admin, system_name="Example AG", contact="it@example.org")
    with session_scope(engine) as s:
        [waiting] = activation.pending_urls(s, user=support)
        assert waiting == external_access.get_external_access(s).redirect_url
        return activation.mark_registered(
            s, user=support, request_id=filed.id, register=activation.sandbox_registrar(sandbox.data_dir)
        )


def test_regenerate_request_register_and_linking_works_again(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox, register=False)
    with session_scope(engine) as s:
        support = make_user(s, role="support")

    # Not registered yet: GoTo (the sandbox) refuses the authorize request outright.
    refused = authorize_page(engine, goto, setup)
    assert refused.status_code == 400 and "redirect_uri is not registered" in refused.text

    first = request_and_register(engine, sandbox, setup.admin, support)
    assert first.status == "registered" and first.url in list_redirect_uris(sandbox.data_dir)
    link_room(engine, goto, setup)

    # A new token: the activation is invalid at once, the registered request is superseded.
    with session_scope(engine) as s:
        access = external_access.regenerate_token(s, user=setup.admin)
    assert not access.activation_valid and access.redirect_url not in list_redirect_uris(sandbox.data_dir)
    with session_scope(engine) as s:
        assert [r.status for r in activation.list_requests(s, user=support)] == ["superseded"]
    assert authorize_page(engine, goto, setup).status_code == 400

    second = request_and_register(engine, sandbox, setup.admin, support)
    assert second.url == access.redirect_url and second.decided_by == support.display_name
    with session_scope(engine) as s:
        assert external_access.get_external_access(s).activation_valid
        assert activation.activation_state(s).state == "active"
        statuses = {r.id: r.status for r in activation.list_requests(s, user=support)}
    assert statuses == {first.id: "superseded", second.id: "registered"}

    link_room(engine, goto, setup)  # the real flow: authorize URL, consent page, callback services
    with session_scope(engine) as s:
        [link] = s.exec(select(RoomLink)).all()
    assert link.status == "linked" and link.email == setup.email


def test_a_callback_with_the_old_token_is_refused_after_regenerating(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linkable_room(engine, sandbox, register=False)
    with session_scope(engine) as s:
        support = make_user(s, role="support")
    request_and_register(engine, sandbox, setup.admin, support)
    with session_scope(engine) as s:
        url = accounts.start_linking(s, user=setup.admin, room_id=setup.room.id, oauth=goto.client)
    answer = consent(url, email=setup.email)  # GoTo answers to the URL registered before the new token
    with session_scope(engine) as s:
        external_access.regenerate_token(s, user=setup.admin)
    with pytest.raises(LinkFailed) as caught, session_scope(engine) as s:
        accounts.claim_state(s, token=answer.token, state=answer.state)
    assert "not valid for this system" in caught.value.message("en")


@pytest.mark.postgres
def test_the_queue_the_audit_search_and_sso_matching_run_on_postgresql(pg_engine: Engine) -> None:
    from core.access import sso
    from core.access.auth import add_user
    from core.kernel.db import upgrade
    from core.kernel.models import utcnow
    from core.reporting import audit_log

    upgrade(pg_engine)
    with session_scope(pg_engine) as s:
        admin = add_user(s, username="boss", password=None, role="admin", email="Boss@Example.org")
        support = make_user(s, role="support")
        external_access.set_system_address(s, user=admin, address="https://desk.example.org")
        old = activation.file_request(s, user=admin, system_name="Example AG")
        external_access.regenerate_token(s, user=admin)
        new = activation.file_request(s, user=admin, system_name="Example AG")
        activation.mark_registered(s, user=support, request_id=new.id, register=None, steps_confirmed=True)
    with session_scope(pg_engine) as s:
        assert [r.id for r in activation.list_requests(s, user=support, status="superseded")] == [old.id]
        assert activation.activation_state(s).state == "active"
        found = audit_log.search(
            s,
            user=admin,
            filters=audit_log.AuditFilter(
                start=utcnow().replace(year=2000),
                end=utcnow().replace(year=2100),
                action="activation_request.registered",
            ),
        )
        assert [(r.user, r.entity_id) for r in found.rows] == [(support.display_name, str(new.id))]
        assert sso.sign_in_with_identity(s, {"email": "boss@example.org", "email_verified": True}).id == admin.id
