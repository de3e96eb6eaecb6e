"""Rooms page (admin): create, validation messages, permissions."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.kernel.db import session_scope
from core.kernel.models import Group, Room, RoomPermission
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
