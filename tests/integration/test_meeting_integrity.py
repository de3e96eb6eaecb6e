"""Issue 12, one defect per test, one thread, against the sandbox: exactly one GoTo meeting per appointment.

Each test loses a GoTo answer *after* GoTo did the work (tests/integration/faulty.py), or interleaves a
second database connection at the exact statement where the defect struck, and checks what GoTo holds.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.booking.appointments import AppointmentInput, get_appointment, save_appointment
from core.conflicts import desk as conflict_desk
from core.kernel.db import session_scope
from core.kernel.errors import NotFound, StaleAppointment
from core.kernel.models import Appointment, MeetingJob, RoomLink, utcnow
from core.meetings import jobs as meetings
from core.meetings.reconcile import reconcile
from core.series.agenda import delete_appointment
from tests.conftest import at
from tests.goto.harness import SandboxAdmin
from tests.integration.faulty import faulty_client
from tests.integration.linking import link_room, linkable_room, linked_room

NOTE = "Agenda:\n- one\n"


@pytest.fixture
def lossy(goto):  # type: ignore[no-untyped-def]
    client, transport = faulty_client(goto)
    yield client, transport
    client.close()


@pytest.fixture
def control(sandbox):  # type: ignore[no-untyped-def]
    admin = SandboxAdmin(sandbox)
    yield admin
    admin.reset_faults()
    admin.http.close()


@pytest.fixture
def two_rooms(engine: Engine, goto, sandbox):  # type: ignore[no-untyped-def]
    first = linked_room(engine, goto, sandbox)
    second = linkable_room(engine, sandbox)
    second.admin = first.admin
    link_room(engine, goto, second)
    return first, second


def save(engine: Engine, setup, *, room=None, appointment_id=None, version=None, **over):  # type: ignore[no-untyped-def]
    data = dict(
        subject="Customer call", starts_at=at(24), ends_at=at(25), note=NOTE, room_ids=((room or setup.room).id,)
    )
    data.update(over)
    with session_scope(engine) as s:
        return save_appointment(
            s, user=setup.admin, data=AppointmentInput(**data), appointment_id=appointment_id, expected_version=version
        )


def at_goto(goto, account: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {m.meeting_id: m for m in goto.client.upcoming_meetings(account)}


def drain(engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
    """The worker after the backoff has passed (and any lease of a runner that died has run out)."""
    for _ in range(10):
        with session_scope(engine) as s:
            s.execute(sa.update(MeetingJob).values(next_attempt_at=utcnow() - timedelta(seconds=1), claimed_until=None))
            if not s.exec(select(MeetingJob.id)).first():
                return
        meetings.run_due(engine, api)
    with session_scope(engine) as s:
        assert s.exec(select(MeetingJob)).all() == []


def shown(engine: Engine, setup, appointment_id: int):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return get_appointment(s, user=setup.admin, appointment_id=appointment_id)


def lost_create(engine: Engine, setup, lossy, kind: str = "500"):  # type: ignore[no-untyped-def]
    """An appointment whose create reached GoTo but whose answer was lost; returns it."""
    client, transport = lossy
    appt = save(engine, setup)
    transport.lose("POST", "/meetings", kind)
    assert meetings.sync_now(engine, client, appt.id).state == "pending"
    assert len(at_goto_of(setup)) == 1  # GoTo did make it
    return appt


def at_goto_of(setup):  # type: ignore[no-untyped-def]
    return setup.goto_meetings()


@pytest.fixture
def linked(engine: Engine, goto, sandbox):  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    setup.goto_meetings = lambda: at_goto(goto, setup.email)  # type: ignore[attr-defined]
    return setup


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": at(26), "ends_at": at(27)},
        {"subject": "Customer call (moved to the big screen)"},
    ],
    ids=["time", "subject"],
)
def test_an_unanswered_create_then_an_edit_leaves_exactly_one_matching_meeting(
    engine: Engine, goto, linked, lossy, change
) -> None:  # type: ignore[no-untyped-def]
    client, transport = lossy
    appt = lost_create(engine, linked, lossy)
    save(engine, linked, appointment_id=appt.id, version=1, **change)
    drain(engine, client)
    [meeting] = at_goto(goto, linked.email).values()
    wanted = {"starts_at": at(24), "ends_at": at(25), "subject": "Customer call"} | change
    assert (meeting.starts_at, meeting.ends_at, meeting.subject) == (
        wanted["starts_at"],
        wanted["ends_at"],
        wanted["subject"],
    )
    view = shown(engine, linked, appt.id)
    assert view.meeting.state == "created" and view.meeting.meeting_id == meeting.meeting_id
    assert view.meeting.join_url in transport.join_urls  # a link GoTo gave, never one made up
    assert view.note == NOTE


def test_an_unanswered_create_then_removing_the_room_leaves_no_meeting(engine: Engine, goto, linked, lossy) -> None:  # type: ignore[no-untyped-def]
    client, _ = lossy
    appt = lost_create(engine, linked, lossy, "timeout")
    save(engine, linked, appointment_id=appt.id, version=1, room_ids=())
    drain(engine, client)
    assert at_goto(goto, linked.email) == {}
    assert shown(engine, linked, appt.id).note == NOTE


def test_an_unanswered_create_then_deleting_the_appointment_leaves_no_meeting(
    engine: Engine, goto, linked, lossy
) -> None:  # type: ignore[no-untyped-def]
    client, _ = lossy
    appt = lost_create(engine, linked, lossy)
    with session_scope(engine) as s:
        job = delete_appointment(s, user=linked.admin, appointment_id=appt.id, expected_version=1)
    meetings.run_now(engine, client, job)
    drain(engine, client)  # the ledger entry outlived the appointment and settles it
    assert at_goto(goto, linked.email) == {}


def test_an_unanswered_create_then_moving_the_room_leaves_one_meeting_on_the_new_account(
    engine: Engine, goto, two_rooms, lossy
) -> None:  # type: ignore[no-untyped-def]
    client, transport = lossy
    first, second = two_rooms
    appt = save(engine, first)
    transport.lose("POST", "/meetings")
    meetings.sync_now(engine, client, appt.id)
    save(engine, first, room=second.room, appointment_id=appt.id, version=1)
    drain(engine, client)
    assert at_goto(goto, first.email) == {} and len(at_goto(goto, second.email)) == 1


def test_reconcile_counts_a_meeting_from_an_unanswered_create_as_room_desks(
    engine: Engine, goto, linked, lossy
) -> None:  # type: ignore[no-untyped-def]
    client, _ = lossy
    lost_create(engine, linked, lossy)
    report = reconcile(engine, client, repair=False)
    assert report.unknown_at_goto == []  # not "not made by Room Desk": the ledger remembers sending it
    drain(engine, client)
    assert len(at_goto(goto, linked.email)) == 1


def move(engine: Engine, setup, appointment_id: int, room_id: int, api) -> None:  # type: ignore[no-untyped-def]
    """Move on the Conflicts page: the appointment's booking into another room."""
    from core.kernel.models import Booking

    with session_scope(engine) as s:
        booking_id = s.exec(select(Booking.id).where(Booking.appointment_id == appointment_id)).one()
    conflict_desk.move_booking(engine, user=setup.admin, booking_id=booking_id, room_id=room_id, api=api)


