"""Client-side pacing: within GoTo's documented 10 requests per second, users before bulk work, Retry-After for all."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from core.goto import GotoRateLimited
from core.goto._pacing import BULK, USER, Pacer, bulk_work, current_priority
from tests.goto.harness import Linked, SandboxAdmin


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_are_spaced_so_no_second_holds_more_than_ten() -> None:
    time = FakeTime()
    pacer = Pacer(9, clock=time.clock, sleep=time.sleep)
    sent = []
    for _ in range(40):
        pacer.wait_turn(USER)
        sent.append(time.now)
    assert max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent) <= 10
    assert sent[-1] - sent[0] == pytest.approx(39 / 9)


def test_a_retry_after_holds_every_request_of_the_client() -> None:
    time = FakeTime()
    pacer = Pacer(9, clock=time.clock, sleep=time.sleep)
    pacer.wait_turn(USER)
    pacer.hold(5)
    assert pacer.wait_turn(USER) == pytest.approx(5)
    assert pacer.wait_turn(BULK) == pytest.approx(1 / 9)


def test_a_users_save_waits_at_most_one_slot_behind_bulk_work() -> None:
    pacer = Pacer(40)  # 25 ms slots, real time
    stop, user_waits = threading.Event(), []

    def bulk() -> None:
        with bulk_work():
            while not stop.is_set():
                pacer.wait_turn()

    workers = [threading.Thread(target=bulk) for _ in range(4)]
    [w.start() for w in workers]
    try:
        for _ in range(5):
            user_waits.append(pacer.wait_turn())
    finally:
        stop.set()
        [w.join(5) for w in workers]
    assert max(user_waits) <= 2 * pacer.interval + 1e-6
    assert pacer.stats().sent > 5


def test_bulk_work_is_marked_only_inside_the_block() -> None:
    assert current_priority() == USER
    with bulk_work():
        assert current_priority() == BULK
    assert current_priority() == USER


@pytest.fixture
def limited(admin: SandboxAdmin) -> Iterator[SandboxAdmin]:
    admin.rate_limit(10)
    yield admin
    admin.rate_limit(0)


def test_a_paced_client_never_exceeds_the_sandbox_rate_limit(
    make_linked: Callable[..., Linked], limited: SandboxAdmin
) -> None:
    """Three threads share one client; the sandbox enforces GoTo's 10 per second and refuses nothing."""
    linked = make_linked(requests_per_second=8)  # the default
    errors: list[Exception] = []

    def calls() -> None:
        try:
            for _ in range(7):
                linked.client.upcoming_meetings(linked.account)
        except Exception as err:
            errors.append(err)

    threads = [threading.Thread(target=calls) for _ in range(3)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert errors == [] and limited.refused_by_rate_limit() == 0
    assert linked.client.pacing().sent == 21


def test_the_sandbox_answers_429_beyond_the_limit_when_asked(
    make_linked: Callable[..., Linked], limited: SandboxAdmin
) -> None:
    limited.rate_limit(2)  # low enough that even a slow machine's unpaced calls exceed it
    linked = make_linked(requests_per_second=0, max_retries=0)
    refused = 0
    for _ in range(10):
        try:
            linked.client.upcoming_meetings(linked.account)
        except GotoRateLimited as err:
            refused += 1
            assert err.retry_after is None  # GoTo documents no Retry-After; the sandbox sends none by default
    assert refused >= 1 and limited.refused_by_rate_limit() == refused
