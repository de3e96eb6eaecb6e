"""Conflicts page (staff): slots listed soonest first; a move in one click."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.db import session_scope
from core.kernel.models import Booking, User
from tests.conftest import make_room
from tests.ui.conftest import page


def tomorrow(hour: int) -> datetime:
    zone = ZoneInfo("Europe/Berlin")
    return datetime.combine(datetime.now(zone).date() + timedelta(days=1), time(hour), zone)


def test_staff_moves_an_overbooked_appointment_to_a_free_room(app_engine: Engine, staff: int) -> None:
    with session_scope(app_engine) as s:
        user = s.get(User, staff)
        busy, free = make_room(s, name="Sales 1", bookable_by=user), make_room(s, name="Sales 2", bookable_by=user)
        for subject in ["Board meeting", "Sales pitch"]:
            save_appointment(
                s,
                user=user,
                confirm_overbooking=True,
                data=AppointmentInput(
                    subject=subject, starts_at=tomorrow(10), ends_at=tomorrow(11), room_ids=(busy.id,)
                ),
            )
    at = page("pages/conflicts.py", user_id=staff).run()
    assert not at.exception
    assert any("Sales 1" in m.value and "2 at once" in m.value for m in at.markdown)
    move = next(b for b in at.button if b.label == "Move to Sales 2")
    move.click().run()
    assert not at.exception
    assert [s.value for s in at.success][0].endswith("moved to Sales 2; its GoTo meeting moved with it.")
    with session_scope(app_engine) as s:
        assert sorted(s.exec(select(Booking.room_id)).all()) == sorted([busy.id, free.id])
    assert "No overbooked slots in this window." in [s.value for s in at.success]
