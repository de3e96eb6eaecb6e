"""Every page of the dashboard in headless Chromium on the 1M-booking database: SQLite and PostgreSQL, admin and staff.

Time per page = from the click on its sidebar link until Streamlit has finished running the page (the last
script run it triggered), measured in the browser. Goal: every page under 1 s.

    python benchmarks/bench_pages.py [--db sqlite,postgresql] [--roles admin,staff] [--repeat 2]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import data  # noqa: E402
from core.access.auth import add_user  # noqa: E402
from core.kernel.db import make_engine, session_scope, upgrade  # noqa: E402
from core.kernel.models import SQLModel  # noqa: E402
from tests import pg  # noqa: E402
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path, running_dashboard  # noqa: E402

PASSWORD = "bench-password"
USERS = {"admin": "admin", "staff": "staff"}  # user name -> role
# Counts finished script runs in the page: each change of Streamlit's script state to notRunning.
OBSERVER = """
window.__starts = 0; window.__runs = 0; window.__doneAt = 0;
new MutationObserver((records) => {
  for (const r of records) {
    const now = r.target.getAttribute('data-test-script-state');
    if (now === 'running' && r.oldValue !== 'running') window.__starts += 1;
    if (now === 'notRunning' && r.oldValue === 'running') {
      window.__runs += 1; window.__doneAt = performance.now();
    }
  }
}).observe(document, {attributes: true, subtree: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""
QUIET_MS = 600  # a run followed by this much quiet is the last one a click triggered


def sqlite_copy(source: Path) -> Path:
    """The benchmark database plus an admin and a staff member (who may book every room), made once."""
    target = source.with_name(source.stem + "-pages.db")
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    shutil.copyfile(source, partial)
    engine = make_engine(f"sqlite:///{partial}")
    upgrade(engine)
    with session_scope(engine) as session:
        for name, role in USERS.items():
            add_user(session, username=name, password=PASSWORD, role=role, display_name=f"Bench {role}")
        session.execute(
            sa.text("INSERT INTO roompermission (room_id, group_id, may_book, may_manage) SELECT id, 1, 1, 0 FROM room")
        )
    engine.dispose()
    partial.rename(target)
    return target


def _copy_table(sqlite_con: sqlite3.Connection, pg_con: sa.Connection, table: sa.Table) -> int:
    names = [c.name for c in table.columns]
    cursor = sqlite_con.execute(f'SELECT {", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)} FROM "{table.name}"')
    raw = pg_con.connection.dbapi_connection
    count = 0
    with raw.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f'COPY "{table.name}" ({", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)}) FROM STDIN') as cp:
            while rows := cursor.fetchmany(50_000):
                buffer = io.StringIO()
                for row in rows:
                    buffer.write("\t".join(_field(v) for v in row) + "\n")
                cp.write(buffer.getvalue())
                count += len(rows)
        if "id" in names:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f'coalesce((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
            )
    return count


def _field(value: object) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@contextmanager
def postgres_copy(source: Path) -> Iterator[str]:
    """A throwaway PostgreSQL holding the same rows as `source` (migrated schema, loaded with COPY)."""
    bindir = pg.find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries found")
    server = pg.start(bindir)
    try:
        admin = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as con:
            con.exec_driver_sql("CREATE DATABASE bench")
        admin.dispose()
        url = server.url("bench")
        engine = make_engine(url)
        upgrade(engine)
        began = time.perf_counter()
        lite = sqlite3.connect(source)
        with engine.begin() as con:
            for table in SQLModel.metadata.sorted_tables:
                con.exec_driver_sql(f'DELETE FROM "{table.name}"')  # rows seeded by migrations come from SQLite
            for table in SQLModel.metadata.sorted_tables:
                _copy_table(lite, con, table)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as con:
            con.exec_driver_sql("VACUUM ANALYZE")
        lite.close()
        engine.dispose()
        print(f"PostgreSQL: copied {source.name} with COPY in {time.perf_counter() - began:.1f} s", flush=True)
        yield url
    finally:
        server.stop()