def test_a_second_move_after_an_unanswered_create_makes_no_second_meeting(
    engine: Engine, goto, two_rooms, lossy
) -> None:  # type: ignore[no-untyped-def]
    client, transport = lossy
    first, second = two_rooms
    appt = save(engine, first)
    meetings.sync_now(engine, client, appt.id)
    transport.lose("POST", "/meetings")
    try:  # GoTo made the meeting but its answer was lost
        move(engine, first, appt.id, second.room.id, client)
    except conflict_desk.MoveFailed:
        move(engine, first, appt.id, second.room.id, client)
    assert len(at_goto(goto, second.email)) == 1
    drain(engine, client)
    [meeting] = at_goto(goto, second.email).values()
    assert at_goto(goto, first.email) == {}
    assert shown(engine, first, appt.id).meeting.meeting_id == meeting.meeting_id


def test_a_save_made_while_the_job_runs_reaches_goto(engine: Engine, goto, linked, lossy) -> None:  # type: ignore[no-untyped-def]
    client, transport = lossy
    appt = save(engine, linked)

    def user_saves_meanwhile() -> None:
        save(engine, linked, appointment_id=appt.id, version=1, starts_at=at(30), ends_at=at(31))

    transport.meanwhile("POST", "/meetings", during=user_saves_meanwhile)
    state = meetings.sync_now(engine, client, appt.id)
    [meeting] = at_goto(goto, linked.email).values()
    assert state.state == "created" and meeting.starts_at == at(30)


