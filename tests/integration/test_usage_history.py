"""History from the sandbox over real HTTP: collected idempotently through faults, and the Usage numbers match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.kernel.db import session_scope
from core.kernel.models import GotoMeetingData, HistoryCursor, MeetingSession
from core.reporting import history
from core.reporting.usage import compute_usage
from tests.conftest import make_booking
from tests.goto.harness import SandboxAdmin
from tests.integration.linking import linked_room


@pytest.fixture
def control(sandbox):  # type: ignore[no-untyped-def]
    admin = SandboxAdmin(sandbox)
    yield admin
    admin.reset_faults()
    admin.http.close()


def record(control: SandboxAdmin, email: str, start: datetime, minutes: int, people: int, subject: str) -> str:
    """A finished session on the account, as GoTo would report it; its meeting id."""
    answer = control.http.post(
        f"/_sandbox/accounts/{email}/sessions",
        json={
            "subject": subject,
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=minutes)).isoformat(),
            "attendees": [{"name": f"Guest {k}", "email": f"g{k}@example.org"} for k in range(people)],
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["meeting_id"])


def test_collected_history_gives_the_usage_the_sandbox_recorded(  # type: ignore[no-untyped-def]
    engine: Engine, goto, sandbox, control: SandboxAdmin
) -> None:
    setup = linked_room(engine, goto, sandbox)
    day = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=2)
    with session_scope(engine) as s:
        make_booking(s, setup.room, day, day + timedelta(hours=1), "Held")  # held: 50 minutes, 3 people
        make_booking(s, setup.room, day + timedelta(hours=2), day + timedelta(hours=3), "Nobody came")  # no-show
        make_booking(s, setup.room, day + timedelta(hours=4), day + timedelta(hours=5), "Long one")  # overruns
        make_booking(s, setup.room, day + timedelta(hours=5), day + timedelta(hours=6), "Squeezed")  # no session
    record(control, setup.email, day + timedelta(minutes=5), 50, 3, "Held")
    record(control, setup.email, day + timedelta(hours=4), 80, 2, "Long one")
    record(control, setup.email, day + timedelta(hours=7), 30, 1, "Someone with the password")  # unbooked use

    # GoTo fails for longer than the client retries: nothing is stored, the cursor remembers the error.
    control.fault("500", count=5, path_prefix="/G2M/rest/historicalMeetings")
    [failed] = history.collect_history(engine, goto.client, every=timedelta(0))
    assert failed.error and failed.new_sessions == 0
    with session_scope(engine) as s:
        assert s.exec(select(MeetingSession)).all() == []
        assert s.get(HistoryCursor, setup.email).last_error  # type: ignore[union-attr]
    control.reset_faults()

    [first] = history.collect_history(engine, goto.client, every=timedelta(0))
    [again] = history.collect_history(engine, goto.client, every=timedelta(0))
    assert (first.new_sessions, first.error, again.new_sessions) == (3, "", 0)  # asking twice counts nothing twice
    assert history.collect_history(engine, goto.client) == []  # not due again for a while: no GoTo call

    with session_scope(engine) as s:
        report = compute_usage(s, start=day - timedelta(hours=2), end=day + timedelta(hours=20), zone="UTC")
    [row] = report.rows.to_dict("records")
    at_goto = goto.client.past_sessions(setup.email, day - timedelta(hours=1), day + timedelta(hours=20))
    assert row["sessions"] == len(at_goto) == 3
    assert row["hours_held"] == round(sum((p.ends_at - p.starts_at).total_seconds() for p in at_goto) / 3600, 2)
    assert row["attendees"] == sum(p.attendees for p in at_goto) == 6
    assert (row["bookings"], row["hours_booked"]) == (4, 4.0)
    assert (row["no_shows"], row["unbooked_use"], row["overruns"]) == (2, 1, 1)
    assert sorted(report.events["kind"]) == ["no_show", "no_show", "overrun", "unbooked_use"]
    assert report.peak_sessions == 1


def test_a_meeting_started_through_room_desk_and_ended_is_collected_as_held(  # type: ignore[no-untyped-def]
    engine: Engine, goto, sandbox, control: SandboxAdmin
) -> None:
    from core.booking import start as starting
    from core.booking.appointments import AppointmentInput, save_appointment
    from core.meetings import jobs as meetings

    setup = linked_room(engine, goto, sandbox)
    now = datetime.now(UTC).replace(microsecond=0)
    with session_scope(engine) as s:
        appt = save_appointment(
            s,
            user=setup.admin,
            data=AppointmentInput(
                "Started here",
                now - timedelta(minutes=5),
                now + timedelta(minutes=55),
                "UTC",
                room_ids=(setup.room.id,),
            ),
        )
    assert meetings.sync_now(engine, goto.client, appt.id).state == "created"
    with session_scope(engine) as s:
        starting.start_meeting(s, user=setup.admin, appointment_id=appt.id, api=goto.client)
        meeting_id = s.get(GotoMeetingData, appt.id).meeting_id  # type: ignore[union-attr]
    control.http.post(f"/_sandbox/meetings/{meeting_id}/attendees", json={"name": "Kim", "email": "kim@example.org"})
    assert history.collect_history(engine, goto.client, every=timedelta(0))[0].new_sessions == 0  # still running
    control.end_meeting(meeting_id)
    [collected] = history.collect_history(engine, goto.client, every=timedelta(0))
    assert collected.new_sessions == 1
    with session_scope(engine) as s:
        report = compute_usage(s, start=now - timedelta(hours=1), end=now + timedelta(hours=1), zone="UTC")
    [row] = report.rows.to_dict("records")
    assert (row["bookings"], row["sessions"], row["unbooked_use"], row["no_shows"], row["attendees"]) == (1, 1, 0, 0, 1)


@pytest.mark.postgres
def test_usage_and_collection_work_on_postgresql(pg_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The history tables migrate on PostgreSQL; storing twice keeps one row; the report reads its times."""
    from core.goto.history import PastSession
    from core.kernel.db import upgrade
    from tests.conftest import make_room

    upgrade(pg_engine)
    day = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=2)
    with session_scope(pg_engine) as s:
        room = make_room(s, name="Sales 1", goto_account="pg@example.org")
        make_booking(s, room, day, day + timedelta(hours=1), "Held")
        make_booking(s, room, day + timedelta(hours=2), day + timedelta(hours=3), "Nobody came")
        room_id = room.id
    past = [PastSession("s1", "m1", "Held", day, day + timedelta(minutes=45), 3)]
    for _ in range(2):
        history.store_sessions(
            pg_engine, account="pg@example.org", room_id=room_id, sessions=past, collected_until=day + timedelta(days=1)
        )
    with session_scope(pg_engine) as s:
        report = compute_usage(s, start=day - timedelta(hours=1), end=day + timedelta(hours=12), zone="Europe/Berlin")
    [row] = report.rows.to_dict("records")
    assert (row["sessions"], row["hours_held"], row["no_shows"], row["attendees"]) == (1, 0.75, 1, 3)


