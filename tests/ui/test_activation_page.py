"""Activation desk (support; admins look): the queue, the copyable URL, registering with the sandbox, rejecting."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from core.access import external_access
from core.admin import activation
from core.goto.sandbox import list_redirect_uris
from core.kernel.db import session_scope
from core.kernel.models import User
from tests.conftest import make_user
from tests.ui.conftest import page


@pytest.fixture
def support(app_engine: Engine) -> int:
    with session_scope(app_engine) as s:
        return make_user(s, username="sam", role="support").id  # type: ignore[return-value]


def request_activation(engine: Engine, admin: int) -> tuple[int, str]:
    with session_scope(engine) as s:
        boss = s.get(User, admin)
        access = external_access.set_system_address(s, user=boss, address="https://desk.example.org")
        view = activation.file_request(s, user=boss, system_name="Example AG", contact="it@example.org")
    return view.id, access.redirect_url  # type: ignore[return-value]


def test_support_sees_the_pending_request_with_its_copyable_url_and_the_checklist(
    app_engine: Engine, admin: int, support: int
) -> None:
    request_id, url = request_activation(app_engine, admin)
    at = page("pages/activation.py", user_id=support).run()
    assert not at.exception
    assert at.dataframe[0].value.iloc[0].to_dict() | {"Requested": ""} == {
        "System": "Example AG",
        "Status": "Pending",
        "Requested by": "boss",
        "Requested": "",
        "Redirect URL": url,
    }
    assert url in [c.value for c in at.code]
    assert [e.label for e in at.expander] == ["All pending URLs (1)"]
    assert len(at.checkbox) == len(activation.DEVELOPER_CENTER_STEPS)
    assert "Find the client roomdesk-sandbox and click Edit." in [c.label for c in at.checkbox]


def test_mark_registered_really_registers_the_url_with_the_sandbox(
    app_env: Path, app_engine: Engine, admin: int, support: int
) -> None:
    request_id, url = request_activation(app_engine, admin)
    at = page("pages/activation.py", user_id=support).run()
    at.button(key=f"mark_registered_{request_id}").click().run()
    assert not at.exception
    assert [s.value for s in at.success][0] == "The redirect URL of Example AG is registered: linking works now."
    assert url in list_redirect_uris(app_env)  # the app's sandbox keeps its state in the data directory
    with session_scope(app_engine) as s:
        assert external_access.get_external_access(s).activation_valid
    assert "No activation requests here." in [i.value for i in at.info]  # the pending queue is empty now


def test_rejecting_needs_a_reason_and_then_shows_it(app_engine: Engine, admin: int, support: int) -> None:
    request_id, _ = request_activation(app_engine, admin)
    at = page("pages/activation.py", user_id=support).run()
    at.button(key=f"reject_{request_id}").click().run()
    assert [e.value for e in at.error] == ["Reason: tell the customer why the request is rejected."]
    at.text_area(key=f"reject_reason_{request_id}").input("Unknown customer")
    at.button(key=f"reject_{request_id}").click().run()
    assert [s.value for s in at.success] == ["The request of Example AG was rejected."]
    at.button_group(key="activation_status").set_value("rejected").run()
    assert not at.exception
    assert any("Unknown customer" in w.value for w in at.warning)


def test_superseded_requests_show_only_the_masked_url(app_engine: Engine, admin: int, support: int) -> None:
    request_id, url = request_activation(app_engine, admin)
    with session_scope(app_engine) as s:
        external_access.regenerate_token(s, user=s.get(User, admin))
    at = page("pages/activation.py", user_id=support).run()
    assert "No activation requests here." in [i.value for i in at.info]
    assert at.code[0].value == "(none pending)"
    at.button_group(key="activation_status").set_value("superseded").run()
    assert url not in at.dataframe[0].value.to_string() and url not in [c.value for c in at.code]
    assert any("no longer the system's redirect URL" in c.value for c in at.caption)
    assert len([b for b in at.button if b.key.startswith("mark_registered")]) == 0


def test_admins_may_look_but_not_register(app_engine: Engine, admin: int) -> None:
    request_activation(app_engine, admin)
    at = page("pages/activation.py", user_id=admin).run()
    assert not at.exception and len(at.dataframe) == 1
    assert "Only support staff register or reject requests." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key.startswith(("mark_registered", "reject"))]


def test_staff_cannot_open_the_activation_desk(app_engine: Engine, staff: int) -> None:
    at = page("pages/activation.py", user_id=staff).run()
    assert [e.value for e in at.error] == ["This page is not available for your role."]
