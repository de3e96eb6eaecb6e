"""People and groups, managed by admins: edit, deactivate and reactivate users; create, rename, delete groups.

`actor=None` is the server's command line (its operator owns the installation); every other caller must be
an admin. Every change is audited with its before and after. A changed role or a deactivation ends the
user's sessions at once, so the old rights do not live on in an open browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.access import addon, auth, sessions
from core.access.auth import NO_MEMBERS, get_user
from core.access.permissions import require_role
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, RoomDeskError, ValidationFailed
from core.kernel.i18n import LANGUAGES
from core.kernel.models import BUILTIN_GROUPS, Group, Membership, Role, RoomPermission, User


def _authorize(actor: User | None) -> None:
    if actor is not None:
        require_role(actor, Role.admin)


@dataclass(frozen=True)
class Person:
    user: User
    groups: list[str]


def _user_row(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.user_unknown")
    return user


def _groups_of(session: Session, user_ids: list[int]) -> dict[int, list[str]]:
    rows = session.exec(
        select(Membership.user_id, Group.name)
        .join(Group, col(Group.id) == Membership.group_id)
        .where(col(Membership.user_id).in_(user_ids))
        .order_by(Group.name)
    ).all()
    out: dict[int, list[str]] = {uid: [] for uid in user_ids}
    for uid, name in rows:
        out[uid].append(name)
    return out


def list_people(
    session: Session,
    *,
    actor: User | None,
    search: str = "",
    role: str | None = None,
    group: str | None = None,
    active: bool | None = None,
) -> list[Person]:
    """Users matching a search (name, display name, e-mail) and filters, by display name."""
    _authorize(actor)
    query = select(User)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.username).like(pattern),
                sa.func.lower(User.display_name).like(pattern),
                sa.func.lower(sa.func.coalesce(User.email, "")).like(pattern),
            )
        )
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    if group:
        query = query.where(
            col(User.id).in_(
                select(Membership.user_id).join(Group, col(Group.id) == Membership.group_id).where(Group.name == group)
            )
        )
    users = list(session.exec(query.order_by(User.display_name)))
    groups = _groups_of(session, [u.id for u in users])  # type: ignore[misc]
    return [Person(user=u, groups=groups[u.id]) for u in users]  # type: ignore[index]


def _validate_profile(
    session: Session, *, role: str, language: str | None, time_zone: str, groups: tuple[str, ...]
) -> tuple[list[RoomDeskError], dict[str, Group]]:
    problems: list[RoomDeskError] = []
    if role not in {r.value for r in Role}:
        problems.append(
            RoomDeskError("error.role_invalid", field="role", role=role, roles=", ".join(r.value for r in Role))
        )
    if language is not None and language not in LANGUAGES:
        problems.append(RoomDeskError("error.language_invalid", field="language"))
    if time_zone not in available_timezones():
        problems.append(RoomDeskError("error.time_zone_invalid", field="time_zone", zone=time_zone))
    found = {g.name: g for g in session.exec(select(Group).where(col(Group.name).in_(groups)))} if groups else {}
    for name in groups:
        if name not in found:
            problems.append(RoomDeskError("error.group_unknown", field="groups", group=name))
        elif name in NO_MEMBERS:
            problems.append(RoomDeskError("error.group_no_members", field="groups", group=name))
    return problems, found


def update_user(
    session: Session,
    *,
    actor: User | None,
    user_id: int,
    display_name: str,
    email: str | None,
    role: str,
    groups: tuple[str, ...],
    language: str | None,
    time_zone: str,
) -> User:
    """Edit a user's profile, role and groups; a role change ends that user's sessions."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    _authorize(actor)
    user = _user_row(session, user_id)
    problems, found = _validate_profile(session, role=role, language=language, time_zone=time_zone, groups=groups)
    if actor is not None and actor.id == user.id and role != user.role:
        problems.append(RoomDeskError("error.own_role", field="role"))
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(user) | {"groups": _groups_of(session, [user_id])[user_id]}
    role_changed = role != user.role
    user.display_name = display_name.strip() or user.username
    user.email = (email or "").strip() or None
    user.role, user.language, user.time_zone = role, language, time_zone
    session.add(user)
    session.execute(sa.delete(Membership).where(col(Membership.user_id) == user_id))
    for group in found.values():
        session.add(Membership(user_id=user_id, group_id=group.id))  # type: ignore[arg-type]
    session.flush()
    if role_changed:
        sessions.end_user_sessions(session, user_id=user_id, reason="role_changed")
    after = audit.snapshot(user) | {"groups": sorted(found)}
    audit.record(
        session, actor=actor, action="user.update", entity="user", entity_id=user_id, before=before, after=after
    )
    return user


def set_active(session: Session, *, actor: User | None, user_id: int, active: bool) -> User:
    """Deactivate (cannot sign in, leaves pickers, keeps history; sessions end) or reactivate a user."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    _authorize(actor)
    user = _user_row(session, user_id)
    if actor is not None and actor.id == user.id and not active:
        raise RoomDeskError("error.own_deactivation")
    if user.active == active:
        return user
    user.active = active
    session.add(user)
    if not active:
        sessions.end_user_sessions(session, user_id=user_id, reason="deactivated")
    audit.record(
        session,
        actor=actor,
        action="user.reactivate" if active else "user.deactivate",
        entity="user",
        entity_id=user_id,
        before={"active": not active},
        after={"active": active},
    )
    return user


def find_user(session: Session, username: str) -> User:
    """A user (active or not) by user name, for the command line."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound("error.user_unknown")
    return user


