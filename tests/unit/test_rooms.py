"""Rooms: validation of name and GoTo account, permissions, deactivation, audit."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.access.permissions import bookable_room_ids
from core.booking.rooms import (
    RoomInput,
    bookable_rooms,
    create_room,
    grant,
    list_permissions,
    list_rooms,
    revoke,
    set_room_active,
    update_room,
)
from core.kernel.errors import PermissionDenied, ValidationFailed
from core.kernel.models import AuditEntry, Room, RoomPermission
from tests.conftest import make_group, make_room, make_user


def test_create_room_stores_the_goto_account_lower_case_and_audits(session: Session) -> None:
    admin = make_user(session, role="admin")
    room = create_room(session, user=admin, data=RoomInput("Sales 1", " Sales1@Example.ORG ", "Calls"))
    assert room.goto_account == "sales1@example.org"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "room.create")).one()
    assert entry.actor_name == admin.username and entry.after["name"] == "Sales 1"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (RoomInput("", "a@example.org"), "name"),
        (RoomInput("Room", "not an account"), "goto_account"),
        (RoomInput("Room", "a@b"), "goto_account"),
        (RoomInput("x" * 81), "name"),
    ],
)
def test_create_room_names_the_wrong_field(session: Session, data: RoomInput, field: str) -> None:
    admin = make_user(session, role="admin")
    with pytest.raises(ValidationFailed) as caught:
        create_room(session, user=admin, data=data)
    assert set(caught.value.by_field()) == {field}
    assert session.exec(select(Room)).all() == []


def test_goto_account_is_unique_whatever_the_case(session: Session) -> None:
    admin = make_user(session, role="admin")
    create_room(session, user=admin, data=RoomInput("One", "shared@example.org"))
    with pytest.raises(ValidationFailed) as caught:
        create_room(session, user=admin, data=RoomInput("Two", "SHARED@example.org"))
    assert "One" in caught.value.message("en")


def test_room_names_are_unique_ignoring_case(session: Session) -> None:
    admin = make_user(session, role="admin")
    create_room(session, user=admin, data=RoomInput("Board Room"))
    with pytest.raises(ValidationFailed):
        create_room(session, user=admin, data=RoomInput("board room"))


def test_only_admins_create_rooms(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        create_room(session, user=make_user(session, role="staff"), data=RoomInput("Mine"))


def test_a_manage_grant_lets_staff_edit_that_room_only(session: Session) -> None:
    admin, staff = make_user(session, role="admin"), make_user(session)
    mine, other = make_room(session), make_room(session)
    grant(session, user=admin, room_id=mine.id, user_id=staff.id, may_book=True, may_manage_room=True)
    update_room(session, user=staff, room_id=mine.id, data=RoomInput("Renamed"))
    with pytest.raises(PermissionDenied):
        update_room(session, user=staff, room_id=other.id, data=RoomInput("Nope"))


def test_group_all_grants_everybody(session: Session) -> None:
    from core.kernel.models import Group

    admin, staff = make_user(session, role="admin"), make_user(session)
    everyone, other = make_room(session), make_room(session)
    ids = {g.name: g.id for g in session.exec(select(Group))}
    grant(session, user=admin, room_id=everyone.id, group_id=ids["All"])
    assert bookable_room_ids(session, staff) == {everyone.id} and other.id not in bookable_room_ids(session, staff)


def test_granting_group_none_is_refused_with_the_reason(session: Session) -> None:
    from core.kernel.models import Group

    admin = make_user(session, role="admin")
    room = make_room(session, name="Board room")
    none_id = session.exec(select(Group.id).where(Group.name == "None")).one()
    with pytest.raises(ValidationFailed) as refused:
        grant(session, user=admin, room_id=room.id, group_id=none_id)
    assert "“None” stands for nobody" in refused.value.message("en") and "Board room" in refused.value.message("en")
    assert "„None“ steht für niemanden" in refused.value.message("de")
    assert session.exec(select(RoomPermission).where(RoomPermission.room_id == room.id)).all() == []


def test_an_old_grant_to_group_none_is_not_listed_and_reaches_nobody_even_its_members(session: Session) -> None:
    admin, member = make_user(session, role="admin"), make_user(session)
    room = make_room(session)
    from core.kernel.models import Group, Membership

    none_id = session.exec(select(Group.id).where(Group.name == "None")).one()
    session.add(Membership(user_id=member.id, group_id=none_id))  # both rows written before the rules
    session.add(RoomPermission(room_id=room.id, group_id=none_id, may_book=True))
    session.flush()
    assert list_permissions(session, user=admin, room_id=room.id) == []
    assert bookable_room_ids(session, member) == set()


def test_deactivated_rooms_are_no_longer_offered(session: Session) -> None:
    admin, staff = make_user(session, role="admin"), make_user(session)
    room = make_room(session, bookable_by=staff)
    set_room_active(session, user=admin, room_id=room.id, active=False)
    assert bookable_rooms(session, user=staff) == []
    assert [r.name for r in list_rooms(session, user=admin, include_inactive=True)] == [room.name]


def test_permissions_are_listed_and_revoked(session: Session) -> None:
    admin, staff = make_user(session, role="admin"), make_user(session)
    team = make_group(session, "Team")
    room = make_room(session)
    grant(session, user=admin, room_id=room.id, group_id=team.id, may_book=True)
    perm = grant(session, user=admin, room_id=room.id, user_id=staff.id, may_book=True, may_manage_room=True)
    rows = list_permissions(session, user=admin, room_id=room.id)
    assert [(r.subject_kind, r.subject_name, r.may_manage) for r in rows] == [
        ("group", "Team", False),
        ("user", staff.display_name, True),
    ]
    revoke(session, user=admin, permission_id=perm.id)
    assert [r.subject_name for r in list_permissions(session, user=admin, room_id=room.id)] == ["Team"]
