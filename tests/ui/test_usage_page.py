"""Usage page (admins): booked against held, the real peak, what went wrong, CSV export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from core.kernel.db import session_scope
from core.kernel.models import HistoryCursor, MeetingSession
from tests.conftest import make_booking, make_room
from tests.ui.conftest import page


def seed(engine: Engine) -> None:
    """Two rooms three days ago: a held booking, a no-show, and a meeting nobody booked, overlapping the first."""
    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=3)
    with session_scope(engine) as s:
        a = make_room(s, name="Sales 1", goto_account="a@example.org")
        b = make_room(s, name="Board Room", goto_account="b@example.org")
        make_booking(s, a, day, day + timedelta(hours=2), "Pitch")
        make_booking(s, b, day + timedelta(hours=3), day + timedelta(hours=4), "Nobody came")
        for key, room, start, end, people in [
            ("1", a, day, day + timedelta(hours=1, minutes=30), 5),
            ("2", b, day + timedelta(minutes=30), day + timedelta(hours=1), 2),
        ]:
            s.add(
                MeetingSession(
                    account=room.goto_account,
                    session_key=key,
                    room_id=room.id,
                    meeting_id=key,
                    subject="Direct" if key == "2" else "Pitch",
                    starts_at=start,
                    ends_at=end,
                    attendees=people,
                )
            )
        for account in ("a@example.org", "b@example.org"):
            s.add(HistoryCursor(account=account, collected_until=day + timedelta(days=1)))


def test_usage_shows_held_against_booked_and_the_real_peak(app_engine: Engine, admin: int) -> None:
    seed(app_engine)
    at = page("pages/usage.py", user_id=admin).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {
        "Hours booked": "3.0",
        "Hours held": "2.0",
        "No-shows": "1",
        "Unbooked use": "1",
        "Overruns": "0",
    }
    assert "You held at most 2 meeting(s) at once; you have 2 account(s)." in at.markdown[0].value
    assert [c.key for c in at.get("plotly_chart")] == ["usage_rooms_chart", "usage_problems_chart", "usage_time_chart"]
    events = at.dataframe[0].value
    assert sorted(events["What"]) == ["No-show", "Unbooked use"]
    assert set(events["Subject"]) == {"Nobody came", "Direct"}
    [download] = at.get("download_button")
    assert download.proto.label == "Download CSV"


def test_usage_in_german_and_grouped_by_day(app_engine: Engine, admin: int) -> None:
    seed(app_engine)
    at = page("pages/usage.py", user_id=admin, lang="de")
    # set in the state: AppTest formats the choice outside the page run, where the texts would be English
    at.session_state["usage_by"] = "day"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Nutzung"
    assert "Es liefen höchstens 2 Meeting(s) gleichzeitig" in at.markdown[0].value
    table = at.dataframe[1].value
    assert list(table["Zeitraum"]) == [(datetime.now(UTC) - timedelta(days=3)).date().isoformat()] * 2


def test_an_empty_window_says_so(app_engine: Engine, admin: int) -> None:
    at = page("pages/usage.py", user_id=admin).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["Nothing was booked or held in this window."]


def test_staff_do_not_see_usage(app_engine: Engine, staff: int) -> None:
    at = page("pages/usage.py", user_id=staff).run()
    assert not at.exception and at.error and not at.metric
