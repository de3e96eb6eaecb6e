"""Activation requests: admins ask for their redirect URL to be registered at GoTo; support staff do it.

A request is about one URL. Only the system's *current* redirect URL can be registered: once the token is
regenerated or the address changes, older requests count as superseded (a newer request also marks them so).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, select

from core.access.external_access import get_external_access, record_activation
from core.access.permissions import require_role
from core.access.settings import get_value, put_value
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import NotFound, RoomDeskError, ValidationFailed
from core.kernel.models import ActivationRequest, Role, User, utcnow

PENDING, REGISTERED, SUPERSEDED, REJECTED = "pending", "registered", "superseded", "rejected"
STATUSES = (PENDING, REGISTERED, SUPERSEDED, REJECTED)
SYSTEM_NAME = "external.system_name"
# The developer-center steps support staff follow (translation keys, in order).
DEVELOPER_CENTER_STEPS = (
    "activation.step_sign_in",
    "activation.step_clients",
    "activation.step_edit",
    "activation.step_add",
    "activation.step_sign_out",
)

Registrar = Callable[[str], None]
"""Registers a redirect URL with GoTo's OAuth client (raising RegistrationFailed); only the sandbox can be
driven this way: real GoTo's developer center has no API, support staff do it by hand."""


class RegistrationFailed(Exception):
    """A registrar could not register the URL."""


def sandbox_registrar(data_dir: Path) -> Registrar:
    """Register URLs with the GoTo sandbox's OAuth client (its developer center), kept under `data_dir`."""
    from core.goto.sandbox import register_redirect_uri

    def register(url: str) -> None:
        try:
            register_redirect_uri(data_dir, url)
        except (OSError, ValueError, LookupError, sqlite3.Error) as err:
            raise RegistrationFailed(str(err)) from err

    return register


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def url_hint(url: str) -> str:
    """The URL with its token masked: enough to recognise it, useless to forge a callback."""
    head, _, token = url.partition("?token=")
    return f"{head}?token={token[:4]}…" if token else head


def effective_status(stored: str, is_current: bool) -> str:
    """A pending or registered URL that is no longer the system's redirect URL is superseded."""
    return SUPERSEDED if stored in (PENDING, REGISTERED) and not is_current else stored


@dataclass(frozen=True)
class RequestView:
    id: int
    system_name: str
    url: str  # the full URL while it is current, otherwise the masked hint
    is_current: bool
    status: str
    contact: str
    note: str
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None
    decided_by: str
    registered_via: str
    reason: str


@dataclass(frozen=True)
class ActivationState:
    """What the admin's settings show about the current redirect URL."""

    state: str  # not_configured | active | pending | rejected | not_requested
    request: RequestView | None


def _current(session: Session) -> tuple[str | None, str | None]:
    url = get_external_access(session).redirect_url
    return url, url_hash(url) if url else None


def _view(row: ActivationRequest, current_url: str | None, current_hash: str | None) -> RequestView:
    is_current = current_hash is not None and row.url_hash == current_hash
    return RequestView(
        row.id,
        row.system_name,
        current_url if is_current else row.url_hint,  # type: ignore[arg-type]
        is_current,
        effective_status(row.status, is_current),
        row.contact,
        row.note,
        row.requested_at,
        row.requested_by_name,
        row.decided_at,
        row.decided_by_name,
        row.registered_via,
        row.reason,
    )


def _status_filter(status: str, current_hash: str | None) -> sa.ColumnElement[bool]:
    is_current = ActivationRequest.url_hash == current_hash if current_hash else sa.false()
    open_ = ActivationRequest.status.in_((PENDING, REGISTERED))
    if status in (PENDING, REGISTERED):
        return sa.and_(ActivationRequest.status == status, is_current)
    if status == SUPERSEDED:
        return sa.or_(ActivationRequest.status == SUPERSEDED, sa.and_(open_, sa.not_(is_current)))
    return ActivationRequest.status == status


def list_requests(session: Session, *, user: User, status: str | None = None, limit: int = 200) -> list[RequestView]:
    """The newest requests first (at most `limit`), optionally only those with one status."""
    require_role(user, Role.support, Role.admin)
    url, digest = _current(session)
    query = select(ActivationRequest).order_by(ActivationRequest.requested_at.desc(), ActivationRequest.id.desc())
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed([RoomDeskError("error.activation_status_unknown", field="status", status=status)])
        query = query.where(_status_filter(status, digest))
    return [_view(row, url, digest) for row in session.exec(query.limit(limit))]


def pending_urls(session: Session, *, user: User) -> list[str]:
    """Every URL waiting to be registered, ready to paste into the developer center."""
    return list(dict.fromkeys(r.url for r in list_requests(session, user=user, status=PENDING)))


def activation_state(session: Session) -> ActivationState:
    access = get_external_access(session)
    if access.redirect_url is None:
        return ActivationState("not_configured", None)
    url, digest = _current(session)
    row = session.exec(
        select(ActivationRequest).where(ActivationRequest.url_hash == digest).order_by(ActivationRequest.id.desc())
    ).first()
    view = _view(row, url, digest) if row else None
    if access.activation_valid:
        return ActivationState("active", view)
    if view is None or view.status not in (PENDING, REJECTED):
        return ActivationState("not_requested", view)
    return ActivationState(view.status, view)


