"""Activation requests, called on the services directly: filing, superseding, registering, rejecting."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.access import external_access
from core.admin import activation
from core.admin.activation import PENDING, REGISTERED, REJECTED, SUPERSEDED
from core.goto.sandbox import list_redirect_uris
from core.kernel.errors import PermissionDenied, RoomDeskError, ValidationFailed
from core.kernel.models import ActivationRequest, AuditEntry
from tests.conftest import make_user


class FakeGoto:
    """A developer center that records what it was asked to register, or fails when told to."""

    def __init__(self, *, fail: bool = False) -> None:
        self.registered: list[str] = []
        self.fail = fail

    def __call__(self, url: str) -> None:
        if self.fail:
            raise activation.RegistrationFailed("developer center unreachable")
        self.registered.append(url)


@pytest.fixture
def people(session: Session):  # type: ignore[no-untyped-def]
    admin = make_user(session, username="boss", role="admin")
    support = make_user(session, username="sam", role="support")
    external_access.set_system_address(session, user=admin, address="https://desk.example.org")
    return admin, support


def current_url(session: Session) -> str:
    return external_access.get_external_access(session).redirect_url  # type: ignore[return-value]


def file(session: Session, admin, **over):  # type: ignore[no-untyped-def]
    return activation.file_request(
        session, user=admin, **({"system_name": "Example AG", "contact": "it@example.org"} | over)
    )


def test_filing_needs_a_system_address_first(session: Session) -> None:
    admin = make_user(session, role="admin")
    with pytest.raises(ValidationFailed) as caught:
        activation.file_request(session, user=admin, system_name="Example AG")
    assert "redirect_url" in caught.value.by_field()
    assert activation.activation_state(session).state == "not_configured"


def test_a_request_keeps_no_token_only_a_masked_hint(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    view = file(session, admin)
    token = current_url(session).split("token=")[1]
    row = session.get(ActivationRequest, view.id)
    assert all(token not in str(value) for value in row.model_dump().values())
    assert row.url_hint.startswith("https://desk.example.org/goto_callback?token=") and row.url_hint.endswith("…")
    assert view.url == current_url(session) and view.status == PENDING and view.requested_by == admin.display_name


def test_only_admins_file_and_only_support_and_admins_see_the_queue(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    with pytest.raises(PermissionDenied):
        file(session, support)
    file(session, admin)
    with pytest.raises(PermissionDenied):
        activation.list_requests(session, user=make_user(session))
    assert (
        len(activation.list_requests(session, user=admin)) == len(activation.list_requests(session, user=support)) == 1
    )


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"system_name": "  "}, "system_name"),
        ({"system_name": "x" * 121}, "system_name"),
        ({"contact": "y" * 255}, "contact"),
    ],
)
def test_filing_names_the_wrong_field(session: Session, people, over, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as caught:
        file(session, people[0], **over)
    assert field in caught.value.by_field()


def test_the_same_url_is_not_requested_twice_nor_when_already_active(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    first = file(session, admin)
    with pytest.raises(RoomDeskError) as twice:
        file(session, admin)
    assert f"request {first.id}" in twice.value.message("en")
    activation.mark_registered(session, user=support, request_id=first.id, register=FakeGoto())
    with pytest.raises(RoomDeskError) as active:
        file(session, admin)
    assert active.value.key == "error.activation_already_active"


def test_a_new_token_supersedes_the_old_url_and_a_newer_request_marks_it_so(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    old = file(session, admin)
    external_access.regenerate_token(session, user=admin)
    assert [r.status for r in activation.list_requests(session, user=support)] == [SUPERSEDED]
    assert activation.pending_urls(session, user=support) == []
    new = file(session, admin)
    assert session.get(ActivationRequest, old.id).status == SUPERSEDED
    assert session.get(ActivationRequest, old.id).superseded_by_id == new.id
    listed = {r.id: r for r in activation.list_requests(session, user=support)}
    assert listed[new.id].status == PENDING and listed[new.id].url == current_url(session)
    assert listed[old.id].url.endswith("…") and not listed[old.id].is_current
    assert [r.id for r in activation.list_requests(session, user=support, status=SUPERSEDED)] == [old.id]


def test_mark_registered_registers_the_current_url_and_linking_becomes_possible(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    view = file(session, admin)
    goto = FakeGoto()
    done = activation.mark_registered(session, user=support, request_id=view.id, register=goto)
    assert goto.registered == [current_url(session)]
    assert (done.status, done.decided_by, done.registered_via) == (REGISTERED, support.display_name, "sandbox")
    assert done.decided_at is not None
    assert external_access.get_external_access(session).activation_valid
    state = activation.activation_state(session)
    assert state.state == "active" and state.request.decided_by == support.display_name
    actions = set(session.exec(select(AuditEntry.action)))
    assert {"activation_request.filed", "activation_request.registered", "external.activated"} <= actions


def test_with_real_goto_support_confirms_the_manual_steps(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    view = file(session, admin)
    with pytest.raises(ValidationFailed) as caught:
        activation.mark_registered(session, user=support, request_id=view.id, register=None)
    assert "steps" in caught.value.by_field()
    done = activation.mark_registered(session, user=support, request_id=view.id, register=None, steps_confirmed=True)
    assert done.registered_via == "manual" and external_access.get_external_access(session).activation_valid


def test_only_support_staff_mark_registered_or_reject(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    view = file(session, admin)
    with pytest.raises(PermissionDenied):
        activation.mark_registered(session, user=admin, request_id=view.id, register=FakeGoto())
    with pytest.raises(PermissionDenied):
        activation.reject(session, user=admin, request_id=view.id, reason="no")


def test_an_outdated_url_is_never_registered(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    view = file(session, admin)
    external_access.set_system_address(session, user=admin, address="https://moved.example.org")
    goto = FakeGoto()
    with pytest.raises(RoomDeskError) as caught:
        activation.mark_registered(session, user=support, request_id=view.id, register=goto)
    assert caught.value.key == "error.activation_outdated" and goto.registered == []
    assert not external_access.get_external_access(session).activation_valid


def test_a_failed_registration_leaves_the_request_pending(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    view = file(session, admin)
    with pytest.raises(RoomDeskError) as caught:
        activation.mark_registered(session, user=support, request_id=view.id, register=FakeGoto(fail=True))
    assert "developer center unreachable" in caught.value.message("en")
    assert session.get(ActivationRequest, view.id).status == PENDING
    assert not external_access.get_external_access(session).activation_valid


def test_reject_needs_a_reason_which_the_admin_then_sees(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    view = file(session, admin)
    with pytest.raises(ValidationFailed) as caught:
        activation.reject(session, user=support, request_id=view.id, reason="   ")
    assert "reason" in caught.value.by_field()
    done = activation.reject(session, user=support, request_id=view.id, reason="Unknown customer")
    assert (done.status, done.reason) == (REJECTED, "Unknown customer")
    state = activation.activation_state(session)
    assert state.state == "rejected" and state.request.reason == "Unknown customer"
    with pytest.raises(RoomDeskError):
        activation.reject(session, user=support, request_id=view.id, reason="again")
    with pytest.raises(RoomDeskError):
        activation.mark_registered(session, user=support, request_id=view.id, register=FakeGoto())
    assert file(session, admin).status == PENDING  # after a rejection the admin may ask again


def test_the_activation_state_follows_the_request(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    assert activation.activation_state(session).state == "not_requested"
    view = file(session, admin)
    assert activation.activation_state(session).state == "pending"
    activation.mark_registered(session, user=support, request_id=view.id, register=FakeGoto())
    assert activation.activation_state(session).state == "active"
    external_access.regenerate_token(session, user=admin)
    assert activation.activation_state(session).state == "not_requested"


def test_pending_urls_are_plain_text_lines_and_the_queue_is_windowed(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, support = people
    for _ in range(3):
        file(session, admin)
        external_access.regenerate_token(session, user=admin)
    file(session, admin)
    assert activation.pending_urls(session, user=support) == [current_url(session)]
    assert len(activation.list_requests(session, user=support, limit=2)) == 2
    assert [r.status for r in activation.list_requests(session, user=support)] == [PENDING] + [SUPERSEDED] * 3
    with pytest.raises(ValidationFailed):
        activation.list_requests(session, user=support, status="lost")


def test_the_system_name_is_remembered_for_the_next_request(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    admin, _ = people
    assert activation.default_system_name(session) == "desk.example.org"
    file(session, admin, system_name="Example AG (Berlin)")
    assert activation.default_system_name(session) == "Example AG (Berlin)"


def test_the_sandbox_registrar_registers_with_the_sandbox_oauth_client(tmp_path: Path) -> None:
    url = "https://desk.example.org/goto_callback?token=abc"
    activation.sandbox_registrar(tmp_path)(url)
    assert url in list_redirect_uris(tmp_path)
    with pytest.raises(activation.RegistrationFailed):
        activation.sandbox_registrar(tmp_path)("not a url")
