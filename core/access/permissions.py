"""Who may do what: roles for pages and services, read (book) and manage rights on rooms."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.kernel.errors import PermissionDenied
from core.kernel.models import GROUP_ALL, GROUP_NONE, Group, Membership, Role, Room, RoomPermission, User


def require_role(user: User | None, *roles: Role | str) -> User:
    """The signed-in, active user if they hold one of `roles`; otherwise PermissionDenied."""
    if user is None or not user.active:
        raise PermissionDenied("error.sign_in_required")
    if user.role not in {str(r) for r in roles}:
        raise PermissionDenied(needed=", ".join(str(r) for r in roles))
    return user


def group_ids(session: Session, user: User) -> list[int]:
    """The groups a user belongs to, including the built-in "All" (everybody is in it implicitly).

    "None" is never among them: it stands for nobody, so nothing granted to it reaches anyone.
    """
    ids = list(
        session.exec(
            select(Membership.group_id)
            .join(Group, col(Group.id) == Membership.group_id)
            .where(Membership.user_id == user.id, Group.name != GROUP_NONE)
        )
    )
    everybody = session.exec(select(Group.id).where(Group.name == GROUP_ALL)).first()
    return ids + ([everybody] if everybody is not None else [])


def _grants(session: Session, user: User) -> sa.ColumnElement[bool]:
    return sa.or_(RoomPermission.user_id == user.id, RoomPermission.group_id.in_(group_ids(session, user)))


def bookable_room_ids(session: Session, user: User) -> set[int]:
    """Active rooms the user may book: admins all, everyone else through a grant to them or their groups."""
    active = select(Room.id).where(Room.active)
    if user.role == Role.admin:
        return set(session.exec(active))
    granted = select(RoomPermission.room_id).where(RoomPermission.may_book, _grants(session, user))
    return set(session.exec(active.where(Room.id.in_(granted))))


def may_book(session: Session, user: User, room_id: int) -> bool:
    return room_id in bookable_room_ids(session, user)


def may_manage(session: Session, user: User, room_id: int) -> bool:
    """Admins manage every room; others only with an explicit manage grant."""
    if user.role == Role.admin:
        return True
    grant = select(RoomPermission.id).where(
        RoomPermission.room_id == room_id, RoomPermission.may_manage, _grants(session, user)
    )
    return session.exec(grant).first() is not None
