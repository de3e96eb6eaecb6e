"""Issue 12's promise under load, small enough for CI: users at once, GoTo failing on ~10 % of calls, a worker.

benchmarks/soak.py runs the same with several processes, many more operations and kill -9 of the worker.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from core.kernel.db import upgrade
from tests.soak import Journal, check, heal_and_drain, link_rooms, run_sessions

CLEAN = {
    "duplicate meetings": 0,
    "orphaned meetings": 0,
    "missing meetings": 0,
    "lost appointments": 0,
    "altered notes": 0,
    "meetings differing from their appointment": 0,
    "unhandled exceptions": 0,
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def soak_engine(request: pytest.FixtureRequest) -> Engine:
    engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg_engine")
    upgrade(engine)
    return engine


def test_faults_edits_and_races_leave_exactly_one_matching_meeting_per_appointment(
    soak_engine: Engine, sandbox
) -> None:  # type: ignore[no-untyped-def]
    link_rooms(soak_engine, sandbox.url, rooms=3)
    journal = Journal()
    faults = run_sessions(soak_engine, sandbox.url, sessions=3, operations=20, fault_rate=0.1, seed=12, journal=journal)
    drained = heal_and_drain(soak_engine, sandbox.url)
    counts = check(soak_engine, sandbox.url, journal)
    assert sum(n for kind, n in faults.items() if kind != "calls") > 0, "the soak must really inject faults"
    assert drained["jobs left"] == 0
    assert {k: counts.get(k, 0) for k in CLEAN} == CLEAN, (counts, journal.altered[:3], journal.crashes[:3])
    assert counts["appointments"] > 0 and counts["meetings"] > 0
