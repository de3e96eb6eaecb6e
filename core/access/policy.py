"""The one permission policy: may this user create, move or delete a booking (and so its meeting) on a room?

Every service that changes a booking or a GoTo meeting asks here, whichever path it comes from (saving an
appointment or a series, deleting one, opening or deleting an occurrence, the conflict desk, starting a
meeting, the import). The answer combines three rules:

- the role: admins and staff book rooms; support staff do not;
- the room: a booking right on every room involved (the one it leaves and the one it goes to); the desk also
  needs the organizer's right on the room a booking moves to, since the booking stays the organizer's;
- GoTo: every room is a GoTo account, so changing a booking is a GoTo action: only members of an authorized
  group (admins always); with a run-as user the action runs with that user's rights as well (run-as never
  widens them); external users only while a run-as user is set.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.access import addon
from core.access.addon import Acting
from core.access.permissions import bookable_room_ids, group_ids, require_role
from core.kernel.errors import PermissionDenied
from core.kernel.models import Role, Room, RoomPermission, User

BOOKING_ROLES = (Role.staff, Role.admin)


def holds_booking_right(session: Session, user: User, room_id: int) -> bool:
    """A booking right on the room, active or not (a booking may leave a room that was switched off)."""
    if user.role == Role.admin:
        return True
    grant = select(RoomPermission.id).where(
        RoomPermission.room_id == room_id,
        RoomPermission.may_book,
        (col(RoomPermission.user_id) == user.id) | col(RoomPermission.group_id).in_(group_ids(session, user)),
    )
    return session.exec(grant).first() is not None


def authorize_booking(
    session: Session,
    *,
    user: User | None,
    from_room: Room | None = None,
    to_room: Room | None = None,
    organizer: User | None = None,
) -> Acting:
    """May `user` change a booking: create it (`to_room`), delete it (`from_room`) or move it (both)?

    Returns who acts (the signed-in user and whose rights the GoTo action runs with); raises PermissionDenied
    with the reason otherwise. `organizer` (the conflict desk) must be able to book `to_room` as well.
    """
    user = require_role(user, *BOOKING_ROLES)
    if to_room is not None:
        if to_room.id not in bookable_room_ids(session, user):
            raise PermissionDenied("error.room_booking_denied", field="room", room=to_room.name)
        if (
            organizer is not None
            and organizer.id != user.id
            and to_room.id not in bookable_room_ids(session, organizer)
        ):
            raise PermissionDenied(
                "rules.organizer_cannot_book", field="room", room=to_room.name, user=organizer.display_name
            )
    leaving = from_room if from_room is not None and from_room != to_room else None
    if leaving is not None and leaving.id is not None and not holds_booking_right(session, user, leaving.id):
        raise PermissionDenied("error.room_booking_denied", field="room", room=leaving.name)
    if from_room is None and to_room is None:
        return Acting(user, user)  # no room involved: an ordinary appointment
    return _goto_acting(session, user, to_room)


def authorize_meeting_start(session: Session, *, user: User | None) -> Acting:
    """Starting or joining a meeting from Room Desk is a GoTo feature: authorized groups, run-as for externals."""
    user = require_role(user, *BOOKING_ROLES)
    return _goto_acting(session, user, None)


def authorize_import(user: User | None) -> None:
    """Importing bookings is an administrator's job; `None` is the operator at the command line."""
    if user is not None:
        require_role(user, Role.admin)


def rooms_to_move_to(session: Session, *, user: User, organizer: User | None) -> set[int]:
    """Rooms a booking of `organizer` may be moved into by `user`: both must be able to book them."""
    allowed = bookable_room_ids(session, user)
    if organizer is None or organizer.id == user.id:  # an imported booking may name nobody we know
        return allowed
    return allowed & bookable_room_ids(session, organizer)


def may_change_bookings(session: Session, user: User) -> bool:
    """Whether the user may change bookings at all (pages use this to offer the buttons; services enforce it)."""
    try:
        require_role(user, *BOOKING_ROLES)
        _goto_acting(session, user, None)
    except PermissionDenied:
        return False
    return True


def _goto_acting(session: Session, user: User, room: Room | None) -> Acting:
    addon.ensure_may_use_goto(session, user)
    with addon.run_as(session, user) as acting:  # externals without a run-as user are refused here
        if acting.switched:
            addon.ensure_may_use_goto(session, acting.effective)
            if room is not None and room.id not in bookable_room_ids(session, acting.effective):
                raise PermissionDenied(
                    "error.addon_run_as_cannot_book", field="room", user=acting.effective.display_name, room=room.name
                )
    return acting
