"""The audit log: who changed what, when, with the state before and after."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from core.kernel.models import AuditEntry, User


def snapshot(row: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """A JSON-safe picture of a row for the audit log (secrets never pass through here)."""
    out: dict[str, Any] = {}
    for key, value in row.model_dump(exclude=(exclude or set()) | {"password_hash"}).items():
        out[key] = value.isoformat() if isinstance(value, (datetime, date)) else value
    return out


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: object = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    effective_user: User | None = None,
) -> AuditEntry:
    """Add one audit entry to the caller's transaction, so it commits or rolls back with the change."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "system",
        effective_user_id=(effective_user or actor).id if (effective_user or actor) else None,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
