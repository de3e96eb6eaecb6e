"""Add-on settings and the GoTo permission rules: authorized groups, run-as user, external users, fields.

Who may use GoTo features (book rooms into appointments, create and start meetings, link accounts):
administrators always (they set the system up); everybody else only as a member of an authorized group.
"All" authorizes everybody, "None" nobody. With a run-as user set, Room Desk's own GoTo actions run with
that user's permissions: the run-as user must be able to book the room as well (run-as never widens what
the signed-in user may do). External users are not meant to use GoTo: they may save GoTo appointments only
while a run-as user is set, and then act as that user. Audit entries name both users.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlmodel import Session, select

from core.access.permissions import bookable_room_ids, group_ids, require_role
from core.access.settings import get_value, put_value
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, PermissionDenied, RoomDeskError, ValidationFailed
from core.kernel.models import GROUP_ALL, GROUP_EXTERNAL, GROUP_NONE, Group, Membership, Role, Room, User

AUTHORIZED_GROUPS, RUN_AS_USER = "goto.authorized_groups", "goto.run_as_user"


class FieldProtected(RoomDeskError):
    key = "error.field_internal"


@dataclass(frozen=True)
class ProvidedField:
    """A field Room Desk provides: `internal` ones are never shown or edited as ordinary fields."""

    name: str
    entity: str  # appointment | room
    label_key: str
    purpose_key: str
    internal: bool

    @property
    def visible(self) -> bool:
        return not self.internal


FIELDS = (
    ProvidedField(
        "goto_meeting_data",
        "appointment",
        "addon.field_meeting_data",
        "addon.field_meeting_data_purpose",
        internal=True,
    ),
    ProvidedField(
        "goto_account", "room", "addon.field_goto_account", "addon.field_goto_account_purpose", internal=False
    ),
)
INTERNAL_FIELDS = frozenset(f.name for f in FIELDS if f.internal)


def provided_field(name: str) -> ProvidedField:
    for field in FIELDS:
        if field.name == name:
            return field
    raise NotFound("error.field_unknown", field=name, name=name)


def field_visibility(name: str) -> bool:
    """Whether users see the field: the GoTo account on rooms yes, the internal meeting data never."""
    return provided_field(name).visible


def set_field_visible(session: Session, *, user: User, name: str, visible: bool) -> ProvidedField:
    """Refuses every change: the meeting data must stay hidden, the GoTo account must stay on rooms."""
    require_role(user, Role.admin)
    field = provided_field(name)
    if visible != field.visible:
        raise FieldProtected(
            "error.field_internal" if field.internal else "error.field_required", field=name, name=name
        )
    return field


@dataclass(frozen=True)
class Acting:
    """Who is signed in and whose permissions a GoTo action runs with."""

    signed_in: User
    effective: User

    @property
    def switched(self) -> bool:
        return self.effective.id != self.signed_in.id


_acting: ContextVar[Acting | None] = ContextVar("roomdesk_acting", default=None)


def current_acting() -> Acting | None:
    """The run-as context of the GoTo action in progress, if any."""
    return _acting.get()


@contextmanager
def run_as(session: Session, user: User) -> Iterator[Acting]:
    """Switch to the effective user for a block of GoTo work; always switches back, also on errors."""
    acting = Acting(user, effective_user(session, user))
    token = _acting.set(acting)
    try:
        yield acting
    finally:
        _acting.reset(token)


# --- pure rules ------------------------------------------------------------------------------------------


def validate_authorized_groups(names: list[str]) -> list[RoomDeskError]:
    """Illogical combinations, each with its reason: nothing chosen, "None" or "All" with other groups."""
    chosen = list(dict.fromkeys(names))
    others = ", ".join(n for n in chosen if n not in (GROUP_NONE, GROUP_ALL))
    if not chosen:
        return [RoomDeskError("error.addon_groups_empty", field="authorized_groups")]
    if GROUP_NONE in chosen and len(chosen) > 1:
        return [
            RoomDeskError(
                "error.addon_groups_none_combined",
                field="authorized_groups",
                others=", ".join(n for n in chosen if n != GROUP_NONE),
            )
        ]
    if GROUP_ALL in chosen and len(chosen) > 1:
        return [RoomDeskError("error.addon_groups_all_combined", field="authorized_groups", others=others)]
    return []


def externals_left_out(names: list[str], run_as_set: bool) -> bool:
    """External users are authorized (directly or through "All") but cannot save: no run-as user."""
    return not run_as_set and (GROUP_EXTERNAL in names or GROUP_ALL in names)


# --- reading the settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddonSettings:
    authorized_group_ids: tuple[int, ...]
    authorized_names: tuple[str, ...]
    run_as_user_id: int | None
    run_as_name: str | None
    warnings: tuple[RoomDeskError, ...]


def _group_names(session: Session, ids: list[int]) -> dict[int, str]:
    return {g.id: g.name for g in session.exec(select(Group).where(Group.id.in_(ids)))} if ids else {}  # type: ignore[misc]


def authorized_group_ids(session: Session) -> list[int]:
    """The stored choice; a fresh installation authorizes "All", so nothing changes until an admin decides."""
    stored = get_value(session, AUTHORIZED_GROUPS)
    if stored is None:
        everybody = session.exec(select(Group.id).where(Group.name == GROUP_ALL)).first()
        return [everybody] if everybody is not None else []
    return [int(i) for i in stored]


def run_as_user(session: Session) -> User | None:
    """The configured run-as user while they are active (a deactivated one no longer lends their rights)."""
    user_id = get_value(session, RUN_AS_USER)
    user = session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.active else None


def is_external(session: Session, user: User) -> bool:
    """Members of the built-in group "External"."""
    query = (
        select(Membership.user_id)
        .join(Group, Group.id == Membership.group_id)
        .where(Membership.user_id == user.id, Group.name == GROUP_EXTERNAL)
    )
    return session.exec(query).first() is not None


def may_use_goto(session: Session, user: User) -> bool:
    """Whether the user sees and uses GoTo features (pages use this to hide them; services enforce it)."""
    if not user.active:
        return False
    if user.role == Role.admin:
        return True
    names = _group_names(session, authorized_group_ids(session))
    if GROUP_NONE in names.values():
        return False
    return bool(set(names) & set(group_ids(session, user)))


def ensure_may_use_goto(session: Session, user: User) -> None:
    if not may_use_goto(session, user):
        raise PermissionDenied("error.addon_not_authorized", user=user.display_name)


def effective_user(session: Session, user: User) -> User:
    """Whose permissions the user's GoTo actions run with: the run-as user if one is set, else their own."""
    substitute = run_as_user(session)
    if substitute is None and is_external(session, user):
        raise PermissionDenied("error.addon_external_needs_run_as", user=user.display_name)
    return substitute or user