def _interleave(engine: Engine, statement_prefix: str):  # type: ignore[no-untyped-def]
    """Just before the first statement starting with `statement_prefix`, another connection commits a write."""
    path = engine.url.database
    fired: list[bool] = []

    def other_connection_writes(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if fired or not statement.startswith(statement_prefix):
            return
        fired.append(True)
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            other.execute("INSERT INTO setting(key, value) VALUES ('probe', '1')")
            fired.append(False)  # it got in: the transaction under test did not hold the write lock
        except sqlite3.OperationalError:
            pass  # refused: the transaction under test holds the write lock, as it should
        finally:
            other.close()

    sa.event.listen(engine, "before_cursor_execute", other_connection_writes)
    return fired


def test_deleting_an_appointment_never_fails_with_database_is_locked(engine: Engine, linked) -> None:  # type: ignore[no-untyped-def]
    appt = save(engine, linked)
    fired = _interleave(engine, "UPDATE appointment")
    with session_scope(engine) as s:  # an ordinary transaction, as any page opens it
        delete_appointment(s, user=linked.admin, appointment_id=appt.id, expected_version=1)
    assert fired == [True]
    with session_scope(engine) as s:
        assert s.get(Appointment, appt.id) is None


def test_deleting_after_the_cancellation_check_in_the_same_transaction_never_fails_either(
    engine: Engine, linked
) -> None:  # type: ignore[no-untyped-def]
    """As the Appointments page deletes: look for an invitation to cancel, then delete, in one transaction."""
    from core.meetings import mail

    appt = save(engine, linked)
    fired = _interleave(engine, "UPDATE appointment")
    with session_scope(engine) as s:
        assert mail.cancel_invitation(s, user=linked.admin, appointment_id=appt.id) is None  # nobody was invited
        delete_appointment(s, user=linked.admin, appointment_id=appt.id, expected_version=1)
    assert fired == [True]
    with session_scope(engine) as s:
        assert s.get(Appointment, appt.id) is None


def test_recording_a_goto_failure_never_fails_with_database_is_locked(engine: Engine, goto, linked, control) -> None:  # type: ignore[no-untyped-def]
    appt = save(engine, linked)
    control.fault("503", count=20, path_prefix="/G2M/rest/meetings")  # refused before any effect
    fired = _interleave(engine, "UPDATE meeting_job SET attempts")
    state = meetings.sync_now(engine, goto.client, appt.id)  # no raw exception after the committed save
    assert fired == [True]
    assert state.state == "pending" and state.attempts == 1 and state.error
    with session_scope(engine) as s:
        job = s.exec(select(MeetingJob).where(MeetingJob.appointment_id == appt.id)).one()
    assert job.claimed_until is None  # not left claimed for minutes


def test_a_deleted_appointments_id_is_never_handed_out_again(engine: Engine, linked) -> None:  # type: ignore[no-untyped-def]
    gone = save(engine, linked, subject="Deleted soon")
    with session_scope(engine) as s:
        delete_appointment(s, user=linked.admin, appointment_id=gone.id, expected_version=1)
    fresh = save(engine, linked, subject="Someone else's", note="their notes")
    assert fresh.id != gone.id
    with pytest.raises((NotFound, StaleAppointment)):  # the editor still open on the deleted one
        save(engine, linked, appointment_id=gone.id, version=1, subject="stale form", note="overwrites?")
    with session_scope(engine) as s:
        assert s.get(Appointment, fresh.id).note == "their notes"


def test_a_job_failing_with_a_non_goto_error_is_recorded_retried_and_given_up(engine: Engine, linked, goto) -> None:  # type: ignore[no-untyped-def]
    appt = save(engine, linked)
    with session_scope(engine) as s:  # as after a key change: the stored token cannot be decrypted any more
        link = s.get(RoomLink, linked.room.id)
        link.access_token = "not-a-fernet-token"
        s.add(link)
    state = meetings.sync_now(engine, goto.client, appt.id)
    assert state.state == "pending" and state.attempts == 1 and state.error
    with session_scope(engine) as s:
        job = s.exec(select(MeetingJob).where(MeetingJob.appointment_id == appt.id)).one()
    assert job.claimed_until is None  # not left claimed
    for _ in range(meetings.MAX_ATTEMPTS):
        with session_scope(engine) as s:
            s.execute(sa.update(MeetingJob).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        meetings.run_due(engine, goto.client)
    failed = shown(engine, linked, appt.id).meeting
    assert failed.state == "failed" and failed.attempts == meetings.MAX_ATTEMPTS
    assert meetings.run_due(engine, goto.client) == (0, 0)  # given up: no longer claimed forever


def test_an_appointment_that_is_over_gets_no_meeting(engine: Engine, goto, linked) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    appt = save(engine, linked, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=2))
    assert meetings.sync_now(engine, goto.client, appt.id).state == "none"
    assert goto.client.historical_meetings(linked.email, now - timedelta(days=1), now) == []
    assert at_goto(goto, linked.email) == {}


def test_upgrading_an_existing_database_keeps_every_booking_and_stops_reusing_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.kernel.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0009")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO room(name, description, active, created_at) VALUES ('R', '', 1, '2026-01-01')"
        )
        for subject in ("kept", "newest, deleted"):
            conn.exec_driver_sql(
                "INSERT INTO appointment(subject, starts_at, ends_at, time_zone, organizer_name, note, external_emails,"
                " version, created_at, updated_at, exclusions) VALUES (?, '2026-12-07 09:00', '2026-12-07 10:00',"
                " 'UTC', '', 'notes', '', 1, '2026-12-01', '2026-12-01', '[]')",
                (subject,),
            )
        conn.exec_driver_sql(
            "INSERT INTO booking(appointment_id, room_id, starts_at, ends_at) VALUES (1, 1, '2026-12-07 09:00', "
            "'2026-12-07 10:00')"
        )
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT appointment_id FROM booking").all() == [(1,)]
        conn.exec_driver_sql("DELETE FROM appointment WHERE id = 2")
        conn.exec_driver_sql(
            "INSERT INTO appointment(subject, starts_at, ends_at, time_zone, organizer_name, note, external_emails,"
            " version, created_at, updated_at, exclusions) VALUES ('new', '2026-12-07 09:00', '2026-12-07 10:00',"
            " 'UTC', '', '', '', 1, '2026-12-01', '2026-12-01', '[]')"
        )
        assert conn.exec_driver_sql("SELECT id FROM appointment WHERE subject = 'new'").scalar() == 3
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