# --- groups ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    group: Group
    members: list[str]  # user names
    authorized: bool  # one of the authorized (GoTo) groups
    room_rights: int  # grants on rooms held by the group


def list_groups(session: Session, *, actor: User | None) -> list[GroupView]:
    """Every group with its members and what it is used for, built-in groups first."""
    _authorize(actor)
    groups = list(session.exec(select(Group).order_by(col(Group.builtin).desc(), Group.name)))
    members: dict[int, list[str]] = {g.id: [] for g in groups}  # type: ignore[misc]
    for gid, name in session.exec(
        select(Membership.group_id, User.username)
        .join(User, col(User.id) == Membership.user_id)
        .order_by(User.username)
    ):
        members.setdefault(gid, []).append(name)
    rights = dict(
        session.exec(
            select(RoomPermission.group_id, sa.func.count())
            .where(col(RoomPermission.group_id).is_not(None))
            .group_by(RoomPermission.group_id)
        ).all()
    )
    authorized = set(addon.authorized_group_ids(session))
    return [
        GroupView(group=g, members=members[g.id], authorized=g.id in authorized, room_rights=rights.get(g.id, 0))  # type: ignore[index]  # stored groups always have an id
        for g in groups
    ]


def _group_row(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound("error.group_unknown_id")
    return group


def _check_name(session: Session, name: str, *, except_id: int | None = None) -> str:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed([RoomDeskError("error.group_name_invalid", field="name")])
    same = session.exec(select(Group).where(sa.func.lower(Group.name) == name.lower())).first()
    if (same is not None and same.id != except_id) or name.lower() in {b.lower() for b in BUILTIN_GROUPS}:
        raise ValidationFailed([RoomDeskError("error.group_name_taken", field="name", name=name)])
    return name


def add_group(session: Session, *, actor: User | None, name: str) -> Group:
    write_lock(session)  # reads, then writes: the write lock before the first read
    _authorize(actor)
    group = Group(name=_check_name(session, name))
    session.add(group)
    session.flush()
    audit.record(
        session, actor=actor, action="group.add", entity="group", entity_id=group.id, after={"name": group.name}
    )
    return group


def rename_group(session: Session, *, actor: User | None, group_id: int, name: str) -> Group:
    write_lock(session)  # reads, then writes: the write lock before the first read
    _authorize(actor)
    group = _group_row(session, group_id)
    if group.builtin:
        raise RoomDeskError("error.group_builtin", group=group.name)
    before = group.name
    group.name = _check_name(session, name, except_id=group_id)
    session.add(group)
    audit.record(
        session, actor=actor, action="group.rename", entity="group", entity_id=group_id,
        before={"name": before}, after={"name": group.name},
    )  # fmt: skip
    return group


def delete_group(session: Session, *, actor: User | None, group_id: int) -> None:
    """Delete a group, refused (with the reason) for built-in groups and groups still in use."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    _authorize(actor)
    group = _group_row(session, group_id)
    if group.builtin:
        raise RoomDeskError("error.group_builtin", group=group.name)
    if group_id in addon.authorized_group_ids(session):
        raise RoomDeskError("error.group_authorized", group=group.name)
    rights = session.exec(select(sa.func.count()).where(RoomPermission.group_id == group_id)).one()
    if rights:
        raise RoomDeskError("error.group_has_rights", group=group.name, count=rights)
    members = [m for (m,) in session.execute(select(Membership.user_id).where(Membership.group_id == group_id))]
    session.execute(sa.delete(Membership).where(col(Membership.group_id) == group_id))
    session.delete(group)
    session.flush()
    audit.record(
        session, actor=actor, action="group.delete", entity="group", entity_id=group_id,
        before={"name": group.name, "members": members},
    )  # fmt: skip


def set_members(session: Session, *, actor: User | None, group_id: int, user_ids: list[int]) -> Group:
    """Replace a group's members; "All" and "None" cannot have members (their meaning is fixed)."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    _authorize(actor)
    group = _group_row(session, group_id)
    if group.name in NO_MEMBERS:
        raise RoomDeskError("error.group_no_members", group=group.name)
    for uid in user_ids:
        get_user(session, uid)
    before = sorted(m for (m,) in session.execute(select(Membership.user_id).where(Membership.group_id == group_id)))
    session.execute(sa.delete(Membership).where(col(Membership.group_id) == group_id))
    for uid in sorted(set(user_ids)):
        session.add(Membership(user_id=uid, group_id=group_id))
    session.flush()
    audit.record(
        session, actor=actor, action="group.members", entity="group", entity_id=group_id,
        before={"members": before}, after={"members": sorted(set(user_ids))},
    )  # fmt: skip
    return group


def find_group(session: Session, name: str) -> Group:
    group = session.exec(select(Group).where(Group.name == name.strip())).first()
    if group is None:
        raise NotFound("error.group_unknown", group=name)
    return group


def create_person(
    session: Session,
    *,
    actor: User | None,
    username: str,
    display_name: str,
    email: str | None,
    role: str,
    groups: tuple[str, ...],
    language: str | None,
    time_zone: str,
    password: str | None = None,
) -> User:
    """A new local user (admins only); without a password they sign in after a set-password link."""
    _authorize(actor)
    return auth.add_user(
        session,
        username=username,
        password=password,
        role=role,
        display_name=display_name,
        email=email,
        groups=groups,
        actor=actor,
        time_zone=time_zone,
        language=language,
    )
