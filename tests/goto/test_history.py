"""The sandbox's history like GoTo's: sessions with attendees, the attendees endpoint, and a clock to move."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.goto import MeetingSpec
from core.goto.sandbox import RunningSandbox, start_in_thread
from tests.goto.harness import Linked, SandboxAdmin


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A sandbox of this module alone, so moving its clock disturbs no other test."""
    running = start_in_thread(tmp_path_factory.mktemp("history-sandbox"))
    yield running
    running.stop()


def test_a_recorded_session_is_history_with_its_attendees(linked: Linked, admin: SandboxAdmin) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    answer = admin.http.post(
        f"/_sandbox/accounts/{linked.account}/sessions",
        json={
            "subject": "Weekly sync",
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=45)).isoformat(),
            "attendees": [{"name": "Kim Lee", "email": "kim@example.org"}, {"name": "Jo", "email": "jo@example.org"}],
        },
    )
    assert answer.status_code == 201
    [past] = linked.client.past_sessions(linked.account, start - timedelta(hours=1), start + timedelta(hours=1))
    assert (past.subject, past.starts_at, past.ends_at, past.attendees) == (
        "Weekly sync",
        start,
        start + timedelta(minutes=45),
        2,
    )
    people = linked.client.meeting_attendees(linked.account, past.meeting_id)
    assert sorted(p.name for p in people) == ["Jo", "Kim Lee"]
    assert {p.session_id for p in people} == {past.session_id}
    assert all(p.joined_at == start and p.left_at == start + timedelta(minutes=45) for p in people)


def test_a_meeting_that_never_ran_has_no_attendees(linked: Linked) -> None:
    now = datetime.now(UTC)
    meeting = linked.client.create_meeting(
        linked.account, MeetingSpec("Later", now + timedelta(days=1), now + timedelta(days=1, hours=1))
    )
    assert linked.client.meeting_attendees(linked.account, meeting.meeting_id) == []


def test_a_session_cannot_be_recorded_in_the_future(linked: Linked, admin: SandboxAdmin) -> None:
    now = datetime.now(UTC)
    answer = admin.http.post(
        f"/_sandbox/accounts/{linked.account}/sessions",
        json={"start": now.isoformat(), "end": (now + timedelta(hours=1)).isoformat()},
    )
    assert answer.status_code == 400 and "clock" in answer.json()["error"]


def test_moving_the_clock_ends_a_running_meeting_and_people_who_joined_are_counted(
    own_sandbox: RunningSandbox, make_linked: Callable[..., Linked]
) -> None:
    linked = make_linked(own_sandbox)
    control = SandboxAdmin(own_sandbox)
    before = datetime.fromisoformat(control.http.get("/_sandbox/clock").json()["now"])
    start = before.replace(microsecond=0) + timedelta(seconds=1)
    meeting = linked.client.create_meeting(linked.account, MeetingSpec("Review", start, start + timedelta(minutes=30)))
    linked.client.host_url(linked.account, meeting.meeting_id)
    [running] = [m for m in linked.client.upcoming_meetings(linked.account) if m.meeting_id == meeting.meeting_id]
    assert running.status == "ACTIVE"
    joined = control.http.post(f"/_sandbox/meetings/{meeting.meeting_id}/attendees", json={"name": "Ada"})
    assert joined.json()["attendees"] == 1
    moved = control.http.post("/_sandbox/clock", json={"advance_seconds": 3600})
    assert datetime.fromisoformat(moved.json()["now"]) - before >= timedelta(hours=1)
    assert linked.client.upcoming_meetings(linked.account) == []
    [past] = linked.client.past_sessions(linked.account, start - timedelta(hours=1), start + timedelta(hours=2))
    assert (past.meeting_id, past.attendees) == (meeting.meeting_id, 1)
    control.http.post("/_sandbox/clock", json={"now": datetime.now(UTC).isoformat()})
    control.http.close()


def test_the_clock_control_needs_the_admin_key(raw) -> None:  # type: ignore[no-untyped-def]
    assert raw.post("/_sandbox/clock", json={"advance_seconds": 60}).status_code == 403


def test_organizer_keys_fit_the_int64_the_contract_gives_them(admin: SandboxAdmin) -> None:
    """AttendeeByMeeting carries organizerkey as int64: every key the sandbox makes must fit."""
    keys = [int(admin.account(admin.new_account())["organizer_key"]) for _ in range(40)]
    assert all(10**18 <= key < 2**63 for key in keys)
