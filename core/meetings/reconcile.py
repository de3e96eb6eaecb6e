"""Compare Room Desk with GoTo: meetings only GoTo knows, and appointments whose meeting GoTo lost."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.goto import GotoApi, GotoError
from core.kernel.db import session_scope
from core.kernel.models import Appointment, GotoMeetingData, Room, RoomLink, utcnow
from core.meetings import jobs as meetings
from core.meetings import ledger


@dataclass
class ReconcileReport:
    unknown_at_goto: list[tuple[str, str, str]] = field(default_factory=list)  # room, meeting id, subject
    missing_at_goto: list[tuple[str, int, str]] = field(default_factory=list)  # room, appointment id, subject
    unreachable: list[tuple[str, str]] = field(default_factory=list)  # room, error
    repaired: int = 0


def reconcile(engine: Engine, api: GotoApi, *, repair: bool = True) -> ReconcileReport:
    """Report both kinds of drift; with `repair`, plan new meetings for the lost ones (never delete at GoTo)."""
    report = ReconcileReport()
    with session_scope(engine) as session:
        rooms = session.exec(
            select(Room.name, Room.goto_account)
            .join(RoomLink, RoomLink.room_id == Room.id)
            .where(RoomLink.status == "linked")
        ).all()
        ours = session.exec(
            select(GotoMeetingData.account, GotoMeetingData.meeting_id, Appointment.id, Appointment.subject)
            .join(Appointment, Appointment.id == GotoMeetingData.appointment_id)
            .where(Appointment.ends_at > utcnow(), GotoMeetingData.meeting_id.is_not(None))
        ).all()
    for name, account in rooms:
        try:
            upcoming = {m.meeting_id: m for m in api.upcoming_meetings(account)}  # type: ignore[arg-type]
        except GotoError as err:
            report.unreachable.append((name, str(err)))
            continue
        # Room Desk's own: stored on appointments, waiting for their delete, or made by a create still in the
        # ledger (its answer was lost; the worker settles it) - none of these is "not made by Room Desk".
        known = {meeting_id for acc, meeting_id, _, _ in ours if acc == account} | ledger.known_meeting_ids(
            engine,
            account,  # type: ignore[arg-type]
        )
        sent = ledger.open_creates(engine, account)  # type: ignore[arg-type]
        report.unknown_at_goto += [
            (name, mid, m.subject)
            for mid, m in upcoming.items()
            if mid not in known and not any(spec.matches(m) for spec in sent)
        ]
        for acc, meeting_id, appointment_id, subject in ours:
            if acc == account and meeting_id not in upcoming and api.get_meeting(account, meeting_id) is None:  # type: ignore[arg-type]
                report.missing_at_goto.append((name, appointment_id, subject))
    if repair and report.missing_at_goto:
        with session_scope(engine, immediate=True) as session:
            for _, appointment_id, _ in report.missing_at_goto:
                meetings.plan_sync(session, appointment_id)  # the job finds the meeting gone and creates a new one
        report.repaired = len(report.missing_at_goto)
    return report