def wait_for_runs(page, started: int) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds (browser clock) at which the last script run caused by the latest action finished."""
    page.wait_for_function(f"window.__starts > {started}", timeout=180_000)
    page.wait_for_function("window.__runs >= window.__starts", timeout=180_000)
    while True:
        runs = page.evaluate("window.__runs")
        page.wait_for_timeout(QUIET_MS)
        state = page.evaluate(
            "document.querySelector('[data-test-script-state]').getAttribute('data-test-script-state')"
        )
        if page.evaluate("window.__runs") == runs and state == "notRunning":
            return page.evaluate("window.__doneAt")
        page.wait_for_function(f"window.__runs > {runs}", timeout=180_000)


def timed_action(page, act) -> float:  # type: ignore[no-untyped-def]
    before = page.evaluate("window.__starts")
    clicked = page.evaluate("performance.now()")
    act()
    done = wait_for_runs(page, before)
    errors = page.locator("[data-testid='stException']").count()
    if errors:
        print(f"  !! exception shown: {page.locator('[data-testid=stException]').first.inner_text()[:300]}")
    return (done - clicked) / 1000


def measure_role(browser, url: str, username: str, repeat: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB", timezone_id="Europe/Berlin")
    context.add_init_script(OBSERVER)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector('[data-test-connection-state="CONNECTED"]', timeout=120_000)
    page.get_by_role("heading", name="Sign in to Room Desk").wait_for(timeout=120_000)
    page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=120_000)
    page.wait_for_timeout(QUIET_MS)
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    times: dict[str, list[float]] = {}
    times["sign-in → landing page"] = [timed_action(page, lambda: page.get_by_role("button", name="Sign in").click())]
    links = page.locator("[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']")
    if links.count() == 0:
        page.screenshot(path="/tmp/bench-pages-signin.png")
        raise SystemExit(f"no sidebar after signing in as {username}: {page.inner_text('body')[:500]}")
    names = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]  # after the icon
    for _ in range(repeat):
        for i in [*range(1, len(names)), 0]:  # every page, then back to the landing page
            label = names[i] + (" (back)" if i == 0 else "")
            times.setdefault(label, []).append(timed_action(page, links.nth(i).click))
    context.close()
    return times


def run(db: str, url: str | None, data_dir: Path, roles: list[str], repeat: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    env = {"ROOMDESK_EMBEDDED_WORKER": "0"}
    if url:
        env["ROOMDESK_DATABASE_URL"] = url
    results = {}
    # No file watcher: editing the source while this runs must not reload modules under the measurement.
    with (
        running_dashboard(data_dir, env=env, extra_args=("--server.fileWatcherType", "none")) as app_url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for role in roles:
            results[role] = measure_role(browser, app_url, role, repeat)
            print(f"{db} {role}: " + ", ".join(f"{k} {max(v):.2f} s" for k, v in results[role].items()), flush=True)
        browser.close()
    return results


def table(all_results: dict[tuple[str, str], dict[str, list[float]]]) -> str:
    pages = list(dict.fromkeys(name for res in all_results.values() for name in res))
    columns = list(all_results)
    lines = [
        "| page | " + " | ".join(f"{db} {role}" for db, role in columns) + " |",
        "| --- |" + " --- |" * len(columns),
    ]
    for name in pages:
        cells = []
        for col in columns:
            values = all_results[col].get(name)
            cells.append("—" if not values else " / ".join(f"{v:.2f}" for v in values) + " s")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--roles", default="admin,staff")
    parser.add_argument("--repeat", type=int, default=2, help="visits per page (first, then warm)")
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=500)
    args = parser.parse_args()
    if chromium_path() is None:
        raise SystemExit("Chromium is missing (apt-get install chromium)")
    source = sqlite_copy(data.database(args.bookings, args.rooms))
    roles = args.roles.split(",")
    results: dict[tuple[str, str], dict[str, list[float]]] = {}
    for db in args.db.split(","):
        data_dir = Path(tempfile.mkdtemp(prefix="roomdesk-pages-"))
        try:
            if db == "sqlite":
                by_role = run(db, f"sqlite:///{source}", data_dir, roles, args.repeat)
            else:
                with postgres_copy(source) as url:
                    by_role = run(db, url, data_dir, roles, args.repeat)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        results.update({(db, role): times for role, times in by_role.items()})
    print(f"\n{args.bookings:,} bookings over {args.rooms} rooms; seconds per visit (first / again), os {os.name}")
    print(table(results))


if __name__ == "__main__":
    main()
