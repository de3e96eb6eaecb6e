"""The dashboard in a real browser: deep links need sign-in; the admin signs in and sees the timeline."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import settle

pytestmark = pytest.mark.browser


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
    page.goto(dashboard_url)
    settle(page)
    page.get_by_label("User name", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill("roomdesk-demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Timeline").wait_for(timeout=60_000)
    settle(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    assert page.get_by_text("Overbooked slots", exact=True).count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
    page.close()
