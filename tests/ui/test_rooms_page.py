"""Rooms page (admin): create, validation messages, permissions."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.kernel.db import session_scope
from core.kernel.models import Group, Room, RoomPermission, User
from tests.ui.conftest import page


def test_admin_creates_a_room_and_sees_it_listed(app_engine: Engine, admin: int) -> None:
    at = page("pages/rooms.py", user_id=admin).run()
    at.text_input(key="new_room_name").input("Sales 1")
    at.text_input(key="new_room_account").input("Sales1@Example.org")
    at.button(key="FormSubmitter:new_room-Create room").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Room “Sales 1” created."]
    assert "sales1@example.org" in at.dataframe[0].value.to_string()
    with session_scope(app_engine) as s:
        assert s.exec(select(Room.goto_account)).all() == ["sales1@example.org"]


def test_an_invalid_goto_account_is_named_and_nothing_saved(app_engine: Engine, admin: int) -> None:
    at = page("pages/rooms.py", user_id=admin).run()
    at.text_input(key="new_room_name").input("Sales 1")
    at.text_input(key="new_room_account").input("sales at example")
    at.button(key="FormSubmitter:new_room-Create room").click().run()
    assert [e.value for e in at.error] == [
        "GoTo account: “sales at example” is not a GoTo user name (an e-mail address)."
    ]
    with session_scope(app_engine) as s:
        assert s.exec(select(Room)).all() == []


def test_admin_grants_a_group_booking_rights(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        s.add(Room(name="Board Room"))
        everybody = s.exec(select(Group.id).where(Group.name == "All")).one()
    at = page("pages/rooms.py", user_id=admin).run()
    assert "Nobody but administrators may book this room yet." in [i.value for i in at.info]
    room_id = at.selectbox(key="edit_room").value
    at.selectbox(key=f"grant_subject_{room_id}").set_value(f"group:{everybody}")
    at.button(key=f"FormSubmitter:grant_{room_id}-Grant").click().run()
    assert not at.exception
    assert any("All" in m.value for m in at.markdown)
    with session_scope(app_engine) as s:
        assert [(p.room_id, p.may_book) for p in s.exec(select(RoomPermission))] == [(room_id, True)]


def test_the_rooms_page_speaks_german(app_engine: Engine, admin: int) -> None:
    at = page("pages/rooms.py", user_id=admin, lang="de").run()
    assert [t.value for t in at.title] == ["Räume"]


def test_the_new_room_form_keeps_what_was_typed_after_a_validation_error(app_engine: Engine, admin: int) -> None:
    """Issue 15: a wrong field is named and the rest of the form is still there to correct, not typed again."""
    at = page("pages/rooms.py", user_id=admin).run()
    at.text_input(key="new_room_name").input("Sales 1")
    at.text_input(key="new_room_account").input("sales at example")
    at.text_area(key="new_room_description").input("Second floor")
    at.button(key="FormSubmitter:new_room-Create room").click().run()
    assert [e.value for e in at.error] == [
        "GoTo account: “sales at example” is not a GoTo user name (an e-mail address)."
    ]
    assert at.text_input(key="new_room_name").value == "Sales 1"
    assert at.text_input(key="new_room_account").value == "sales at example"
    assert at.text_area(key="new_room_description").value == "Second floor"
    at.text_input(key="new_room_account").input("sales1@example.org")
    at.button(key="FormSubmitter:new_room-Create room").click().run()
    assert not at.exception and [s.value for s in at.success] == ["Room “Sales 1” created."]
    assert at.text_input(key="new_room_name").value == "", "a saved room leaves an empty form for the next one"
    with session_scope(app_engine) as s:
        assert s.exec(select(Room.description)).all() == ["Second floor"]


def test_link_sends_this_tab_to_goto_and_leaves_no_button_behind(app_engine: Engine, admin: int) -> None:
    """The Link button hands the browser the authorize URL once; the next run shows no stale way to GoTo."""
    from core.access import external_access

    with session_scope(app_engine) as s:
        s.add(Room(name="Sales 1", goto_account="sales1@example.org"))
        boss = s.get(User, admin)
        external_access.set_system_address(s, user=boss, address="http://roomdesk.test")
    at = page("pages/rooms.py", user_id=admin).run()
    room_id = at.selectbox(key="edit_room").value
    at.button(key=f"link_{room_id}").click().run()
    assert not at.exception, at.exception
    scripts = [h.proto.body for h in at.get("html")]
    assert any("window.location.assign" in b and "/oauth/authorize?" in b and "login_hint=sales1" in b for b in scripts)
    assert "Sign in there as sales1@example.org" not in str(at.caption) and at.get("link_button") == []
    at.run()
    assert not any("window.location.assign" in h.proto.body for h in at.get("html"))
