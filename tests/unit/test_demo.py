"""The demo organisation seeded on the first start of an empty default database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.admin.startup import demo_credentials, prepare_database
from core.conflicts.sweep import find_overbookings
from core.kernel.config import Settings
from core.kernel.db import session_scope
from core.kernel.models import Booking, Group, Room, User

TODAY = date(2026, 11, 25)


def config(default: bool) -> Settings:
    return Settings(
        data_dir=Path("."),
        database_url="sqlite://",
        database_is_default=default,
        goto_auth_url=None,
        goto_api_url=None,
        goto_client_id=None,
        goto_client_secret=None,
        secret_key=None,
        smtp_url=None,
    )


def test_first_start_seeds_a_realistic_organisation_with_overbookings(engine: Engine) -> None:
    assert demo_credentials(engine) == []
    assert prepare_database(engine, config(default=True), today=TODAY) is True
    with session_scope(engine) as s:
        assert len(s.exec(select(Room)).all()) >= 5
        assert len(s.exec(select(User)).all()) >= 8
        assert {"External"} <= {g.name for g in s.exec(select(Group))} and len(s.exec(select(Group)).all()) >= 6
        bookings = s.exec(select(Booking)).all()
    frame = pd.DataFrame([{"id": b.id, "room": b.room_id, "start": b.starts_at, "end": b.ends_at} for b in bookings])
    first, last = frame["start"].min(), frame["end"].max()
    assert first <= datetime.combine(TODAY - timedelta(days=10), time(), UTC)
    assert last >= datetime.combine(TODAY + timedelta(days=10), time(), UTC)
    assert len(find_overbookings(frame)) >= 3
    assert ("admin", "admin", "roomdesk-demo") in demo_credentials(engine)


def test_second_start_and_configured_databases_are_left_alone(engine: Engine) -> None:
    assert prepare_database(engine, config(default=False), today=TODAY) is False
    with session_scope(engine) as s:
        assert s.exec(select(User)).all() == []
    prepare_database(engine, config(default=True), today=TODAY)
    assert prepare_database(engine, config(default=True), today=TODAY) is False


def test_the_demo_comes_with_history_that_fills_the_usage_page(engine: Engine) -> None:
    """A new admin sees held hours, a no-show, an unbooked use and an overrun at once; no account runs two at once."""
    from core.kernel.models import MeetingSession
    from core.reporting.usage import compute_usage

    prepare_database(engine, config(default=True), today=TODAY)
    with session_scope(engine) as s:
        report = compute_usage(
            s,
            start=datetime.combine(TODAY - timedelta(days=15), time(), UTC),
            end=datetime.combine(TODAY + timedelta(days=1), time(), UTC),
            zone="Europe/Berlin",
            by="week",
            now=datetime.combine(TODAY, time(13), UTC),
        )
        sessions = s.exec(select(MeetingSession).order_by(MeetingSession.room_id, MeetingSession.starts_at)).all()
    totals = report.totals
    assert totals["hours_held"] > 0.6 * totals["hours_booked"] > 0
    assert totals["no_shows"] >= 1 and totals["unbooked_use"] >= 1 and totals["overruns"] >= 1
    assert all(a.room_id != b.room_id or a.ends_at <= b.starts_at for a, b in zip(sessions, sessions[1:])), (
        "one account never runs two meetings at once"
    )