def default_system_name(session: Session) -> str:
    """The name used last, else the host of the system address."""
    return get_value(session, SYSTEM_NAME) or urlsplit(get_external_access(session).system_address).hostname or ""


def file_request(session: Session, *, user: User, system_name: str, contact: str = "", note: str = "") -> RequestView:
    """Ask support to register the current redirect URL; older requests of the system become superseded."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.admin)
    url, digest = _current(session)
    name, contact, note = system_name.strip(), contact.strip(), note.strip()
    problems = []
    if url is None:
        problems.append(RoomDeskError("error.activation_no_url", field="redirect_url"))
    if not name:
        problems.append(RoomDeskError("error.activation_system_required", field="system_name"))
    for field, value, limit in (("system_name", name, 120), ("contact", contact, 254), ("note", note, 500)):
        if len(value) > limit:
            problems.append(RoomDeskError("error.too_long", field=field, max=limit))
    if problems:
        raise ValidationFailed(problems)
    if get_external_access(session).activation_valid:
        raise RoomDeskError("error.activation_already_active")
    waiting = session.exec(
        select(ActivationRequest.id).where(ActivationRequest.url_hash == digest, ActivationRequest.status == PENDING)
    ).first()
    if waiting is not None:
        raise RoomDeskError("error.activation_already_requested", id=waiting)
    row = ActivationRequest(
        system_name=name,
        url_hash=digest,
        url_hint=url_hint(url),
        contact=contact,
        note=note,
        requested_by_id=user.id,
        requested_by_name=user.display_name,
    )
    session.add(row)
    session.flush()
    older = session.exec(
        select(ActivationRequest).where(
            ActivationRequest.system_name == name,
            ActivationRequest.id != row.id,
            ActivationRequest.status.in_((PENDING, REGISTERED)),
        )
    ).all()
    for old in older:
        old.status, old.superseded_by_id = SUPERSEDED, row.id
        session.add(old)
    put_value(session, SYSTEM_NAME, name)
    audit.record(
        session,
        actor=user,
        action="activation_request.filed",
        entity="activation_request",
        entity_id=row.id,
        after={"system": name, "url": row.url_hint, "contact": contact, "superseded": [o.id for o in older]},
    )
    return _view(row, url, digest)


def _open_request(session: Session, request_id: int) -> tuple[ActivationRequest, RequestView]:
    row = session.get(ActivationRequest, request_id)
    if row is None:
        raise NotFound("error.activation_unknown", id=request_id)
    view = _view(row, *_current(session))
    return row, view


def mark_registered(
    session: Session, *, user: User, request_id: int, register: Registrar | None, steps_confirmed: bool = False
) -> RequestView:
    """Support confirms the URL is registered at GoTo; with the sandbox it is registered here and now."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.support)
    row, view = _open_request(session, request_id)
    if view.status != PENDING:
        raise RoomDeskError(
            "error.activation_outdated" if view.status == SUPERSEDED else "error.activation_not_pending",
            id=request_id,
            status=view.status,
        )
    if register is None and not steps_confirmed:
        raise ValidationFailed([RoomDeskError("error.activation_steps_unconfirmed", field="steps")])
    if register is not None:
        try:
            register(view.url)
        except RegistrationFailed as err:
            raise RoomDeskError("error.activation_register_failed", detail=str(err)) from err
    row.status, row.decided_at, row.decided_by_id, row.decided_by_name = (
        REGISTERED,
        utcnow(),
        user.id,
        user.display_name,
    )
    row.registered_via = "manual" if register is None else "sandbox"
    session.add(row)
    record_activation(session, url=view.url, actor=user)
    audit.record(
        session,
        actor=user,
        action="activation_request.registered",
        entity="activation_request",
        entity_id=row.id,
        before={"status": PENDING},
        after={"status": REGISTERED, "via": row.registered_via},
    )
    return _view(row, *_current(session))


def reject(session: Session, *, user: User, request_id: int, reason: str) -> RequestView:
    """Support turns a request down; the reason is shown to the admin who asked."""
    write_lock(session)  # reads, then writes: the write lock before the first read
    require_role(user, Role.support)
    row, view = _open_request(session, request_id)
    reason = reason.strip()
    if row.status != PENDING:
        raise RoomDeskError("error.activation_not_pending", id=request_id, status=view.status)
    if not reason:
        raise ValidationFailed([RoomDeskError("error.activation_reason_required", field="reason")])
    if len(reason) > 500:
        raise ValidationFailed([RoomDeskError("error.too_long", field="reason", max=500)])
    row.status, row.reason = REJECTED, reason
    row.decided_at, row.decided_by_id, row.decided_by_name = utcnow(), user.id, user.display_name
    session.add(row)
    audit.record(
        session,
        actor=user,
        action="activation_request.rejected",
        entity="activation_request",
        entity_id=row.id,
        before={"status": PENDING},
        after={"status": REJECTED, "reason": reason},
    )
    return _view(row, *_current(session))
