"""The activation desk in a real browser: the admin's new token needs a new activation, support registers it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import settle, sign_in

pytestmark = pytest.mark.browser


def signed_in(browser, dashboard_url: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB", timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in(page, dashboard_url, username)
    return context, page


def test_a_new_token_is_requested_registered_by_support_and_active_again(browser, dashboard_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    admin_context, admin = signed_in(browser, dashboard_url, "admin")
    admin.get_by_role("link", name="Settings", exact=True).click()
    admin.get_by_role("heading", name="GoTo features").wait_for(timeout=60_000)
    settle(admin)
    admin.get_by_role("button", name="Regenerate token").click()
    admin.get_by_role("button", name="Yes, regenerate").click()
    admin.get_by_text("A new token was generated. Request a new activation.").wait_for(timeout=30_000)
    settle(admin)
    assert admin.get_by_text("The activation is not valid", exact=False).count() >= 1
    new_url = admin.locator("[data-testid='stCode']").first.inner_text().strip()
    assert "/goto_callback?token=" in new_url
    admin.get_by_role("button", name="Request activation").click()
    admin.get_by_text("Activation requested by Alex Admin", exact=False).wait_for(timeout=30_000)

    support_context, support = signed_in(browser, dashboard_url, "sam")
    support.get_by_role("heading", name="Activation desk").wait_for(timeout=60_000)  # support's landing page
    settle(support)
    support.get_by_text("All pending URLs (1)").click()
    support.locator("[data-testid='stCode']").filter(has_text=new_url).first.wait_for(timeout=30_000)  # expanded
    assert new_url in [c.strip() for c in support.locator("[data-testid='stCode']").all_inner_texts()]
    support.get_by_text("registers the URL with the sandbox's OAuth client", exact=False).wait_for()
    support.get_by_role("button", name="Mark registered").click()
    support.get_by_text("is registered: linking works now.", exact=False).wait_for(timeout=30_000)
    settle(support)
    support.get_by_text("No activation requests here.").wait_for()
    assert support.locator("[data-testid='stException']").count() == 0
    support.screenshot(path=str(tmp_path / "activation-desk.png"), full_page=True)
    support_context.close()

    admin.get_by_role("link", name="Audit").click()  # the admin's audit shows support's confirmation
    admin.get_by_role("heading", name="Audit").wait_for(timeout=60_000)
    settle(admin)
    # The newest entry is opened below the table: support's confirmation.
    admin.get_by_role("heading", name=re.compile(r"^Redirect URL registered at GoTo \(entry \d+\)")).wait_for(
        timeout=30_000
    )
    assert admin.get_by_text("By Sam Support, ", exact=False).count() == 1
    admin.get_by_role("link", name="Settings", exact=True).click()
    admin.get_by_role("heading", name="GoTo features").wait_for(timeout=60_000)
    settle(admin)
    admin.get_by_text("This redirect URL is registered at GoTo: linking works.").wait_for(timeout=30_000)
    assert admin.get_by_text("Registered by Sam Support", exact=False).count() == 1
    assert admin.locator("[data-testid='stException']").count() == 0
    admin_context.close()
