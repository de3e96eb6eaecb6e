"""In a real browser: link a room, create a weekly series in it, answer the overbooking, open one occurrence
and see that occurrence's own GoTo invitation."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import link_a_room, settle, sign_in

pytestmark = pytest.mark.browser


def test_staff_opens_one_occurrence_of_a_series_and_gets_its_own_meeting(browser, dashboard_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="en-GB", timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in(page, dashboard_url)
    room, _ = link_a_room(context, page, dashboard_url)
    page.get_by_role("link", name="Series").click()
    settle(page)
    page.get_by_role("button", name="New series").click()
    settle(page)
    page.get_by_label("Subject", exact=True).fill("E2E jour fixe")
    page.get_by_label("Subject", exact=True).press("Enter")
    settle(page)
    page.get_by_label("Room", exact=True).click()
    page.keyboard.type(room)
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("button", name="Save", exact=True).click()
    saved = page.get_by_text(re.compile(r"Series “E2E jour fixe” saved: \d+ occurrence\(s\) booked"))
    skip = page.get_by_role("button", name=re.compile(r"Skip these \d+ occurrence"))
    saved.or_(skip).first.wait_for(timeout=30_000)
    if skip.count():  # the demo's own bookings fill the next weeks: leave those days out
        skip.click()
    saved.wait_for(timeout=30_000)
    page.get_by_text("Next occurrences").wait_for()
    page.get_by_role("button", name="Open this occurrence").first.click()
    settle(page)
    page.get_by_text("Occurrence of “E2E jour fixe” opened.").wait_for(timeout=60_000)
    settle(page)
    invitation = page.locator("code").filter(has_text="GoTo Meeting").first
    invitation.wait_for(timeout=60_000)
    text = invitation.inner_text()
    assert "Join the meeting:" in text and "/join/" in text and "Meeting ID:" in text
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "occurrence.png"), full_page=True)
    context.close()
