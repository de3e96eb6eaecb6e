"""Meetings on demand against the sandbox: create, update, move, delete; failures leave them pending."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.booking import start as starting
from core.booking.appointments import AppointmentInput, get_appointment, save_appointment
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.models import Appointment, MeetingJob
from core.meetings import jobs as meetings
from core.series.agenda import delete_appointment
from tests.conftest import at, make_user
from tests.goto.harness import SandboxAdmin
from tests.integration.linking import link_room, linkable_room, linked_room

NOTE = "Agenda:\n- one\n─── GoTo Meeting ───\n(not ours)\n"


@pytest.fixture
def control(sandbox):  # type: ignore[no-untyped-def]
    admin = SandboxAdmin(sandbox)
    yield admin
    admin.reset_faults()
    admin.http.close()


def save(engine: Engine, setup, *, room=None, appointment_id=None, version=None, **over):  # type: ignore[no-untyped-def]
    data = dict(
        subject="Customer <call>",
        starts_at=at(24),
        ends_at=at(25),
        note=NOTE,
        room_ids=(room or setup.room).id and ((room or setup.room).id,),
    )
    data.update(over)
    with session_scope(engine) as s:
        appt = save_appointment(
            s, user=setup.admin, data=AppointmentInput(**data), appointment_id=appointment_id, expected_version=version
        )
    return appt


def view(engine: Engine, setup, appointment_id: int):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return get_appointment(s, user=setup.admin, appointment_id=appointment_id)


def at_goto(goto, account: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {m.meeting_id: m for m in goto.client.upcoming_meetings(account)}


def test_saving_creates_the_meeting_and_writes_the_invitation_below_the_note(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    appt = save(engine, setup)
    state = meetings.sync_now(engine, goto.client, appt.id)
    assert state.state == "created"
    [meeting] = at_goto(goto, setup.email).values()
    assert meeting.meeting_id == state.meeting_id and meeting.subject == "Customer &lt;call&gt;"
    shown = view(engine, setup, appt.id)
    assert shown.note == NOTE  # the form shows the user's text, untouched
    assert state.join_url in shown.invitation and shown.invitation.startswith("\n\n─── GoTo Meeting ───")
    with session_scope(engine) as s:
        assert s.get(Appointment, appt.id).note == NOTE + shown.invitation


def test_changing_the_time_updates_the_meeting_and_a_resave_keeps_one_block(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    appt = save(engine, setup)
    first = meetings.sync_now(engine, goto.client, appt.id)
    save(engine, setup, appointment_id=appt.id, version=1, starts_at=at(26), ends_at=at(27))
    second = meetings.sync_now(engine, goto.client, appt.id)
    assert second.meeting_id == first.meeting_id and second.join_url == first.join_url
    assert at_goto(goto, setup.email)[first.meeting_id].starts_at == at(26)
    with session_scope(engine) as s:
        assert s.get(Appointment, appt.id).note.count("─── Room Desk ───") == 1


def test_moving_to_another_room_moves_the_meeting_between_accounts(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    other = linkable_room(engine, sandbox)
    other.admin = setup.admin
    link_room(engine, goto, other)
    appt = save(engine, setup)
    old = meetings.sync_now(engine, goto.client, appt.id)
    save(engine, setup, room=other.room, appointment_id=appt.id, version=1)
    new = meetings.sync_now(engine, goto.client, appt.id)
    assert at_goto(goto, setup.email) == {} and list(at_goto(goto, other.email)) == [new.meeting_id]
    assert new.meeting_id != old.meeting_id and new.join_url in view(engine, setup, appt.id).invitation


def test_removing_the_room_deletes_the_meeting_and_the_block(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    appt = save(engine, setup)
    meetings.sync_now(engine, goto.client, appt.id)
    save(engine, setup, appointment_id=appt.id, version=1, room_ids=())
    assert meetings.sync_now(engine, goto.client, appt.id).state == "none"
    assert at_goto(goto, setup.email) == {}
    with session_scope(engine) as s:
        assert s.get(Appointment, appt.id).note == NOTE


def test_deleting_the_appointment_deletes_the_meeting(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    appt = save(engine, setup)
    meetings.sync_now(engine, goto.client, appt.id)
    with session_scope(engine) as s:
        job = delete_appointment(s, user=setup.admin, appointment_id=appt.id, expected_version=1)
    assert meetings.run_now(engine, goto.client, job) and at_goto(goto, setup.email) == {}


def test_goto_failing_leaves_the_appointment_saved_and_the_meeting_pending_until_a_retry(
    engine: Engine, goto, sandbox, control
) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    control.fault("500", count=50)
    appt = save(engine, setup)
    state = meetings.sync_now(engine, goto.client, appt.id)
    assert state.state == "pending" and state.error and state.attempts == 1
    assert view(engine, setup, appt.id).subject == "Customer <call>"  # the save itself is not lost
    control.reset_faults()
    assert meetings.sync_now(engine, goto.client, appt.id).state == "created"
    assert len(at_goto(goto, setup.email)) == 1
    with session_scope(engine) as s:
        assert s.exec(select(MeetingJob)).all() == []


def test_an_ambiguous_create_timeout_never_makes_a_second_meeting(engine: Engine, goto, sandbox, control) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from core.goto import GotoClient

    setup = linked_room(engine, goto, sandbox)
    impatient = GotoClient(replace(goto.client.config, read_timeout=0.5), goto.tokens, sleep=lambda _: None)
    control.fault("stall", count=1, stall_seconds=2, path_prefix="/G2M/rest/meetings")
    appt = save(engine, setup)
    first = meetings.sync_now(engine, impatient, appt.id)  # GoTo got the create but its answer never came
    assert first.state == "pending"
    second = meetings.sync_now(engine, impatient, appt.id)  # searches the account before creating again
    impatient.close()
    assert second.state == "created" and len(at_goto(goto, setup.email)) == 1


def test_double_clicks_and_reruns_create_one_meeting(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    import threading

    setup = linked_room(engine, goto, sandbox)
    appt = save(engine, setup)
    threads = [threading.Thread(target=meetings.sync_now, args=(engine, goto.client, appt.id)) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    meetings.run_due(engine, goto.client)
    assert len(at_goto(goto, setup.email)) == 1


def test_the_organizer_gets_a_fresh_host_url_and_others_the_join_url(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    appt = save(engine, setup)
    state = meetings.sync_now(engine, goto.client, appt.id)
    with session_scope(engine) as s:
        guest = make_user(s)
        host = starting.start_meeting(s, user=setup.admin, appointment_id=appt.id, api=goto.client)
        other = starting.start_meeting(s, user=guest, appointment_id=appt.id, api=goto.client)
    assert host.as_host and host.url != state.join_url
    assert not other.as_host and other.url == state.join_url


def test_starting_while_the_account_runs_another_meeting_names_it_and_proposes_a_free_room(
    engine: Engine, goto, sandbox
) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    spare = linkable_room(engine, sandbox)
    spare.admin = setup.admin
    link_room(engine, goto, spare)
    running = save(engine, setup, subject="Board meeting")
    meetings.sync_now(engine, goto.client, running.id)
    later = save(engine, setup, subject="Sales call", starts_at=at(30), ends_at=at(31))
    meetings.sync_now(engine, goto.client, later.id)
    with session_scope(engine) as s:
        starting.start_meeting(s, user=setup.admin, appointment_id=running.id, api=goto.client)
    with pytest.raises(RoomDeskError) as caught, session_scope(engine) as s:
        starting.start_meeting(s, user=setup.admin, appointment_id=later.id, api=goto.client)
    message = caught.value.message("en")
    assert "Board meeting" in message and spare.room.name in message


def test_imported_bookings_of_linked_rooms_get_meetings_from_the_worker(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    import io

    from core.admin.importing import import_bookings

    setup = linked_room(engine, goto, sandbox)
    csv = (
        "room,goto_account,subject,start,end,organizer\n"
        f"{setup.room.name},{setup.email},Imported call,{at(48).isoformat()},{at(49).isoformat()},someone\n"
        f"{setup.room.name},{setup.email},Imported review,{at(50).isoformat()},{at(51).isoformat()},someone\n"
    )
    with session_scope(engine) as s:
        assert import_bookings(s, source=io.StringIO(csv), create_rooms=False).meetings_planned == 2
    with session_scope(engine) as s:
        assert (
            import_bookings(
                s, source=io.StringIO(csv.replace("Imported", "Quiet")), create_rooms=False, plan_meetings=False
            ).meetings_planned
            == 0
        )
    assert meetings.run_due(engine, goto.client) == (2, 0)
    assert sorted(m.subject for m in at_goto(goto, setup.email).values()) == ["Imported call", "Imported review"]


def test_reconcile_reports_both_kinds_of_drift_and_recreates_lost_meetings(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    from core.goto import MeetingSpec
    from core.meetings.reconcile import reconcile

    setup = linked_room(engine, goto, sandbox)
    appt = save(engine, setup)
    lost = meetings.sync_now(engine, goto.client, appt.id).meeting_id
    goto.client.delete_meeting(setup.email, lost)  # someone deleted it directly at GoTo
    stray = goto.client.create_meeting(setup.email, MeetingSpec("Made at GoTo", at(40), at(41)))
    report = reconcile(engine, goto.client)
    assert report.unknown_at_goto == [(setup.room.name, stray.meeting_id, "Made at GoTo")]
    assert report.missing_at_goto == [(setup.room.name, appt.id, "Customer <call>")] and report.repaired == 1
    meetings.run_due(engine, goto.client)
    state = meetings.sync_now(engine, goto.client, appt.id)
    assert state.state == "created" and state.meeting_id != lost
    assert state.meeting_id in at_goto(goto, setup.email) and stray.meeting_id in at_goto(goto, setup.email)
