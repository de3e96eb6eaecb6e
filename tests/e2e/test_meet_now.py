"""Meet now in a real browser: one click books a free linked room, creates the meeting and hands the host link."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import link_a_room, running_dashboard, settle, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("e2e-meet-now")
    with running_dashboard(data) as url:
        yield url, data


def free_the_next_two_hours(data: Path) -> None:
    """The demo books rooms all day; clear the next two hours so a free room is certain."""
    now = datetime.now(UTC).replace(tzinfo=None)
    db = sqlite3.connect(data / "roomdesk.db", timeout=30)
    try:
        db.execute("PRAGMA foreign_keys=ON")  # the bookings go with their appointments
        with db:
            db.execute(
                "DELETE FROM appointment WHERE id IN "
                "(SELECT appointment_id FROM booking WHERE starts_at < ? AND ends_at > ?)",
                ((now + timedelta(hours=2)).isoformat(" "), (now - timedelta(hours=1)).isoformat(" ")),
            )
    finally:
        db.close()


def test_meet_now_books_a_room_and_opens_the_meeting_as_host(browser, dashboard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, data = dashboard
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, url)  # the first sign-in seeds the demo organisation
    room, _ = link_a_room(context, page, url)
    free_the_next_two_hours(data)
    page.get_by_role("link", name="Now").click()
    settle(page)
    page.get_by_role("heading", name="Now").wait_for(timeout=30_000)
    page.get_by_text("60 min", exact=True).click()
    settle(page)
    started = time.monotonic()
    page.get_by_role("button", name="Meet now").click()
    host = page.get_by_role("link", name="Open as host")
    host.wait_for(timeout=30_000)
    elapsed = time.monotonic() - started
    page.get_by_text(f"Booked {room} until").wait_for()
    assert "/host/" in (host.get_attribute("href") or "")
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "meet-now.png"), full_page=True)
    print(f"Meet now: host link after {elapsed:.2f} s")
    assert elapsed < 5, f"Meet now took {elapsed:.1f} s"
    with context.expect_page() as opened:
        host.click()
    meeting = opened.value
    meeting.wait_for_load_state()
    assert "You are the organizer; the meeting runs." in meeting.inner_text("body")
    page.get_by_text("GoTo runs: Meet now (Alex Admin)").first.wait_for(timeout=30_000)
    context.close()