def settings_warnings(session: Session, names: list[str], substitute: User | None) -> list[RoomDeskError]:
    """What the settings page warns about: external users left out, a run-as user lacking rights."""
    found: list[RoomDeskError] = []
    if externals_left_out(names, substitute is not None):
        found.append(RoomDeskError("addon.warning_externals_cannot_save"))
    if substitute is not None:
        if not may_use_goto(session, substitute):
            found.append(RoomDeskError("addon.warning_run_as_not_authorized", user=substitute.display_name))
        rooms = session.exec(select(Room).where(Room.active, Room.goto_account.is_not(None))).all()  # type: ignore[union-attr]
        allowed = bookable_room_ids(session, substitute)
        missing = sorted(r.name for r in rooms if r.id not in allowed)
        if missing:
            found.append(
                RoomDeskError("addon.warning_run_as_rooms", user=substitute.display_name, rooms=", ".join(missing))
            )
    return found


def get_addon_settings(session: Session) -> AddonSettings:
    ids = authorized_group_ids(session)
    names = _group_names(session, ids)
    substitute = run_as_user(session)
    ordered = tuple(i for i in ids if i in names)
    return AddonSettings(
        ordered,
        tuple(names[i] for i in ordered),
        substitute.id if substitute else None,
        substitute.display_name if substitute else None,
        tuple(settings_warnings(session, list(names.values()), substitute)),
    )


# --- changing them (admins) ------------------------------------------------------------------------------


def set_authorized_groups(session: Session, *, user: User, group_ids: list[int]) -> AddonSettings:
    """Store the authorized groups; illogical combinations are refused with the reason."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    chosen = list(dict.fromkeys(group_ids))
    names = _group_names(session, chosen)
    unknown = [i for i in chosen if i not in names]
    if unknown:
        raise ValidationFailed([RoomDeskError("error.group_unknown", field="authorized_groups", group=unknown[0])])
    problems = validate_authorized_groups([names[i] for i in chosen])
    if problems:
        raise ValidationFailed(problems)
    before = get_addon_settings(session).authorized_names
    put_value(session, AUTHORIZED_GROUPS, chosen)
    audit.record(
        session,
        actor=user,
        action="goto.authorized_groups",
        entity="setting",
        entity_id=AUTHORIZED_GROUPS,
        before={"groups": list(before)},
        after={"groups": [names[i] for i in chosen]},
    )
    return get_addon_settings(session)


def set_run_as_user(session: Session, *, user: User, run_as_user_id: int | None) -> AddonSettings:
    """Set (or clear, with None) the run-as user: an active, internal user who may save appointments."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    target = session.get(User, run_as_user_id) if run_as_user_id is not None else None
    if run_as_user_id is not None:
        if target is None or not target.active:
            raise ValidationFailed([NotFound("error.user_unknown", field="run_as_user")])
        if is_external(session, target):
            raise ValidationFailed(
                [RoomDeskError("error.addon_run_as_external", field="run_as_user", user=target.display_name)]
            )
        if target.role not in (Role.admin, Role.staff):
            raise ValidationFailed(
                [RoomDeskError("error.addon_run_as_role", field="run_as_user", user=target.display_name)]
            )
    before = get_value(session, RUN_AS_USER)
    put_value(session, RUN_AS_USER, run_as_user_id)
    audit.record(
        session,
        actor=user,
        action="goto.run_as_user",
        entity="setting",
        entity_id=RUN_AS_USER,
        before={"user_id": before},
        after={"user_id": run_as_user_id},
    )
    return get_addon_settings(session)


def save_goto_features(
    session: Session, *, user: User, group_ids: list[int], run_as_user_id: int | None
) -> AddonSettings:
    """The Settings form's one save: what changed is stored, all of it or (on a refusal) nothing."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    current = get_addon_settings(session)
    if list(dict.fromkeys(group_ids)) != list(current.authorized_group_ids):
        set_authorized_groups(session, user=user, group_ids=group_ids)
    if run_as_user_id != current.run_as_user_id:
        set_run_as_user(session, user=user, run_as_user_id=run_as_user_id)
    return get_addon_settings(session)
