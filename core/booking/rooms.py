"""Rooms (one per GoTo account) and who may book or manage them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from core.access.permissions import bookable_room_ids, may_manage, require_role
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, PermissionDenied, RoomDeskError, ValidationFailed
from core.kernel.models import GROUP_NONE, Group, Role, Room, RoomPermission, User

# GoTo user names are e-mail addresses; a pragmatic check that catches typos without rejecting real ones.
GOTO_ACCOUNT = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class RoomInput:
    name: str
    goto_account: str = ""
    description: str = ""


@dataclass(frozen=True)
class PermissionRow:
    id: int
    subject_kind: str  # "user" or "group"
    subject_name: str
    may_book: bool
    may_manage: bool


def normalise_goto_account(value: str) -> str | None:
    value = value.strip().lower()
    return value or None


def _validate(session: Session, data: RoomInput, room_id: int | None) -> tuple[str, str | None, str]:
    name, account, description = data.name.strip(), normalise_goto_account(data.goto_account), data.description.strip()
    problems: list[RoomDeskError] = []
    if not name:
        problems.append(RoomDeskError("error.room_name_required", field="name"))
    elif len(name) > 80:
        problems.append(RoomDeskError("error.too_long", field="name", max=80))
    elif session.exec(select(Room.id).where(sa.func.lower(Room.name) == name.lower(), Room.id != room_id)).first():
        problems.append(RoomDeskError("error.room_name_taken", field="name", name=name))
    if account is not None:
        if not GOTO_ACCOUNT.match(account) or len(account) > 254:
            problems.append(RoomDeskError("error.goto_account_invalid", field="goto_account", account=account))
        else:
            other = session.exec(select(Room).where(Room.goto_account == account, Room.id != room_id)).first()
            if other:
                problems.append(
                    RoomDeskError("error.goto_account_taken", field="goto_account", account=account, room=other.name)
                )
    if len(description) > 500:
        problems.append(RoomDeskError("error.too_long", field="description", max=500))
    if problems:
        raise ValidationFailed(problems)
    return name, account, description


def list_rooms(session: Session, *, user: User, include_inactive: bool = False) -> list[Room]:
    """Every room for admins; for others the rooms they may book."""
    query = select(Room).order_by(Room.name)
    if not include_inactive:
        query = query.where(Room.active)
    rooms = list(session.exec(query))
    if user.role == Role.admin:
        return rooms
    allowed = bookable_room_ids(session, user)
    return [room for room in rooms if room.id in allowed]


def bookable_rooms(session: Session, *, user: User) -> list[Room]:
    """The rooms the appointment form may offer to this user."""
    allowed = bookable_room_ids(session, user)
    return [room for room in session.exec(select(Room).where(Room.active).order_by(Room.name)) if room.id in allowed]


def get_room(session: Session, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound("error.room_unknown", field="room", room=room_id)
    return room


def create_room(session: Session, *, user: User, data: RoomInput) -> Room:
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    name, account, description = _validate(session, data, None)
    room = Room(name=name, goto_account=account, description=description)
    session.add(room)
    session.flush()
    audit.record(
        session, actor=user, action="room.create", entity="room", entity_id=room.id, after=audit.snapshot(room)
    )
    return room


def update_room(session: Session, *, user: User, room_id: int, data: RoomInput) -> Room:
    write_lock(session)  # reads, then writes: the write lock before the first read
    room = get_room(session, room_id)
    if not may_manage(session, user, room_id):
        raise PermissionDenied("error.room_manage_denied", room=room.name)
    before = audit.snapshot(room)
    room.name, room.goto_account, room.description = _validate(session, data, room_id)
    session.add(room)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="room.update",
        entity="room",
        entity_id=room.id,
        before=before,
        after=audit.snapshot(room),
    )
    return room


def set_room_active(session: Session, *, user: User, room_id: int, active: bool) -> Room:
    """Deactivate (or reactivate) a room; its bookings stay, it is no longer offered for new ones."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    room = get_room(session, room_id)
    if not may_manage(session, user, room_id):
        raise PermissionDenied("error.room_manage_denied", room=room.name)
    before = audit.snapshot(room)
    room.active = active
    session.add(room)
    audit.record(
        session,
        actor=user,
        action="room.activate" if active else "room.deactivate",
        entity="room",
        entity_id=room.id,
        before=before,
        after=audit.snapshot(room),
    )
    return room


def list_permissions(session: Session, *, user: User, room_id: int) -> list[PermissionRow]:
    room = get_room(session, room_id)
    if not may_manage(session, user, room_id):
        raise PermissionDenied("error.room_manage_denied", room=room.name)
    rows = session.exec(
        select(RoomPermission, User.display_name, Group.name)
        .outerjoin(User, User.id == RoomPermission.user_id)
        .outerjoin(Group, Group.id == RoomPermission.group_id)
        .where(RoomPermission.room_id == room_id)
    ).all()
    rows = [(p, uname, gname) for p, uname, gname in rows if gname != GROUP_NONE]  # an old grant to nobody: none
    out = [
        PermissionRow(p.id, "user" if p.user_id else "group", uname or gname or "", p.may_book, p.may_manage)
        for p, uname, gname in rows
    ]
    return sorted(out, key=lambda r: (r.subject_kind, r.subject_name.lower()))


def grant(
    session: Session,
    *,
    user: User,
    room_id: int,
    user_id: int | None = None,
    group_id: int | None = None,
    may_book: bool = True,
    may_manage_room: bool = False,
) -> RoomPermission:
    """Give a user or a group rights on a room (replacing what that subject had)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    room = get_room(session, room_id)
    if not may_manage(session, user, room_id):
        raise PermissionDenied("error.room_manage_denied", room=room.name)
    if (user_id is None) == (group_id is None):
        raise ValidationFailed([RoomDeskError("error.permission_subject", field="subject")])
    if user_id is not None and session.get(User, user_id) is None:
        raise NotFound("error.user_unknown", field="subject")
    group = session.get(Group, group_id) if group_id is not None else None
    if group_id is not None and group is None:
        raise NotFound("error.group_unknown", field="subject", group=group_id)
    if group is not None and group.name == GROUP_NONE:  # "None" means nobody: a right for it would mean nothing
        raise ValidationFailed([RoomDeskError("rules.grant_group_none", field="subject", room=room.name)])
    perm = session.exec(
        select(RoomPermission).where(
            RoomPermission.room_id == room_id, RoomPermission.user_id == user_id, RoomPermission.group_id == group_id
        )
    ).first() or RoomPermission(room_id=room_id, user_id=user_id, group_id=group_id)
    before = audit.snapshot(perm) if perm.id else None
    perm.may_book, perm.may_manage = may_book, may_manage_room
    session.add(perm)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="room.grant",
        entity="room",
        entity_id=room_id,
        before=before,
        after=audit.snapshot(perm),
    )
    return perm


def revoke(session: Session, *, user: User, permission_id: int) -> None:
    write_lock(session)  # reads, then writes: the write lock before the first read
    perm = session.get(RoomPermission, permission_id)
    if perm is None:
        raise NotFound("error.not_found")
    if not may_manage(session, user, perm.room_id):
        raise PermissionDenied("error.room_manage_denied", room=get_room(session, perm.room_id).name)
    audit.record(
        session, actor=user, action="room.revoke", entity="room", entity_id=perm.room_id, before=audit.snapshot(perm)
    )
    session.delete(perm)


def list_groups(session: Session) -> list[Group]:
    return list(session.exec(select(Group).order_by(Group.builtin.desc(), Group.name)))
