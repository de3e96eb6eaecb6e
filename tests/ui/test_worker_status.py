"""The sidebar's worker line: alive, starting right after a start of this process, or not running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

import ui.goto
from core.admin import health


def sidebar_line() -> None:
    from ui.health import _health, worker_status

    _health.clear()  # the sidebar caches the health for 15 s; each case here is a new moment
    worker_status("Europe/Berlin")


def worker_line(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


@pytest.fixture
def no_embedded_worker(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    started: list[datetime] = []
    monkeypatch.setattr(ui.goto, "_EMBEDDED_SINCE", started)
    return started


def test_without_any_worker_the_line_says_not_running(app_engine: Engine, no_embedded_worker) -> None:  # type: ignore[no-untyped-def]
    at = AppTest.from_function(sidebar_line, default_timeout=30).run()
    assert worker_line(at) == ":red[Worker: not running]"


def test_right_after_a_start_the_embedded_worker_is_starting_not_missing(
    app_engine: Engine, no_embedded_worker
) -> None:  # type: ignore[no-untyped-def]
    no_embedded_worker.append(datetime.now(UTC))  # this process started its worker thread a moment ago
    at = AppTest.from_function(sidebar_line, default_timeout=30).run()
    assert worker_line(at) == "Worker: starting (first pass running)"
    no_embedded_worker[0] -= timedelta(minutes=5)  # long enough without a heartbeat: that is a failure again
    assert worker_line(at.run()) == ":red[Worker: not running]"


def test_a_heartbeat_makes_it_alive(app_engine: Engine, no_embedded_worker) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    health.record_heartbeat(app_engine, worker="host:1", kind="worker", started_at=now, interval=30, report="ok")
    at = AppTest.from_function(sidebar_line, default_timeout=30).run()
    assert worker_line(at).startswith("Worker: alive (1), last seen ")
