"""Timeline page (admin): bars per room, overbooked slots counted and listed."""

from __future__ import annotations

import base64
import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
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


def values(array: object) -> list[object]:
    """A plotly array as sent to the browser: a list, or typed bytes in base64."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)  # type: ignore[call-overload]


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


def test_overlapping_bookings_sit_in_their_own_lanes_with_hovers_in_words(app_engine: Engine, admin: int) -> None:
    with session_scope(app_engine) as s:
        user = s.get(User, admin)
        room = make_room(s, name="Sales 1")
        for subject, start, end in [("Board meeting", 10, 11), ("Sales pitch", 10.5, 12)]:
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
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    rows = sorted(int(y) for trace in figure["data"] for y in values(trace["y"]))
    assert rows == [0, 1]
    hovers = [h[1] for trace in figure["data"] for h in trace["customdata"]]
    assert any(h.startswith("Board meeting · ") and h.split("<br>")[0].endswith("10:00–11:00") for h in hovers)
    assert all("=" not in h for h in hovers)
    marks = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    assert [(m["yref"], m["y0"], m["y1"]) for m in marks] == [("y", -0.5, 1.5)]
