"""How the client behaves when GoTo misbehaves: 401 and refresh, 429, 5xx, stalls, unreachable hosts."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.goto import (
    GotoAmbiguousCreate,
    GotoAuthExpired,
    GotoClient,
    GotoConfig,
    GotoRateLimited,
    GotoUnavailable,
    MeetingSpec,
    StaticTokens,
)
from core.goto.sandbox import RunningSandbox
from tests.goto.harness import Linked, Recorder, SandboxAdmin, sandbox_config


def soon() -> MeetingSpec:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    return MeetingSpec("Resilience", start, start + timedelta(hours=1))


def test_an_expired_token_is_refreshed_exactly_once_and_the_call_succeeds(
    linked: Linked, admin: SandboxAdmin, recorder: Recorder
) -> None:
    linked.client.create_meeting(linked.account, soon())
    admin.expire_token(linked.account)
    assert len(linked.client.upcoming_meetings(linked.account)) == 1
    assert admin.account(linked.account)["refresh_count"] == 1 and linked.tokens.refresh_count == 1
    statuses = [e.response.status_code for e in recorder.sent("GET", "/upcomingMeetings") if e.response]
    assert statuses == [401, 200]


class _AlwaysStale:
    """A token source whose every token GoTo has already expired (e.g. a clock far off)."""

    def __init__(self, admin: SandboxAdmin, account: str) -> None:
        self.admin, self.account, self.refreshes = admin, account, 0

    def _stale(self) -> str:
        token = self.admin.token_set(self.account).access_token
        self.admin.expire_token(self.account)
        return token

    def access_token(self, account: str) -> str:
        return self._stale()

    def refreshed_access_token(self, account: str, rejected: str) -> str:
        self.refreshes += 1
        return self._stale()


def test_a_second_401_after_the_refresh_is_reported_not_retried(
    sandbox: RunningSandbox, admin: SandboxAdmin, recorder: Recorder
) -> None:
    account = admin.new_account()
    tokens = _AlwaysStale(admin, account)
    transport = recorder.transport("client")
    with GotoClient(sandbox_config(sandbox), tokens, transport=transport, sleep=lambda s: None) as api:
        with pytest.raises(GotoAuthExpired) as caught:
            api.upcoming_meetings(account)
    assert tokens.refreshes == 1 and not caught.value.needs_relinking
    assert len(recorder.sent("GET", "/upcomingMeetings")) == 2


def test_a_revoked_refresh_token_surfaces_as_needs_relinking(linked: Linked, admin: SandboxAdmin) -> None:
    admin.expire_token(linked.account)
    admin.revoke_refresh(linked.account)
    with pytest.raises(GotoAuthExpired) as caught:
        linked.client.upcoming_meetings(linked.account)
    assert caught.value.needs_relinking


def test_429_waits_as_long_as_retry_after_says(linked: Linked, admin: SandboxAdmin, recorder: Recorder) -> None:
    admin.fault("429", count=2, retry_after=7)
    assert linked.client.upcoming_meetings(linked.account) == []
    assert linked.sleeps == [7.0, 7.0]
    assert [e.response.status_code for e in recorder.sent("GET", "/upcomingMeetings") if e.response] == [429, 429, 200]


def test_429_beyond_the_retries_raises_rate_limited_with_the_wait(linked: Linked, admin: SandboxAdmin) -> None:
    admin.fault("429", count=10, retry_after=3)
    with pytest.raises(GotoRateLimited) as caught:
        linked.client.upcoming_meetings(linked.account)
    assert caught.value.retry_after == 3 and linked.sleeps == [3.0] * 4


def test_a_retry_after_longer_than_the_client_waits_is_reported_at_once(linked: Linked, admin: SandboxAdmin) -> None:
    admin.fault("429", retry_after=600)
    with pytest.raises(GotoRateLimited) as caught:
        linked.client.upcoming_meetings(linked.account)
    assert caught.value.retry_after == 600 and linked.sleeps == []


def test_a_create_refused_with_429_is_repeated_because_goto_did_not_execute_it(
    linked: Linked, admin: SandboxAdmin, recorder: Recorder
) -> None:
    admin.fault("429", retry_after=1)
    linked.client.create_meeting(linked.account, soon())
    assert len(recorder.sent("POST", "/meetings")) == 2 and admin.account(linked.account)["meeting_count"] == 1


def test_500s_are_retried_with_growing_jittered_backoff_then_succeed(linked: Linked, admin: SandboxAdmin) -> None:
    admin.fault("500", count=3)
    assert linked.client.upcoming_meetings(linked.account) == []
    assert linked.sleeps == [0.25, 0.5, 1.0]  # random() = 0.5 times 0.5 * 2**attempt


@pytest.mark.parametrize("status", ["500", "503"])
def test_5xx_beyond_the_retries_make_goto_unavailable(
    linked: Linked, admin: SandboxAdmin, recorder: Recorder, status: str
) -> None:
    admin.fault(status, count=10)
    with pytest.raises(GotoUnavailable) as caught:
        linked.client.get_meeting(linked.account, "123456789")
    assert caught.value.status == int(status) and len(recorder.sent("GET", "/meetings/123456789")) == 5
    assert linked.sleeps == [0.25, 0.5, 1.0, 2.0]


def test_backoff_is_capped(make_linked: Callable[..., Linked], admin: SandboxAdmin) -> None:
    linked = make_linked(max_retries=6, backoff_cap=1.5)
    admin.fault("502", count=6)
    linked.client.upcoming_meetings(linked.account)
    assert linked.sleeps == [0.25, 0.5, 0.75, 0.75, 0.75, 0.75]


def test_a_create_answered_with_500_is_not_repeated(linked: Linked, admin: SandboxAdmin, recorder: Recorder) -> None:
    """Real GoTo may have created the meeting before failing; a second POST could double it."""
    admin.fault("500")
    spec = soon()
    with pytest.raises(GotoAmbiguousCreate) as caught:
        linked.client.create_meeting(linked.account, spec)
    assert caught.value.spec == spec and caught.value.account == linked.account and caught.value.status == 500
    assert len(recorder.sent("POST", "/meetings")) == 1 and linked.sleeps == []


def test_a_create_answered_with_503_is_repeated(linked: Linked, admin: SandboxAdmin, recorder: Recorder) -> None:
    admin.fault("503")
    linked.client.create_meeting(linked.account, soon())
    assert len(recorder.sent("POST", "/meetings")) == 2 and admin.account(linked.account)["meeting_count"] == 1


def test_a_create_whose_answer_stalls_is_ambiguous_and_never_sent_twice(
    make_linked: Callable[..., Linked], admin: SandboxAdmin, recorder: Recorder
) -> None:
    linked = make_linked(read_timeout=0.3)
    admin.fault("stall", stall_seconds=1.0)
    spec = soon()
    with pytest.raises(GotoAmbiguousCreate) as caught:
        linked.client.create_meeting(linked.account, spec)
    assert len(recorder.sent("POST", "/meetings")) == 1
    assert admin.account(linked.account)["meeting_count"] == 1  # it was executed: the answer was lost
    found = [m for m in linked.client.upcoming_meetings(linked.account) if caught.value.spec.matches(m)]
    assert len(found) == 1 and found[0].subject == "Resilience"


def test_a_stalled_read_is_retried(make_linked: Callable[..., Linked], admin: SandboxAdmin, recorder: Recorder) -> None:
    linked = make_linked(read_timeout=0.3)
    admin.fault("stall", stall_seconds=1.0, path_prefix="/G2M/rest/upcomingMeetings")
    assert linked.client.upcoming_meetings(linked.account) == []
    assert len(recorder.sent("GET", "/upcomingMeetings")) == 2 and linked.sleeps == [0.25]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_goto_is_retried_then_unavailable_and_a_create_is_not_ambiguous(
    sandbox: RunningSandbox, admin: SandboxAdmin
) -> None:
    """Nothing was sent, so a create is safe to repeat and is not reported as possibly executed."""
    account = admin.new_account()
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{_closed_port()}"
    config = GotoConfig(auth_url=url, api_url=f"{url}/G2M/rest", client_id="x", client_secret="y", connect_timeout=1)
    with GotoClient(config, StaticTokens({account: "token"}), sleep=sleeps.append, random=lambda: 1.0) as api:
        with pytest.raises(GotoUnavailable) as caught:
            api.create_meeting(account, soon())
        with pytest.raises(GotoUnavailable):
            api.refresh("some-refresh-token")
    assert not isinstance(caught.value, GotoAmbiguousCreate)
    assert sleeps == [0.5, 1.0, 2.0, 4.0] * 2


def _fake_goto(answer: httpx.Response) -> httpx.MockTransport:
    """A stand-in GoTo that answers every call the same (for answers the sandbox never gives)."""
    return httpx.MockTransport(lambda request: answer)


def test_a_create_answer_without_a_meeting_id_is_ambiguous() -> None:
    """GoTo said 201, so the meeting exists; without its id the caller must look it up, not create again."""
    config = GotoConfig(auth_url="https://auth.invalid", api_url="https://api.invalid/G2M/rest")
    transport = _fake_goto(httpx.Response(201, json=[{"joinURL": "https://x.invalid/join/1"}]))
    with GotoClient(config, StaticTokens({"a@b.test": "t"}), transport=transport) as api:
        with pytest.raises(GotoAmbiguousCreate):
            api.create_meeting("a@b.test", soon())


def test_an_unreadable_answer_is_goto_unavailable_not_a_crash() -> None:
    config = GotoConfig(auth_url="https://auth.invalid", api_url="https://api.invalid/G2M/rest")
    transport = _fake_goto(httpx.Response(200, json=[{"meetingId": "1", "subject": "no times"}]))
    with GotoClient(config, StaticTokens({"a@b.test": "t"}), transport=transport) as api:
        with pytest.raises(GotoUnavailable):
            api.upcoming_meetings("a@b.test")


def test_real_gotos_time_format_is_understood() -> None:
    """Real GoTo writes times like 2015-07-01T22:00:00.+0000, which is not what its contract shows."""
    row = {
        "meetingId": "7",
        "subject": "s",
        "startTime": "2015-07-01T22:00:00.+0000",
        "endTime": "2015-07-01T23:30:00+0000",
        "conferenceCallInfo": "Hybrid",
        "status": "INACTIVE",
    }
    config = GotoConfig(auth_url="https://auth.invalid", api_url="https://api.invalid/G2M/rest")
    transport = _fake_goto(httpx.Response(200, json=[row]))
    with GotoClient(config, StaticTokens({"a@b.test": "t"}), transport=transport) as api:
        (meeting,) = api.upcoming_meetings("a@b.test")
    assert meeting.starts_at == datetime(2015, 7, 1, 22, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2015, 7, 1, 23, 30, tzinfo=UTC)
