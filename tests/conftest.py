"""Shared fixtures: a migrated SQLite per test, a throwaway PostgreSQL, small factories, AppTest set-up."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.kernel.config import get_settings
from core.kernel.db import get_engine, make_engine, session_scope, upgrade
from core.kernel.models import Booking, Group, Room, RoomPermission, User
from tests import pg

_counter = itertools.count(1)
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy (migrating every time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path) -> Iterator[Engine]:
    path = tmp_path / "roomdesk.db"
    shutil.copy(migrated_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end of the block the test writes (or rolled back on error)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg.PostgresServer]:
    bindir = pg.find_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries (initdb, postgres) are missing; CI must install them")
        pytest.skip("PostgreSQL binaries not found on this machine (install Debian's 'postgresql')")
    server = pg.start(bindir)
    yield server
    server.stop()


@pytest.fixture
def pg_engine(postgres_server: pg.PostgresServer) -> Iterator[Engine]:
    """An empty database on the throwaway server, dropped afterwards."""
    name = f"t{os.getpid()}_{next(_counter)}"
    admin = sa.create_engine(postgres_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    eng = make_engine(postgres_server.url(name))
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


# --- factories: readable defaults, override what the test is about ---------------------------------------


def make_user(
    session: Session,
    *,
    username: str | None = None,
    role: str = "staff",
    groups: tuple[str, ...] = (),
    time_zone: str = "Europe/Berlin",
    password: str | None = "correct horse",
) -> User:
    from core.access.auth import add_user

    return add_user(
        session,
        username=username or f"user{next(_counter)}",
        password=password,
        role=role,
        groups=groups,
        time_zone=time_zone,
    )


def make_group(session: Session, name: str) -> Group:
    group = Group(name=name)
    session.add(group)
    session.flush()
    return group


def make_room(
    session: Session,
    *,
    name: str | None = None,
    goto_account: str | None = None,
    bookable_by: User | None = None,
    active: bool = True,
) -> Room:
    room = Room(name=name or f"Room {next(_counter)}", goto_account=goto_account, active=active)
    session.add(room)
    session.flush()
    if bookable_by is not None:
        session.add(RoomPermission(room_id=room.id, user_id=bookable_by.id, may_book=True))
        session.flush()
    return room


def make_booking(
    session: Session,
    room: Room,
    start: datetime,
    end: datetime,
    subject: str = "Meeting",
    organizer: User | None = None,
) -> Booking:
    """An appointment holding `room` over [start, end), written directly (no service rules)."""
    from core.kernel.models import Appointment

    appt = Appointment(
        subject=subject,
        starts_at=start,
        ends_at=end,
        time_zone="UTC",
        organizer_id=organizer.id if organizer else None,
        organizer_name="Guest Person",
    )
    session.add(appt)
    session.flush()
    booking = Booking(appointment_id=appt.id, room_id=room.id, starts_at=start, ends_at=end)  # type: ignore[arg-type]
    session.add(booking)
    session.flush()
    return booking


def at(hours: float, *, day: int = 0) -> datetime:
    """A moment `hours` after 09:00 UTC on the test Monday (plus `day` days)."""
    return T0 + timedelta(days=day, hours=hours)


# --- Streamlit AppTest: every page against its own temporary data directory -----------------------------


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_template: Path) -> Iterator[Path]:
    """Point the app at an empty, migrated SQLite under a temporary ROOMDESK_DATA_DIR."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(migrated_template, data / "roomdesk.db")
    monkeypatch.setenv("ROOMDESK_DATA_DIR", str(data))
    monkeypatch.setenv("ROOMDESK_EMBEDDED_WORKER", "0")  # no background thread outliving the test
    monkeypatch.delenv("ROOMDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


@pytest.fixture
def app_engine(app_env: Path) -> Engine:
    return get_engine(get_settings().database_url)


def commit(engine: Engine, build):  # type: ignore[no-untyped-def]
    """Run `build(session)` in its own committed transaction and return its result."""
    with session_scope(engine) as s:
        return build(s)


# --- the GoTo sandbox over real HTTP, and rooms linked through the real OAuth flow -------------------------


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The GoTo sandbox served in a thread on a free loopback port, once per test run."""
    from core.goto.sandbox import start_in_thread

    running = start_in_thread(tmp_path_factory.mktemp("goto-sandbox"))
    yield running
    running.stop()


@pytest.fixture
def goto(engine: Engine, sandbox, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Room Desk's GoTo connection (client + stored tokens) against the sandbox."""
    from core.goto.connect import connect_goto
    from core.kernel.config import Settings

    settings = Settings(
        data_dir=tmp_path,
        database_url=str(engine.url),
        database_is_default=False,
        goto_auth_url=None,
        goto_api_url=None,
        goto_client_id=None,
        goto_client_secret=None,
        secret_key=None,
        smtp_url=None,
    )
    waits: list[float] = []  # the client's backoff waits are recorded, not slept
    connection = connect_goto(engine, settings, sandbox=sandbox, sleep=waits.append)
    connection.waits = waits  # type: ignore[attr-defined]
    yield connection
    connection.client.close()
