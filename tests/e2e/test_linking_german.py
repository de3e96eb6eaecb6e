"""Linking in German: a German admin links a room in one tab and comes back to it, signed in, in German."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import running_dashboard, settle

pytestmark = pytest.mark.browser


def test_a_german_admin_links_a_room_and_returns_to_it_in_german(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with running_dashboard(tmp_path) as url:
        context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="de-DE")
        page = context.new_page()
        page.goto(url)
        settle(page)
        page.get_by_label("Benutzername", exact=True).fill("mia")  # Mia Manager, admin, reads German
        page.get_by_label("Passwort", exact=True).fill("roomdesk-demo")
        page.get_by_role("button", name="Anmelden").click()
        settle(page)
        page.get_by_role("link", name="Räume").click()
        settle(page)
        page.get_by_role("button", name="GoTo-Account freigeben").first.click()
        page.wait_for_url("**/oauth/authorize?**", timeout=30_000)  # the same tab goes to GoTo
        assert page.get_by_label("E-mail").input_value() == "room5@sandbox.roomdesk.test"  # login_hint: Board Room
        page.get_by_label("Password").fill("sandbox")
        page.get_by_role("button", name="Allow", exact=True).click()
        page.wait_for_url(f"{url}/rooms**", timeout=30_000)  # back in this tab, on the room, still signed in
        settle(page)
        page.get_by_text("Der Raum „Board Room“ ist jetzt mit seinem GoTo-Account verbunden.").wait_for(timeout=30_000)
        assert page.get_by_text("Verbunden").count() >= 1
        assert "code=" not in page.url and "state=" not in page.url
        assert page.get_by_text("is now linked").count() == 0 and page.get_by_text("Not linked").count() == 0
        assert len(context.pages) == 1  # no second tab was opened
        context.close()
