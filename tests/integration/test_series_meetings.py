"""Series against the GoTo sandbox over HTTP: no meeting for the series, one per opened occurrence, the
worker's meetings ahead of time, and a converted appointment's link handed over or cleaned up."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.admin import worker
from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.db import session_scope
from core.kernel.models import Appointment, utcnow
from core.meetings import jobs as meetings
from core.series import occurrences
from core.series.booking import SeriesInput, save_series
from core.series.cleanup import clean_up_series, set_meetings_ahead_hours
from tests.integration.linking import linked_room

BERLIN = ZoneInfo("Europe/Berlin")
NOTE = "Agenda:\n- status"


def at_goto(goto, account: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {m.meeting_id: m for m in goto.client.upcoming_meetings(account)}


def series_data(setup, start: datetime, rule: str = "FREQ=WEEKLY;COUNT=6") -> SeriesInput:  # type: ignore[no-untyped-def]
    return SeriesInput(
        AppointmentInput(
            subject="Weekly review",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            time_zone="Europe/Berlin",
            note=NOTE,
            room_ids=(setup.room.id,),
        ),
        rule,
    )


def next_week(hour: int = 9) -> datetime:
    return datetime.combine(datetime.now(BERLIN).date() + timedelta(days=7), datetime.min.time(), BERLIN).replace(
        hour=hour
    )


def test_a_series_gets_no_meeting_and_an_opened_occurrence_gets_its_own(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    start = next_week()
    with session_scope(engine) as s:
        series = save_series(s, user=setup.admin, data=series_data(setup, start)).series
    assert meetings.run_due(engine, goto.client) == (0, 0) and at_goto(goto, setup.email) == {}
    third = start + timedelta(weeks=2)
    with session_scope(engine, immediate=True) as s:
        opened = occurrences.open_occurrence(s, user=setup.admin, series_id=series.id, start=third)
    state = meetings.sync_now(engine, goto.client, opened.id)
    [meeting] = at_goto(goto, setup.email).values()
    assert state.state == "created" and meeting.meeting_id == state.meeting_id
    assert (meeting.starts_at, meeting.ends_at) == (third, third + timedelta(hours=1))
    with session_scope(engine) as s:
        child, parent = s.get(Appointment, opened.id), s.get(Appointment, series.id)
        assert child.note.startswith(NOTE + "\n\n─── GoTo Meeting ───") and state.join_url in child.note
        assert parent.note == NOTE  # the series itself never shows a link
    with session_scope(engine, immediate=True) as s:  # a second click (or a colleague) opens the same one
        assert occurrences.open_occurrence(s, user=setup.admin, series_id=series.id, start=third).id == opened.id
    meetings.run_due(engine, goto.client)
    assert list(at_goto(goto, setup.email)) == [meeting.meeting_id]
    with session_scope(engine) as s:
        jobs = occurrences.delete_occurrence(s, user=setup.admin, series_id=series.id, start=third)
    assert [meetings.run_now(engine, goto.client, j) for j in jobs] == [True] and at_goto(goto, setup.email) == {}


def test_the_worker_opens_occurrences_starting_soon_and_creates_their_meetings(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    soon = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0).astimezone(BERLIN)
    with session_scope(engine) as s:
        series = save_series(s, user=setup.admin, data=series_data(setup, soon, "FREQ=DAILY;COUNT=3")).series
    assert "occurrences opened ahead: 0" in worker.run_pass(engine, goto)  # off by default
    assert at_goto(goto, setup.email) == {}
    with session_scope(engine) as s:
        set_meetings_ahead_hours(s, user=setup.admin, hours=24)
    report = worker.run_pass(engine, goto)
    assert "occurrences opened ahead: 1" in report and "meeting jobs done: 1" in report
    [meeting] = at_goto(goto, setup.email).values()
    assert meeting.starts_at == soon  # only the one starting within 24 hours; tomorrow's is 26 hours away
    assert "occurrences opened ahead: 0" in worker.run_pass(engine, goto)
    with session_scope(engine) as s:
        assert s.get(Appointment, series.id).note == NOTE


def test_a_converted_appointment_keeps_its_link_for_the_first_occurrence_then_cleanup_removes_it(
    engine: Engine, goto, sandbox
) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    start = next_week(10)
    with session_scope(engine) as s:
        appt = save_appointment(s, user=setup.admin, data=series_data(setup, start).appointment)
    first = meetings.sync_now(engine, goto.client, appt.id)
    with session_scope(engine) as s:
        save_series(s, user=setup.admin, data=series_data(setup, start), series_id=appt.id, expected_version=1)
    meetings.run_due(engine, goto.client)
    assert list(at_goto(goto, setup.email)) == [first.meeting_id]  # invitations already sent stay valid
    with session_scope(engine) as s:
        assert first.join_url in s.get(Appointment, appt.id).note
    with session_scope(engine) as s:
        assert [c.series_id for c in clean_up_series(s, actor=setup.admin, now=start + timedelta(hours=2))] == [appt.id]
    with session_scope(engine) as s:
        assert s.get(Appointment, appt.id).note == NOTE
        assert clean_up_series(s, actor=None, now=start + timedelta(hours=2)) == []
    with session_scope(engine, immediate=True) as s:  # every later occurrence only ever shows its own link
        opened = occurrences.open_occurrence(s, user=setup.admin, series_id=appt.id, start=start + timedelta(weeks=1))
    second = meetings.sync_now(engine, goto.client, opened.id)
    assert second.meeting_id != first.meeting_id
    with session_scope(engine) as s:
        note = s.get(Appointment, opened.id).note
        assert second.join_url in note and first.join_url not in note


def test_opening_the_first_occurrence_of_a_converted_appointment_reuses_its_meeting(
    engine: Engine, goto, sandbox
) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    start = next_week(11)
    with session_scope(engine) as s:
        appt = save_appointment(s, user=setup.admin, data=series_data(setup, start).appointment)
    first = meetings.sync_now(engine, goto.client, appt.id)
    with session_scope(engine) as s:
        save_series(s, user=setup.admin, data=series_data(setup, start), series_id=appt.id, expected_version=1)
    with session_scope(engine, immediate=True) as s:
        opened = occurrences.open_occurrence(s, user=setup.admin, series_id=appt.id, start=start)
    state = meetings.sync_now(engine, goto.client, opened.id)
    assert state.meeting_id == first.meeting_id and list(at_goto(goto, setup.email)) == [first.meeting_id]


def test_the_cli_imports_a_series_reports_its_conflicts_and_cleans_up(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from core.cli.main import app
    from core.kernel.config import get_settings
    from core.kernel.db import get_engine
    from core.kernel.models import GotoMeetingData
    from core.meetings.invitations import Invitation, render_invitation

    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    runner = CliRunner()
    csv = tmp_path / "bookings.csv"
    csv.write_text(
        "room,goto_account,subject,start,end,organizer,rrule,timezone\n"
        "Sales 1,,Standup,2026-03-02T09:00:00+01:00,2026-03-02T09:30:00+01:00,sara,"
        '"FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",Europe/Berlin\n'
        "Sales 1,,Customer call,2026-04-01T09:15:00+02:00,2026-04-01T10:00:00+02:00,sara,,\n"
    )
    result = runner.invoke(app, ["import", "bookings", str(csv), "--create-rooms"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["conflicts", "--from", "2026-03-01", "--to", "2026-04-30"])
    assert result.exit_code == 0, result.output
    assert "2026-04-01 07:15" in result.output and "Customer call · Standup" in result.output  # 09:15 summer time
    block = render_invitation(Invitation("https://example.test/join/1", "1"))
    with session_scope(get_engine()) as s:
        standup = s.exec(select(Appointment).where(Appointment.subject == "Standup")).one()
        standup.note += block
        s.add(standup)
        s.add(GotoMeetingData(appointment_id=standup.id, account="x@y.test", meeting_id="1", data={"block": block}))
    result = runner.invoke(app, ["series", "cleanup"])
    assert result.exit_code == 0 and "1 series cleaned up." in result.output, result.output
    assert "No series needs cleaning up." in runner.invoke(app, ["series", "cleanup"]).output
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.mark.postgres
def test_two_people_opening_one_occurrence_at_once_get_the_same_appointment_on_postgres(pg_engine: Engine) -> None:
    """Row locks do not exist for a row not yet written: the unique (series, recurrence id) index decides."""
    import threading

    from core.kernel.db import upgrade
    from tests.conftest import make_room, make_user

    upgrade(pg_engine)
    with session_scope(pg_engine) as s:
        user = make_user(s)
        room = make_room(s, bookable_by=user)
        start = next_week()
        series = save_series(
            s,
            user=user,
            data=SeriesInput(
                AppointmentInput(
                    subject="Weekly review", starts_at=start, ends_at=start + timedelta(hours=1), room_ids=(room.id,)
                ),
                "FREQ=WEEKLY;COUNT=4",
            ),
        ).series
    barrier, opened = threading.Barrier(4), []

    def open_it() -> None:
        barrier.wait()
        try:
            with session_scope(pg_engine) as s:
                opened.append(
                    occurrences.open_occurrence(s, user=user, series_id=series.id, start=start + timedelta(weeks=1)).id
                )
        except Exception as err:
            opened.append(repr(err))  # type: ignore[arg-type]

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(set(opened)) == 1, opened
    with session_scope(pg_engine) as s:
        assert len(s.exec(select(Appointment).where(Appointment.series_id == series.id)).all()) == 1


def test_deleting_the_first_occurrence_of_a_converted_appointment_deletes_its_meeting_and_invitation(
    engine: Engine, goto, sandbox
) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    start = next_week(12)
    with session_scope(engine) as s:
        appt = save_appointment(s, user=setup.admin, data=series_data(setup, start).appointment)
    first = meetings.sync_now(engine, goto.client, appt.id)
    with session_scope(engine) as s:
        save_series(s, user=setup.admin, data=series_data(setup, start), series_id=appt.id, expected_version=1)
    with session_scope(engine, immediate=True) as s:
        jobs = occurrences.delete_occurrence(s, user=setup.admin, series_id=appt.id, start=start)
    for job in jobs:
        meetings.run_now(engine, goto.client, job)
    assert first.meeting_id not in at_goto(goto, setup.email)
    with session_scope(engine) as s:
        series = s.get(Appointment, appt.id)
        assert series.note == NOTE and first.join_url not in series.note
        assert meetings.meeting_state(s, appt.id).state == "none"
