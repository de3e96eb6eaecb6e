"""People, Groups, My settings (password, sessions) and the set-password link, as an admin or user sees them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access import auth, sessions
from core.kernel.db import session_scope
from core.kernel.models import Group, User
from tests.ui.conftest import page


def test_admin_creates_a_person_in_a_group_and_finds_them(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        s.add(Group(name="Sales"))
    at = page("pages/people.py", user_id=admin).run()
    at.text_input(key="new_person_username").input("nora")
    at.text_input(key="new_person_display").input("Nora North")
    at.text_input(key="new_person_email").input("nora@example.org")
    at.multiselect(key="new_person_groups").select("Sales")
    at.button(key="FormSubmitter:new_person-Create").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Nora North was created."]
    at.text_input(key="people_search").input("north").run()
    shown = at.dataframe[0].value
    assert list(shown["User name"]) == ["nora"] and list(shown["Groups"]) == ["Sales"]
    assert "All" not in at.multiselect(key="new_person_groups").options  # nobody is added to All or None


def test_a_wrong_field_is_named_and_nobody_is_created(app_engine: Engine, admin: int) -> None:
    at = page("pages/people.py", user_id=admin).run()
    at.text_input(key="new_person_username").input("Not Valid!")
    at.text_input(key="new_person_password").input("short")
    at.button(key="FormSubmitter:new_person-Create").click().run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("Password: at least 10") for e in errors) and len(errors) == 2
    with session_scope(app_engine) as s:
        assert s.exec(select(User).where(User.username == "not valid!")).first() is None


def test_admin_deactivates_a_person_who_is_then_signed_out(app_engine: Engine, admin: int, staff: int) -> None:
    with session_scope(app_engine) as s:
        cookie = sessions.start_session(s, user=auth.get_user(s, staff))
    at = page("pages/people.py", user_id=admin).run()
    at.selectbox(key="people_pick").select(staff).run()
    at.button(key="people_deactivate").click().run()
    assert not at.exception and at.success[0].value.endswith(
        "is deactivated and signed out everywhere. Their history stays."
    )
    with session_scope(app_engine) as s:
        assert sessions.resume_session(s, cookie) is None and not s.get(User, staff).active  # type: ignore[union-attr]
    at.selectbox(key="people_active").select("Deactivated").run()
    assert list(at.dataframe[0].value["User name"]) == ["sara"]


def test_reset_password_shows_a_one_time_link_that_sets_the_password_once(
    app_engine: Engine, admin: int, staff: int
) -> None:
    at = page("pages/people.py", user_id=admin).run()
    at.selectbox(key="people_pick").select(staff).run()
    at.button(key="people_reset").click().run()
    assert not at.exception and "shown only now" in at.success[0].value
    link = at.code[0].value
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert urlsplit(link).path.endswith("/set_password")
    reset = page("pages/set_password.py")
    reset.query_params["token"] = token
    reset.run()
    reset.text_input(key="reset_new").input("my own new secret")
    reset.text_input(key="reset_again").input("my own new secret")
    reset.button(key="FormSubmitter:set_password-Set password").click().run()
    assert not reset.exception and reset.success[0].value == "Your password is set. Sign in with it now."
    with session_scope(app_engine) as s:
        assert auth.authenticate(s, "sara", "my own new secret").id == staff
    again = page("pages/set_password.py")
    again.query_params["token"] = token
    again.run()
    assert [e.value for e in again.error][0].startswith("This set-password link is not valid any more")
    assert len(again.text_input) == 0


def test_staff_cannot_open_people_or_groups(app_engine: Engine, staff: int) -> None:
    for path in ["pages/people.py", "pages/groups.py"]:
        at = page(path, user_id=staff).run()
        assert [e.value for e in at.error] == ["This page is not available for your role."]
        assert len(at.dataframe) == 0


def test_groups_page_explains_the_built_in_groups_and_refuses_deleting_a_used_one(
    app_engine: Engine, admin: int
) -> None:
    at = page("pages/groups.py", user_id=admin).run()
    assert "**All** is everybody" in at.info[0].value
    at.text_input(key="new_group_name").input("Sales")
    at.button(key="FormSubmitter:new_group-Add group").click().run()
    assert [s.value for s in at.success] == ["Group Sales was added."]
    with session_scope(app_engine) as s:
        sales = s.exec(select(Group).where(Group.name == "Sales")).one()
        from core.access.addon import set_authorized_groups

        set_authorized_groups(s, user=auth.get_user(s, admin), group_ids=[sales.id])  # type: ignore[list-item]
    at = page("pages/groups.py", user_id=admin).run()
    at.selectbox(key="group_pick").select(sales.id).run()
    at.multiselect(key=f"group_members_pick_{sales.id}").select(admin)
    at.button(key=f"FormSubmitter:group_members_{sales.id}-Save members").click().run()
    assert at.success[0].value == "The members of Sales are saved."
    at.button(key="group_delete").click().run()
    assert [e.value for e in at.error] == [
        "Sales cannot be deleted: it is an authorized group (Settings). Remove it there first."
    ]
    at.selectbox(key="group_pick").select_index(0).run()  # All: built in, no members, no delete
    assert "All cannot have members." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == "group_delete"]


def test_my_settings_changes_the_password_with_the_current_one(app_engine: Engine, staff: int) -> None:
    at = page("pages/profile.py", user_id=staff).run()
    at.text_input(key="password_current").input("wrong one")
    at.text_input(key="password_new").input("a fresh passphrase")
    at.text_input(key="password_again").input("a fresh passphrase")
    at.button(key="FormSubmitter:change_password-Change password").click().run()
    assert [e.value for e in at.error] == ["Current password: this is not your current password."]
    at.text_input(key="password_current").input("correct horse")
    at.text_input(key="password_new").input("a fresh passphrase")
    at.text_input(key="password_again").input("a fresh passphrase")
    at.button(key="FormSubmitter:change_password-Change password").click().run()
    assert not at.exception
    assert at.success[0].value == "Your password is changed. Your other sessions are signed out."
    with session_scope(app_engine) as s:
        assert auth.authenticate(s, "sara", "a fresh passphrase").id == staff


def test_my_settings_lists_sessions_and_signs_out_everywhere(app_engine: Engine, staff: int) -> None:
    with session_scope(app_engine) as s:
        elsewhere = sessions.start_session(s, user=auth.get_user(s, staff), client_address="10.1.2.3")
    at = page("pages/profile.py", user_id=staff).run()
    assert "10.1.2.3" in at.table[0].value.to_string()
    at.button(key="sign_out_everywhere").click().run()
    assert not at.exception and "user_id" not in at.session_state
    with session_scope(app_engine) as s:
        assert sessions.resume_session(s, elsewhere) is None
