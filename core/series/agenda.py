"""The agenda: appointments and the occurrences their series still hold in one list, and series-aware delete.

It sits above both appointments and series, so neither has to reach up into the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.access import policy
from core.booking.appointments import AgendaRow, held_room, list_single_appointments, load_for_change
from core.kernel import audit
from core.kernel.db import write_lock
from core.kernel.errors import NotFound
from core.kernel.models import Appointment, User
from core.meetings import jobs as meetings
from core.series.occurrences import before_delete
from core.series.views import occurrence_rows


def list_appointments(
    session: Session, *, user: User, start: datetime, end: datetime, mine_only: bool = False, limit: int = 500
) -> list[AgendaRow]:
    """Appointments and series occurrences overlapping [start, end), soonest first (a series as its occurrences)."""
    rows = list_single_appointments(session, user=user, start=start, end=end, mine_only=mine_only, limit=limit)
    rows += occurrence_rows(session, start=start, end=end, organizer_id=user.id if mine_only else None, limit=limit)
    return sorted(rows, key=lambda r: (r.start, r.id))[:limit]


def delete_appointment(session: Session, *, user: User, appointment_id: int, expected_version: int) -> int | None:
    """Delete an appointment (a series with its opened occurrences; an opened occurrence stays skipped) and its
    booking, unless someone changed it since it was loaded.

    Returns the job that deletes its GoTo meeting (run it after the commit), if it had one.
    """
    write_lock(session)  # reads, then writes: the write lock before the first read
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        raise NotFound("error.appointment_unknown")
    acting = policy.authorize_booking(session, user=user, from_room=held_room(session, appt))
    appt = load_for_change(session, appointment_id, expected_version)
    job_id = meetings.plan_delete(session, appointment_id)
    before_delete(session, appt)  # the opened occurrences' delete jobs are due now: the worker runs them
    audit.record(
        session,
        actor=user,
        action="appointment.delete",
        entity="appointment",
        entity_id=appt.id,
        before=audit.snapshot(appt),
        effective_user=acting.effective,
    )
    session.delete(appt)
    return job_id
