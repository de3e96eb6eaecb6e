"""System settings kept in the database (admin-configured)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.access.permissions import require_role
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.models import Role, Setting, User

FORBID_OVERBOOKING = "forbid_overbooking"
DEMO_SEEDED = "demo_seeded"


def get_value(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Setting, key)
    return default if row is None else row.value


def put_value(session: Session, key: str, value: Any) -> None:
    """Store a setting without a permission check: for the system's own bookkeeping only."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    row = session.get(Setting, key) or Setting(key=key)
    row.value = value
    session.add(row)


def forbid_overbooking(session: Session) -> bool:
    return bool(get_value(session, FORBID_OVERBOOKING, False))


def set_forbid_overbooking(session: Session, *, user: User, forbid: bool) -> None:
    """Admins may turn the overbooking warning into a refusal."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    before = forbid_overbooking(session)
    put_value(session, FORBID_OVERBOOKING, forbid)
    audit.record(
        session,
        actor=user,
        action="settings.forbid_overbooking",
        entity="setting",
        entity_id=FORBID_OVERBOOKING,
        before={"value": before},
        after={"value": forbid},
    )
