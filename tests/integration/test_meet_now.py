"""Meet now against the sandbox: the first free room the user may book, its meeting created and started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.models import Room, RoomPermission
from core.reporting.now import meet_now
from tests.conftest import make_booking, make_user
from tests.integration.linking import linked_room


def test_meet_now_skips_booked_rooms_and_rooms_the_user_may_not_book(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    booked, free, forbidden = (linked_room(engine, goto, sandbox) for _ in range(3))
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        for setup, name in [(booked, "A booked"), (free, "B free"), (forbidden, "0 not yours")]:
            s.get(Room, setup.room.id).name = name  # type: ignore[union-attr]  (the first by name is not yours)
        make_booking(s, booked.room, now + timedelta(minutes=50), now + timedelta(hours=2), "Later today")
        staff = make_user(s, role="staff")
        for setup in (booked, free):
            s.add(RoomPermission(room_id=setup.room.id, user_id=staff.id, may_book=True))
    met = meet_now(engine, user=staff, minutes=30, api=goto.client)
    assert met.room == "A booked"  # free for the next 30 minutes
    assert "/host/" in met.url and met.ends_at - met.starts_at == timedelta(minutes=30)
    running = [m for m in goto.client.upcoming_meetings(booked.email) if m.status == "ACTIVE"]
    assert [m.subject for m in running] == [f"Meet now ({staff.display_name})"]

    met = meet_now(engine, user=staff, minutes=60, api=goto.client)
    assert met.room == "B free"  # A is taken now (and booked from 50 minutes on anyway)
    with pytest.raises(RoomDeskError) as refused:
        meet_now(engine, user=staff, minutes=90, api=goto.client)
    assert "No room you may book is free for the next 90 minutes" in refused.value.message("en")


def test_when_nothing_is_free_that_long_meet_now_names_a_shorter_option(engine: Engine, goto, sandbox) -> None:  # type: ignore[no-untyped-def]
    setup = linked_room(engine, goto, sandbox)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        make_booking(s, setup.room, now + timedelta(minutes=40), now + timedelta(hours=2), "Soon")
    with pytest.raises(RoomDeskError) as refused:
        meet_now(engine, user=setup.admin, minutes=60, api=goto.client)
    assert refused.value.message("en").endswith(f"{setup.room.name} is free for 30 minutes.")


def test_an_external_user_without_a_run_as_user_may_not_meet_now(engine: Engine, goto) -> None:  # type: ignore[no-untyped-def]
    from core.kernel.errors import PermissionDenied

    with session_scope(engine) as s:
        external = make_user(s, role="staff", groups=("External",))
    with pytest.raises(PermissionDenied):
        meet_now(engine, user=external, minutes=30, api=goto.client)
