"""People and groups managed by admins: edits audited, sessions ended on role change and deactivation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from core.access import addon, auth, people, sessions
from core.kernel.config import get_settings
from core.kernel.errors import PermissionDenied, RoomDeskError, ValidationFailed
from core.kernel.models import AuditEntry, Group, RoomPermission
from tests.conftest import at, make_group, make_room, make_user


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ROOMDESK_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _edit(session: Session, admin, user, **changes):  # type: ignore[no-untyped-def]
    fields = dict(display_name=user.display_name, email=user.email, role=user.role, groups=(), language=None,
                  time_zone=user.time_zone) | changes  # fmt: skip
    return people.update_user(session, actor=admin, user_id=user.id, **fields)


def test_people_are_found_by_search_role_group_and_status(session: Session) -> None:
    admin = make_user(session, username="boss", role="admin")
    make_group(session, "Sales")
    anna = make_user(session, username="anna", groups=("Sales",))
    gone = make_user(session, username="gone", role="support")
    people.set_active(session, actor=admin, user_id=gone.id, active=False)
    names = lambda **f: [p.user.username for p in people.list_people(session, actor=admin, **f)]  # noqa: E731
    assert names(search="ANN") == ["anna"]
    assert names(role="support") == ["gone"]
    assert names(group="Sales") == ["anna"]
    assert names(active=False) == ["gone"] and "gone" not in names(active=True)
    assert [p.groups for p in people.list_people(session, actor=admin, search="anna")] == [["Sales"]]
    assert anna.id not in {u.id for u in auth.list_users(session) if not u.active}


def test_only_admins_manage_people_and_groups(session: Session) -> None:
    staff = make_user(session, role="staff")
    for call in [
        lambda: people.list_people(session, actor=staff),
        lambda: people.set_active(session, actor=staff, user_id=staff.id, active=False),
        lambda: people.add_group(session, actor=staff, name="Mine"),
        lambda: people.create_person(
            session,
            actor=staff,
            username="x1",
            display_name="",
            email=None,
            role="admin",
            groups=(),
            language=None,
            time_zone="UTC",
        ),  # fmt: skip
    ]:
        with pytest.raises(PermissionDenied):
            call()


def test_a_role_change_ends_the_users_sessions_and_is_audited_with_before_and_after(session: Session) -> None:
    admin, anna = make_user(session, role="admin"), make_user(session, username="anna", role="staff")
    cookie = sessions.start_session(session, user=anna, now=at(0))
    _edit(session, admin, anna, display_name="Anna S.", role="staff")
    assert sessions.resume_session(session, cookie, now=at(0)) is not None  # same role: nothing to end
    _edit(session, admin, anna, role="support")
    assert sessions.resume_session(session, cookie, now=at(0)) is None
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.update")).all()[-1]
    assert entry.before["role"] == "staff" and entry.after["role"] == "support"
    assert "password_hash" not in entry.before


def test_admins_cannot_demote_or_deactivate_themselves(session: Session) -> None:
    admin = make_user(session, role="admin")
    with pytest.raises(ValidationFailed):
        _edit(session, admin, admin, role="staff")
    with pytest.raises(RoomDeskError, match="yourself"):
        people.set_active(session, actor=admin, user_id=admin.id, active=False)


def test_deactivation_signs_out_everywhere_and_blocks_sign_in_until_reactivated(session: Session) -> None:
    admin, anna = make_user(session, role="admin"), make_user(session, username="anna")
    cookie = sessions.start_session(session, user=anna, now=at(0))
    people.set_active(session, actor=admin, user_id=anna.id, active=False)
    assert sessions.resume_session(session, cookie, now=at(0)) is None
    with pytest.raises(RoomDeskError):
        auth.authenticate(session, "anna", "correct horse")
    people.set_active(session, actor=admin, user_id=anna.id, active=True)
    assert auth.authenticate(session, "anna", "correct horse").id == anna.id
    assert sessions.resume_session(session, cookie, now=at(0)) is None  # the old session stays ended


def test_all_and_none_cannot_get_members(session: Session) -> None:
    admin = make_user(session, role="admin")
    for name in ["All", "None"]:
        group = session.exec(select(Group).where(Group.name == name)).one()
        with pytest.raises(RoomDeskError, match="cannot have members"):
            people.set_members(session, actor=admin, group_id=group.id, user_ids=[admin.id])
        with pytest.raises(ValidationFailed):
            make_user(session, groups=(name,))
    external = session.exec(select(Group).where(Group.name == "External")).one()
    people.set_members(session, actor=admin, group_id=external.id, user_ids=[admin.id])
    assert [g.members for g in people.list_groups(session, actor=admin) if g.group.name == "External"] == [
        [admin.username]
    ]


def test_groups_are_created_renamed_and_deleted_unless_in_use(session: Session) -> None:
    admin = make_user(session, role="admin")
    sales = people.add_group(session, actor=admin, name="Sales")
    with pytest.raises(ValidationFailed):
        people.add_group(session, actor=admin, name="sales")
    with pytest.raises(ValidationFailed):
        people.add_group(session, actor=admin, name="all")
    assert people.rename_group(session, actor=admin, group_id=sales.id, name="Sales EU").name == "Sales EU"
    builtin = session.exec(select(Group).where(Group.name == "External")).one()
    with pytest.raises(RoomDeskError, match="built-in"):
        people.delete_group(session, actor=admin, group_id=builtin.id)
    room = make_room(session)
    session.add(RoomPermission(room_id=room.id, group_id=sales.id))
    session.flush()
    with pytest.raises(RoomDeskError, match="1 room right"):
        people.delete_group(session, actor=admin, group_id=sales.id)
    for grant in session.exec(select(RoomPermission).where(RoomPermission.group_id == sales.id)):
        session.delete(grant)
    session.flush()
    addon.set_authorized_groups(session, user=admin, group_ids=[sales.id])
    with pytest.raises(RoomDeskError, match="authorized group"):
        people.delete_group(session, actor=admin, group_id=sales.id)
    addon.set_authorized_groups(session, user=admin, group_ids=[builtin.id])
    people.delete_group(session, actor=admin, group_id=sales.id)
    assert session.get(Group, sales.id) is None
    assert {"group.add", "group.rename", "group.delete"} <= {e.action for e in session.exec(select(AuditEntry))}
