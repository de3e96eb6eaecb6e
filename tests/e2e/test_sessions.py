"""Sign-in that stays, in a real browser: reloads, second tabs, deep links, server restarts, sign out everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import running_dashboard, settle, sign_in
from tests.pg import free_port

pytestmark = pytest.mark.browser
PAGE_NAMES = ["Timeline", "Appointments", "Conflicts", "Rooms", "Settings", "People", "Groups", "Audit"]


def signed_in_as(page, name: str) -> bool:  # type: ignore[no-untyped-def]
    return page.get_by_role("button", name="Sign out", exact=True).count() == 1 and page.get_by_text(name).count() > 0


def shows_only_the_sign_in_form(page) -> bool:  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name="Sign in to Room Desk").wait_for(timeout=30_000)
    names = [n for n in PAGE_NAMES if page.get_by_text(n, exact=True).count()]
    assert names == [], f"page names shown before sign-in: {names}"
    assert page.get_by_text("Page not found").count() == 0
    return True


def test_a_deep_link_right_after_a_server_start_signs_in_and_lands_on_that_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with running_dashboard(tmp_path) as url:
        page = browser.new_page(viewport={"width": 1300, "height": 900}, locale="en-GB")
        page.goto(f"{url}/conflicts")  # the very first visit of this server process
        settle(page)
        assert shows_only_the_sign_in_form(page)
        page.get_by_label("User name", exact=True).fill("admin")
        page.get_by_label("Password", exact=True).fill("roomdesk-demo")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Conflicts").first.wait_for(timeout=60_000)
        assert page.url.endswith("/conflicts")
        assert page.get_by_text("Page not found").count() == 0
        page.close()


def test_an_unknown_address_and_a_page_of_another_role_never_say_page_not_found(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with running_dashboard(tmp_path) as url:
        page = browser.new_page(locale="en-GB")
        page.goto(f"{url}/no_such_page")
        settle(page)
        assert shows_only_the_sign_in_form(page)
        page.goto(f"{url}/rooms")
        settle(page)
        page.get_by_label("User name", exact=True).fill("anna")  # staff: Rooms is not hers
        page.get_by_label("Password", exact=True).fill("roomdesk-demo")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Termine").first.wait_for(timeout=60_000)  # her landing page; she reads German
        assert not page.url.endswith("/rooms")
        assert page.get_by_text("Page not found").count() == 0
        page.close()


def test_reload_second_tab_and_restart_keep_the_sign_in_and_sign_out_everywhere_ends_both(
    browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="en-GB")
    with running_dashboard(tmp_path, port=port) as url:
        first = context.new_page()
        sign_in(first, url)
        first.get_by_role("heading", name="Timeline").wait_for(timeout=60_000)
        first.reload()
        settle(first)
        first.get_by_role("heading", name="Timeline").wait_for(timeout=60_000)
        assert signed_in_as(first, "Alex Admin")
    with running_dashboard(tmp_path, port=port) as url:  # the server restarted: the session is in the database
        first.reload()
        settle(first)
        first.get_by_role("heading", name="Timeline").wait_for(timeout=60_000)
        second = context.new_page()
        second.goto(f"{url}/profile")
        settle(second)
        second.get_by_role("heading", name="My settings").wait_for(timeout=60_000)
        second.get_by_text("this browser").first.wait_for(timeout=30_000)
        second.get_by_role("button", name="Sign out everywhere").click()
        settle(second)
        assert shows_only_the_sign_in_form(second)
        first.get_by_role("link", name="Conflicts").click()  # the other tab's next step finds its session ended
        settle(first)
        assert shows_only_the_sign_in_form(first)
        first.reload()
        settle(first)
        assert shows_only_the_sign_in_form(first)
    context.close()
