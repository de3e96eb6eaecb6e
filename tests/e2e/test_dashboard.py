"""The dashboard in a real browser: deep links need sign-in; the admin signs in and sees the timeline."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import link_a_room, settle, sign_in

pytestmark = pytest.mark.browser
LINKED_ROOM = "Board Room"  # the first room on the Rooms page (name order), linked by the linking test


def test_a_deep_link_shows_only_the_sign_in_form(browser, dashboard_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{dashboard_url}/rooms")
    settle(page)
    page.get_by_role("heading", name="Sign in to Room Desk").wait_for()
    assert page.get_by_text("Rooms", exact=True).count() == 0
    assert page.locator(".js-plotly-plot").count() == 0
    page.close()


def test_admin_signs_in_and_sees_the_timeline_with_conflicts(browser, dashboard_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-GB", timezone_id="Europe/Berlin")
    sign_in(page, dashboard_url)
    page.get_by_role("heading", name="Timeline").wait_for(timeout=60_000)
    settle(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    overbooked = page.locator("[data-testid='stMetric']").filter(has_text="Overbooked slots")
    assert int(overbooked.locator("[data-testid='stMetricValue']").inner_text()) > 0  # the demo week has some
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
    page.close()


def test_admin_links_a_room_through_the_sandbox_consent_page(browser, dashboard_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, dashboard_url)
    room, callback = link_a_room(context, page, dashboard_url)
    assert room == LINKED_ROOM
    assert "code=" not in callback.url and "state=" not in callback.url  # single-use values leave the address bar
    context.close()


def test_an_admin_links_a_room_books_it_starts_the_meeting_and_sends_the_invitation(
    browser, dashboard_url: str
) -> None:  # type: ignore[no-untyped-def]
    """Stands alone: it links the room it books (again, if the linking test ran first), in its own context."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="en-GB")
    page = context.new_page()
    sign_in(page, dashboard_url)
    room, page = link_a_room(context, page, dashboard_url)
    assert room == LINKED_ROOM
    page.get_by_role("link", name="Appointments").click()
    settle(page)
    page.get_by_role("button", name="New appointment").click()
    settle(page)
    page.get_by_role("textbox", name="Subject").fill("Browser call")
    page.get_by_role("textbox", name="External participants").fill("guest@example.org")
    page.get_by_role("combobox", name="Room").click()
    page.get_by_role("option", name=LINKED_ROOM).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save", exact=True).click()
    settle(page)
    if page.get_by_role("button", name="Book anyway").count():  # the demo may already use that hour
        page.get_by_role("button", name="Book anyway").click()
        settle(page)
    page.get_by_role("button", name="Start meeting").wait_for(timeout=90_000)  # the worker may be slow under load
    assert "Join the meeting:" in page.locator("[data-testid='stCode']").first.inner_text()
    page.get_by_role("button", name="Start meeting").click()
    settle(page)
    host = page.get_by_role("link", name="Open GoTo Meeting as host")
    assert "/host/" in host.get_attribute("href")
    page.get_by_text("Send invitation to participants").click()
    page.get_by_role("button", name="Save and close").click()
    settle(page)
    if page.get_by_role("button", name="Book anyway").count():
        page.get_by_role("button", name="Book anyway").click()
        settle(page)
    page.get_by_text("placed in the outbox").wait_for(timeout=30_000)
    context.close()
