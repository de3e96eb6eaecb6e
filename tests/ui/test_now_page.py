"""Now page: every room this minute with GoTo's live status, and Meet now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.goto import MeetingSpec
from core.goto.connect import connect_goto
from core.kernel.config import get_settings
from core.kernel.db import session_scope
from core.kernel.models import Booking, GotoMeetingData, User
from tests.conftest import make_booking, make_room
from tests.integration.linking import ADDRESS, Setup, link_room
from tests.ui.conftest import page

ACCOUNT = "room1@sandbox.roomdesk.test"  # seeded by the sandbox on its first start


@pytest.fixture
def linked(app_engine: Engine, admin: int):  # type: ignore[no-untyped-def]
    """Sales 1 linked in the app's own sandbox (the state file the page's sandbox uses)."""
    from core.access import external_access
    from core.goto.sandbox import register_redirect_uri

    connection = connect_goto(app_engine, get_settings())
    with session_scope(app_engine) as s:
        user = s.get(User, admin)
        room = make_room(s, name="Sales 1", goto_account=ACCOUNT)
        access = external_access.set_system_address(s, user=user, address=ADDRESS)
        external_access.set_access_user(s, user=user, access_user_id=admin)
        register_redirect_uri(get_settings().data_dir, access.redirect_url)
        external_access.record_activation(s, url=access.redirect_url, actor=user)
    setup = Setup(user, room, ACCOUNT)
    link_room(app_engine, connection, setup)
    yield setup
    connection.client.close()
    connection.sandbox.stop()


def badges(at) -> str:  # type: ignore[no-untyped-def]
    return " | ".join(m.value for m in at.markdown)


def test_meet_now_books_the_free_linked_room_and_hands_the_host_link(app_engine: Engine, linked) -> None:  # type: ignore[no-untyped-def]
    with session_scope(app_engine) as s:
        make_room(s, name="Quiet room")  # not linked: no meeting could be created there
    at = page("pages/now.py", user_id=linked.admin.id).run()
    assert not at.exception
    assert "Free all week" in badges(at) and "Not linked" in badges(at)
    at.button(key="meet_now").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Booked Sales 1 until")
    [button] = at.get("link_button")
    assert button.proto.label == "Open as host" and "/host/" in button.proto.url
    with session_scope(app_engine) as s:
        [booking] = s.exec(select(Booking)).all()
        meeting = s.get(GotoMeetingData, booking.appointment_id)
    assert booking.room_id == linked.room.id and booking.ends_at - booking.starts_at == timedelta(minutes=30)
    connection = connect_goto(app_engine, get_settings())
    try:
        [running] = [m for m in connection.client.upcoming_meetings(linked.email) if m.status == "ACTIVE"]
    finally:
        connection.client.close()
        connection.sandbox.stop()
    assert running.meeting_id == meeting.meeting_id  # type: ignore[union-attr]
    assert "Meeting running" in badges(at)
    assert any(c.value.startswith("GoTo runs: Meet now (") for c in at.caption)


def test_a_meeting_running_without_a_booking_is_shown_and_the_room_is_not_offered(  # type: ignore[no-untyped-def]
    app_engine: Engine, linked
) -> None:
    connection = connect_goto(app_engine, get_settings())
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        meeting = connection.client.create_meeting(
            linked.email, MeetingSpec("Old link reused", now - timedelta(minutes=5), now + timedelta(hours=1))
        )
        connection.client.host_url(linked.email, meeting.meeting_id)
    finally:
        connection.client.close()
        connection.sandbox.stop()
    at = page("pages/now.py", user_id=linked.admin.id).run()
    assert not at.exception
    assert "Running but not booked" in badges(at)
    assert "GoTo runs “Old link reused” without a booking now" in [c.value for c in at.caption]
    at.button(key="meet_now").click().run()
    assert [e.value for e in at.error] == ["No room you may book is free for the next 30 minutes."]


def test_the_board_shows_what_is_booked_now_and_next_in_german(app_engine: Engine, admin: int) -> None:
    now = datetime.now(UTC)
    with session_scope(app_engine) as s:
        room = make_room(s, name="Board Room")
        make_booking(s, room, now - timedelta(minutes=10), now + timedelta(minutes=20), "Vorstand")
        make_booking(s, room, now + timedelta(hours=2), now + timedelta(hours=3), "Danach")
        s.get(User, admin).time_zone = "Europe/Berlin"  # type: ignore[union-attr]
    at = page("pages/now.py", user_id=admin, lang="de").run()
    assert not at.exception
    assert at.title[0].value == "Jetzt"
    captions = " | ".join(c.value for c in at.caption)
    assert "Jetzt gebucht: Vorstand, bis" in captions and "Als Nächstes: Danach um" in captions
    assert "Gebucht" in badges(at)


@pytest.mark.parametrize("role", ["support"])
def test_support_staff_do_not_get_the_now_page(app_engine: Engine, role: str) -> None:
    from tests.conftest import make_user

    with session_scope(app_engine) as s:
        user_id = make_user(s, role=role).id
    at = page("pages/now.py", user_id=user_id).run()
    assert not at.exception and at.error and not at.get("button")
