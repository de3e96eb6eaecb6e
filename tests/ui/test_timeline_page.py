"""Timeline page (admin): bars per room, overbooked slots counted and listed."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.db import session_scope
from core.kernel.models import User
from tests.conftest import make_room
from tests.ui.conftest import page


def this_week(hour: int, minute: int = 0) -> datetime:
    """A moment on Wednesday of the current week (Berlin), so it falls in the page's default window."""
    zone = ZoneInfo("Europe/Berlin")
    today = datetime.now(zone).date()
    return datetime.combine(today - timedelta(days=today.weekday()) + timedelta(days=2), time(hour, minute), zone)


def test_the_timeline_shows_bookings_and_counts_conflicts(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        user = s.get(User, admin)
        room = make_room(s, name="Sales 1")
        make_room(s, name="Quiet room")
        for subject, start, end in [("Board meeting", 10, 11), ("Sales pitch", 10.5, 12), ("Later", 14, 15)]:
            save_appointment(
                s,
                user=user,
                confirm_overbooking=True,
                data=AppointmentInput(
                    subject=subject,
                    starts_at=this_week(int(start), int(start % 1 * 60)),
                    ends_at=this_week(int(end), int(end % 1 * 60)),
                    room_ids=(room.id,),
                ),
            )
    at = page("pages/timeline.py", user_id=admin).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"Bookings": "3", "Overbooked slots": "1", "Rooms": "2"}
    assert [c.key for c in at.get("plotly_chart")] == ["timeline_chart", "utilisation_chart"]
    listed = at.dataframe[0].value.to_string()
    assert "Board meeting · Sales pitch" in listed and "Later" not in listed


def test_an_empty_window_says_so(app_engine: Engine, admin: int) -> None:
    at = page("pages/timeline.py", user_id=admin).run()
    assert not at.exception
    assert set(i.value for i in at.info) == {"No bookings in this window."}
    assert len(at.get("plotly_chart")) == 0


def test_the_export_offers_bookings_and_conflicts_as_csv(app_engine: Engine, admin: int) -> None:
    at = page("pages/timeline.py", user_id=admin).run()
    assert [b.proto.label for b in at.get("download_button")] == ["Download bookings (CSV)", "Download conflicts (CSV)"]