def test_collection_resumes_where_a_failure_stopped_it_and_counts_each_session_once(  # type: ignore[no-untyped-def]
    engine: Engine, goto, sandbox, control: SandboxAdmin
) -> None:
    setup = linked_room(engine, goto, sandbox)
    now = datetime.now(UTC).replace(microsecond=0)
    for weeks_back in (4, 3, 2, 1):  # spread over several of the week-long requests a new account needs
        record(control, setup.email, now - timedelta(weeks=weeks_back), 30, 1, f"{weeks_back} weeks ago")
    [first] = history.collect_history(engine, goto.client, calls=2, every=timedelta(0))  # budget: two requests
    assert first.calls == 2 and first.error == ""
    control.fault("503", count=5, path_prefix="/G2M/rest/historicalMeetings")
    [failed] = history.collect_history(engine, goto.client, every=timedelta(0))
    assert failed.error and failed.new_sessions == 0
    control.reset_faults()
    [rest] = history.collect_history(engine, goto.client, every=timedelta(0))
    with session_scope(engine) as s:
        subjects = sorted(m.subject for m in s.exec(select(MeetingSession)).all())
    assert first.new_sessions + rest.new_sessions == 4
    assert subjects == ["1 weeks ago", "2 weeks ago", "3 weeks ago", "4 weeks ago"]
