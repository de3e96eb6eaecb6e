"""Meetings through the real client against the sandbox: CRUD, start, one running meeting per account, history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.goto import GotoMeetingActive, GotoNotFound, MeetingSpec, goto_subject
from core.goto.sandbox import RunningSandbox
from tests.goto.harness import Linked, MovableClock, Recorder, SandboxAdmin, body_of


def soon(hours: float = 1, length: float = 1, subject: str = "Customer call") -> MeetingSpec:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)
    return MeetingSpec(subject, start, start + timedelta(hours=length))


def test_create_sends_what_goto_requires_and_returns_the_join_url(linked: Linked, recorder: Recorder) -> None:
    spec = soon(subject="Budget <2027> & plans")
    meeting = linked.client.create_meeting(linked.account, spec)
    (sent,) = recorder.sent("POST", "/G2M/rest/meetings")
    assert body_of(sent) == {
        "subject": "Budget &lt;2027&gt; & plans",
        "starttime": spec.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endtime": spec.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "passwordrequired": False,
        "conferencecallinfo": "Hybrid",
        "timezonekey": "",
        "meetingtype": "scheduled",
    }
    assert meeting.meeting_id.isdigit() and len(meeting.meeting_id) == 9
    assert meeting.join_url and meeting.join_url.endswith(f"/join/{meeting.meeting_id}")
    assert (meeting.starts_at, meeting.ends_at, meeting.max_participants) == (spec.starts_at, spec.ends_at, 250)
    assert httpx.get(meeting.join_url).status_code == 200


def test_a_meeting_can_be_read_changed_and_deleted(linked: Linked) -> None:
    api, account = linked.client, linked.account
    meeting = api.create_meeting(account, soon())
    later = soon(hours=3, length=0.5, subject="Moved call")
    api.update_meeting(account, meeting.meeting_id, later)
    got = api.get_meeting(account, meeting.meeting_id)
    assert got is not None
    assert (got.subject, got.starts_at, got.ends_at) == ("Moved call", later.starts_at, later.ends_at)
    assert got.status == "INACTIVE" and got.conference_call_info == "Hybrid"
    api.delete_meeting(account, meeting.meeting_id)
    assert api.get_meeting(account, meeting.meeting_id) is None
    api.delete_meeting(account, meeting.meeting_id)  # gone already: counts as deleted
    with pytest.raises(GotoNotFound):
        api.update_meeting(account, meeting.meeting_id, later)


def test_a_long_subject_is_cut_to_what_goto_takes(linked: Linked) -> None:
    spec = soon(subject="<" * 30)
    got = linked.client.get_meeting(linked.account, linked.client.create_meeting(linked.account, spec).meeting_id)
    assert got is not None and got.subject == goto_subject(spec.subject) == "&lt;" * 25


def test_upcoming_meetings_list_the_accounts_meetings_that_have_not_ended(linked: Linked) -> None:
    first = linked.client.create_meeting(linked.account, soon(hours=2))
    second = linked.client.create_meeting(linked.account, soon(hours=1))  # overlapping: GoTo allows scheduling it
    upcoming = linked.client.upcoming_meetings(linked.account)
    assert [m.meeting_id for m in upcoming] == [second.meeting_id, first.meeting_id]
    assert {m.status for m in upcoming} == {"INACTIVE"}


def test_another_accounts_meeting_is_not_found(linked: Linked, make_linked: Callable[..., Linked]) -> None:
    other = make_linked()
    theirs = other.client.create_meeting(other.account, soon())
    assert linked.client.get_meeting(linked.account, theirs.meeting_id) is None
    with pytest.raises(GotoNotFound):
        linked.client.host_url(linked.account, theirs.meeting_id)
    other.client.host_url(other.account, theirs.meeting_id)
    linked.client.delete_meeting(linked.account, theirs.meeting_id)
    still = other.client.get_meeting(other.account, theirs.meeting_id)
    assert still is not None and still.status == "ACTIVE"
    assert linked.client.upcoming_meetings(linked.account) == []


def test_start_returns_the_host_url_and_the_meeting_becomes_active(linked: Linked) -> None:
    meeting = linked.client.create_meeting(linked.account, soon())
    host = linked.client.host_url(linked.account, meeting.meeting_id)
    assert host.endswith(f"/host/{meeting.meeting_id}") and httpx.get(host).status_code == 200
    assert linked.client.host_url(linked.account, meeting.meeting_id) == host  # the organizer may open it again
    (listed,) = linked.client.upcoming_meetings(linked.account)
    assert listed.status == "ACTIVE"


def test_a_second_meeting_cannot_start_while_one_runs_on_the_account(
    linked: Linked, admin: SandboxAdmin, make_linked: Callable[..., Linked]
) -> None:
    """The overbooking rule: GoTo schedules overlapping meetings but runs only one per account."""
    running = linked.client.create_meeting(linked.account, soon())
    waiting = linked.client.create_meeting(linked.account, soon())
    linked.client.host_url(linked.account, running.meeting_id)
    with pytest.raises(GotoMeetingActive) as caught:
        linked.client.host_url(linked.account, waiting.meeting_id)
    assert caught.value.active_meeting_id == running.meeting_id and caught.value.status == 409
    other = make_linked()  # another account is not affected
    other.client.host_url(other.account, other.client.create_meeting(other.account, soon()).meeting_id)
    admin.end_meeting(running.meeting_id)
    assert linked.client.host_url(linked.account, waiting.meeting_id)


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"subject": "x" * 101}, "100 characters"),
        ({"subject": "a <b>"}, "&lt;"),
        ({"endtime": "2030-01-01T09:00:00Z"}, "after starttime"),
        ({"starttime": "2030-01-01 10:00"}, "starttime"),
        ({"passwordrequired": "false"}, "passwordrequired"),
        ({"meetingtype": "webinar"}, "meetingtype"),
        ({"timezonekey": "Europe/Berlin"}, "timezonekey"),
        ({"conferencecallinfo": None}, "conferencecallinfo"),
    ],
)
def test_the_sandbox_rejects_bodies_the_contract_rejects(
    linked: Linked, raw: httpx.Client, change: dict[str, Any], problem: str
) -> None:
    body = {
        "subject": "ok",
        "starttime": "2030-01-01T09:00:00Z",
        "endtime": "2030-01-01T10:00:00Z",
        "passwordrequired": False,
        "conferencecallinfo": "Hybrid",
        "timezonekey": "",
        "meetingtype": "scheduled",
    }
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    headers = {"Authorization": f"Bearer {linked.tokens.access_token(linked.account)}"}
    response = raw.post("/G2M/rest/meetings", json=body, headers=headers)
    assert response.status_code == 400 and problem in response.json()["msg"]
    assert raw.get("/G2M/rest/upcomingMeetings", headers=headers).json() == []


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
def test_the_api_answers_401_without_a_valid_bearer_token(raw: httpx.Client, authorization: str | None) -> None:
    response = raw.get("/G2M/rest/upcomingMeetings", headers={"Authorization": authorization} if authorization else {})
    assert response.status_code == 401 and response.json()["int_err_code"] == "InvalidToken"


def test_a_meeting_runs_until_its_end_and_then_is_history(
    clocked_sandbox: RunningSandbox, clock: MovableClock, make_linked: Callable[..., Linked]
) -> None:
    linked = make_linked(clocked_sandbox)
    start = clock.now.replace(microsecond=0) + timedelta(minutes=5)
    meeting = linked.client.create_meeting(linked.account, MeetingSpec("Review", start, start + timedelta(hours=1)))
    clock.advance(minutes=5)
    linked.client.host_url(linked.account, meeting.meeting_id)
    window = (start - timedelta(hours=1), start + timedelta(hours=3))
    assert linked.client.historical_meetings(linked.account, *window) == []  # running meetings are not history yet
    clock.advance(hours=1, seconds=1)
    assert linked.client.upcoming_meetings(linked.account) == []
    (past,) = linked.client.historical_meetings(linked.account, *window)
    assert (past.meeting_id, past.subject, past.starts_at, past.ends_at) == (
        meeting.meeting_id,
        "Review",
        start,
        start + timedelta(hours=1),
    )
    later = (start + timedelta(hours=2), start + timedelta(hours=3))
    assert linked.client.historical_meetings(linked.account, *later) == []


def test_historical_meetings_need_a_date_range(linked: Linked, raw: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {linked.tokens.access_token(linked.account)}"}
    assert raw.get("/G2M/rest/historicalMeetings", headers=headers).status_code == 400
