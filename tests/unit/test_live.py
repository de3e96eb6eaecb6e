"""GoTo's live status is shared and cached: however often pages rerun, GoTo is asked once per account per TTL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from core.goto import GotoUnavailable, Meeting
from core.reporting.live import LiveStatus

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class FakeGoto:
    """Answers upcomingMeetings from a dict; counts the calls; fails for accounts in `down`."""

    def __init__(self, running: dict[str, str]) -> None:
        self.running, self.down, self.calls = running, set[str](), []
        self.lock = threading.Lock()

    def upcoming_meetings(self, account: str) -> list[Meeting]:
        with self.lock:
            self.calls.append(account)
        if account in self.down:
            raise GotoUnavailable("GoTo is down")
        if account not in self.running:
            return []
        return [Meeting("111", self.running[account], NOW, NOW + timedelta(hours=1), "Hybrid", status="ACTIVE")]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reruns_within_the_ttl_never_call_goto_again() -> None:
    goto, clock = FakeGoto({"a@x": "Review"}), Clock()
    live = LiveStatus(goto, ttl=30, monotonic=clock)  # type: ignore[arg-type]
    first = live.snapshot(["a@x", "b@x"], wait=5)
    assert [r.subject for r in first["a@x"].running] == ["Review"] and first["b@x"].running == ()
    for _ in range(50):  # fifty reruns of fifty browser sessions
        live.snapshot(["a@x", "b@x"])
    assert sorted(goto.calls) == ["a@x", "b@x"]


def test_a_stale_status_is_refreshed_in_the_background_while_the_old_one_is_shown() -> None:
    goto, clock = FakeGoto({"a@x": "Review"}), Clock()
    live = LiveStatus(goto, ttl=30, monotonic=clock)  # type: ignore[arg-type]
    live.snapshot(["a@x"], wait=5)
    del goto.running["a@x"]
    clock.now = 31
    assert "a@x" in live.snapshot(["a@x"])  # the page never waits for GoTo: the old status is shown meanwhile
    for _ in range(500):  # wait on the condition: the background refresh has landed
        if len(goto.calls) == 2 and live.snapshot(["a@x"])["a@x"].running == ():
            break
        threading.Event().wait(0.01)
    assert live.snapshot(["a@x"])["a@x"].running == () and len(goto.calls) == 2


def test_an_account_goto_cannot_answer_for_is_marked_not_guessed() -> None:
    goto = FakeGoto({})
    goto.down.add("a@x")
    live = LiveStatus(goto, monotonic=Clock())  # type: ignore[arg-type]
    status = live.snapshot(["a@x"], wait=5)["a@x"]
    assert status.error == "GoTo is down" and status.running == ()
