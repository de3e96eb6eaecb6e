"""Utilisation per room and day: overlaps count once, peak concurrency, share of the working day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from core.booking.appointments import AppointmentInput, save_appointment
from core.kernel.errors import PermissionDenied
from core.reporting.utilisation import utilisation
from tests.conftest import make_room, make_user

BERLIN = ZoneInfo("Europe/Berlin")


def local(day: int, hour: float) -> datetime:
    return datetime(2026, 12, day, int(hour), int(hour % 1 * 60), tzinfo=BERLIN)


def test_hours_peak_and_share_per_room_and_day(session: Session) -> None:
    admin = make_user(session, role="admin")
    room = make_room(session, name="Sales 1")
    for start, end, day in [(9, 11, 7), (10, 12, 7), (17, 19, 7), (9, 10, 8)]:
        save_appointment(
            session,
            user=admin,
            confirm_overbooking=True,
            data=AppointmentInput(
                subject="x", starts_at=local(day, start), ends_at=local(day, end), room_ids=(room.id,)
            ),
        )
    rows = utilisation(session, user=admin, start=local(7, 0), end=local(9, 0), zone="Europe/Berlin")
    got = {(r.day, r.hours_booked, r.peak, r.share) for r in rows.itertuples()}
    # 7 Dec: 09-12 (3 h, two at once 10-11) + 17-19 (2 h, one inside working hours) -> 5 h, share 4/10
    assert got == {(date(2026, 12, 7), 5.0, 2, 0.4), (date(2026, 12, 8), 1.0, 1, 0.1)}


def test_only_admins_see_utilisation(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        utilisation(session, user=make_user(session), start=local(7, 0), end=local(8, 0), zone="Europe/Berlin")


def test_every_room_and_every_day_of_the_window_is_a_cell_weekends_and_empty_rooms_too(session: Session) -> None:
    admin = make_user(session, role="admin")
    room = make_room(session, name="Sales 1")
    make_room(session, name="Quiet")
    make_room(session, name="Old", active=False)
    save_appointment(
        session,
        user=admin,
        data=AppointmentInput(subject="x", starts_at=local(4, 9), ends_at=local(4, 10), room_ids=(room.id,)),
    )
    # Fri 4 Dec to Mon 7 Dec: the weekend between has no bookings at all
    rows = utilisation(session, user=admin, start=local(4, 0), end=local(8, 0), zone="Europe/Berlin")
    assert sorted(set(rows["room"])) == ["Quiet", "Sales 1"]
    assert sorted(set(rows["day"])) == [date(2026, 12, d) for d in (4, 5, 6, 7)]
    assert len(rows) == 8
    assert rows.set_index(["room", "day"]).loc[("Quiet", date(2026, 12, 5)), "hours_booked"] == 0
