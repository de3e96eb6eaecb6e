"""A real `streamlit run app.py` (the dashboard) on a free port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("ROOMDESK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def wait_until_healthy(proc: subprocess.Popen[bytes], health: str, log: Path, attempts: int = 600) -> None:
    """Poll the health endpoint; between tries wait on the process itself, which also notices a crash."""
    with httpx.Client(timeout=2) as client:
        for _ in range(attempts):
            try:
                if client.get(health).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            try:
                proc.wait(timeout=0.2)
                raise RuntimeError(f"streamlit exited:\n{log.read_text(errors='replace')}")
            except subprocess.TimeoutExpired:
                continue
    raise RuntimeError(f"streamlit did not become healthy:\n{log.read_text(errors='replace')}")


@contextmanager
def running_dashboard(
    data: Path, *, extra_args: tuple[str, ...] = (), port: int | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`streamlit run app.py` on loopback with its own data directory; yields its URL once healthy."""
    port = port or free_port()
    environment = {k: v for k, v in os.environ.items() if k != "ROOMDESK_DATABASE_URL"}  # only what env= says
    environment.update({"ROOMDESK_DATA_DIR": str(data), **(env or {})})
    log = open(data / "streamlit.log", "wb")  # noqa: SIM115  (stays open for the server's lifetime)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            *extra_args,
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(proc, f"{url}/_stcore/health", data / "streamlit.log")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on the embedded default: empty data directory, so the first start seeds the demo.

    One per test module, so one journey's changes (a new token, linked rooms) never leak into another's.
    """
    with running_dashboard(tmp_path_factory.mktemp("e2e-data")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing; CI must install Debian's 'chromium'")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit is connected and has finished running the script."""
    page.wait_for_selector('[data-test-connection-state="CONNECTED"]', timeout=60_000)
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=60_000)


ROOM_OF = {
    f"room{n}@sandbox.roomdesk.test": name
    for n, name in enumerate(["Sales 1", "Sales 2", "Consulting", "Support Desk", "Board Room", "Training"], start=1)
}


def sign_in(page, url: str, username: str = "admin") -> None:  # type: ignore[no-untyped-def]
    """Open the dashboard and sign in as a demo user."""
    page.goto(url)
    settle(page)
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill("roomdesk-demo")
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def link_a_room(context, page, url: str, *, create_account: bool = False):  # type: ignore[no-untyped-def]
    """Link the room shown on the Rooms page through the sandbox's consent page, in this same tab.

    Returns (room name, page): the page is back on the Rooms page, on that room, signed in.
    """
    page.get_by_role("link", name="Rooms").click()
    settle(page)
    page.get_by_role("button", name="Link GoTo account").first.click()
    page.wait_for_url("**/oauth/authorize?**", timeout=30_000)  # the same tab, not a new one
    email = page.get_by_label("E-mail")
    account = email.input_value()  # the sandbox fills in the room's account from login_hint
    page.get_by_label("Password").fill("sandbox")
    button = "Create sandbox account and allow" if create_account else "Allow"
    page.get_by_role("button", name=button, exact=True).click()
    try:
        page.wait_for_url(f"{url}/rooms**", timeout=30_000)
        settle(page)
        page.get_by_text("is now linked to its GoTo account").wait_for(timeout=30_000)
    except Exception as err:  # say what the page showed instead (a refusal names its reason)
        raise AssertionError(f"at {page.url} the page said: {page.inner_text('body')[:800]}") from err
    return ROOM_OF.get(account, account), page
