"""Reading the audit log (admins): filtered windows, what changed, and a CSV export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from core.access.addon import INTERNAL_FIELDS
from core.access.permissions import require_role
from core.kernel.errors import RoomDeskError, ValidationFailed
from core.kernel.i18n import translate
from core.kernel.models import AuditEntry, Role, User

PAGE_LIMIT, EXPORT_LIMIT, FACET_LIMIT = 500, 10_000, 200
HIDDEN = "(internal)"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    start: datetime
    end: datetime
    user_id: int | None = None  # as the signed-in or as the effective user
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    user: str
    effective_user: str  # empty when it is the signed-in user
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class AuditWindow:
    rows: list[AuditRow]
    more: bool  # more entries matched than were returned


def redact(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Internal fields (the meeting data) never leave the log, whatever an entry holds."""
    if values is None:
        return None
    return {k: HIDDEN if k in INTERNAL_FIELDS else v for k, v in values.items()}


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field whose value differs, in a stable order."""
    old, new = before or {}, after or {}
    return [(key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def _validate(filters: AuditFilter) -> None:
    problems = []
    if filters.start.tzinfo is None or filters.end.tzinfo is None:
        problems.append(RoomDeskError("error.audit_window_naive", field="start"))
    elif filters.end <= filters.start:
        problems.append(RoomDeskError("error.audit_window", field="end"))
    if problems:
        raise ValidationFailed(problems)


def _query(filters: AuditFilter) -> sa.Select[Any]:
    actor, effective = sa.orm.aliased(User), sa.orm.aliased(User)
    query = (
        select(AuditEntry, actor.display_name, effective.display_name)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .outerjoin(effective, effective.id == AuditEntry.effective_user_id)
        .where(AuditEntry.at >= filters.start, AuditEntry.at < filters.end)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if filters.user_id is not None:
        query = query.where(
            sa.or_(AuditEntry.actor_id == filters.user_id, AuditEntry.effective_user_id == filters.user_id)
        )
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.entity:
        query = query.where(AuditEntry.entity == filters.entity)
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id.strip())
    return query


def search(session: Session, *, user: User, filters: AuditFilter, limit: int = PAGE_LIMIT) -> AuditWindow:
    """The newest entries in the window that match, at most `limit` of them."""
    require_role(user, Role.admin)
    _validate(filters)
    found = session.exec(_query(filters).limit(limit + 1)).all()  # type: ignore[call-overload]
    rows = [
        AuditRow(
            e.id,
            e.at,
            actor or e.actor_name,
            effective if e.effective_user_id != e.actor_id else "",
            e.action,
            e.entity,
            e.entity_id or "",
            redact(e.before),
            redact(e.after),
        )
        for e, actor, effective in found[:limit]
    ]
    return AuditWindow(rows, more=len(found) > limit)


def facets(session: Session, *, user: User, start: datetime, end: datetime) -> tuple[list[str], list[str]]:
    """The actions and entities that occur in the window, for the filter choices."""
    require_role(user, Role.admin)
    window = sa.and_(AuditEntry.at >= start, AuditEntry.at < end)
    actions = session.exec(
        select(AuditEntry.action).where(window).distinct().order_by(AuditEntry.action).limit(FACET_LIMIT)
    ).all()
    entities = session.exec(
        select(AuditEntry.entity).where(window).distinct().order_by(AuditEntry.entity).limit(FACET_LIMIT)
    ).all()
    return list(actions), list(entities)


def _cell(value: Any) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; a leading apostrophe keeps them text."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: list[AuditRow], *, tz: str = "UTC") -> bytes:
    """The rows as CSV (UTF-8 with BOM, so spreadsheet programs detect the encoding); times in `tz`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "time", "user", "effective_user", "action", "entity", "entity_id", "before", "after"])
    zone = ZoneInfo(tz)
    for r in rows:
        writer.writerow(
            [
                r.id,
                r.at.astimezone(zone).isoformat(timespec="seconds"),
                _cell(r.user),
                _cell(r.effective_user or r.user),
                _cell(r.action),
                _cell(r.entity),
                _cell(r.entity_id),
                "" if r.before is None else _cell(r.before),
                "" if r.after is None else _cell(r.after),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def export_csv(session: Session, *, user: User, filters: AuditFilter, tz: str = "UTC") -> tuple[bytes, bool]:
    """The matching entries as CSV (at most EXPORT_LIMIT) and whether more matched."""
    window = search(session, user=user, filters=filters, limit=EXPORT_LIMIT)
    return to_csv(window.rows, tz=tz), window.more


def action_label(action: str, language: str) -> str:
    """What an action code means, in words (core/kernel/locales/audit.*.json); an unknown code as it is."""
    key = f"audit.action.{action}"
    text = translate(key, language)
    return action if text == key else text
