"""Upgrades: a database left at any earlier revision, with data in it, upgrades to the latest schema on SQLite
and PostgreSQL, keeps every row and works with the current services."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from core.conflicts.sweep import overbookings_in_window
from core.kernel.db import alembic_config, make_engine, session_scope, upgrade
from core.kernel.models import User
from core.series.agenda import list_appointments
from tests.integration.test_storage import schema_differences

T = datetime(2026, 3, 2, 9, 0)  # naive UTC, as stored
HOUR = timedelta(hours=1)
# Rows for every table an older revision may hold; only the columns that exist at that revision are written.
ROWS: dict[str, list[dict[str, object]]] = {
    "user": [
        {
            "id": 1,
            "username": "olga",
            "display_name": "Olga Organizer",
            "email": "olga@example.org",
            "password_hash": None,
            "role": "staff",
            "language": "de",
            "time_zone": "Europe/Berlin",
            "active": True,
            "created_at": T,
        },
    ],
    "room": [
        {
            "id": n,
            "name": name,
            "goto_account": f"room{n}@example.org",
            "description": "",
            "active": True,
            "created_at": T,
        }
        for n, name in ((1, "Board Room"), (2, "Sales"))
    ],
    "roompermission": [{"id": 1, "room_id": 2, "user_id": 1, "group_id": None, "may_book": True, "may_manage": False}],
    "appointment": [
        {
            "id": n,
            "subject": subject,
            "starts_at": T + offset,
            "ends_at": T + offset + HOUR,
            "time_zone": "Europe/Berlin",
            "organizer_id": 1,
            "organizer_name": "",
            "note": "agenda",
            "external_emails": "",
            "version": 1,
            "created_at": T,
            "updated_at": T,
        }
        for n, subject, offset in ((1, "Planning", timedelta(0)), (2, "Review", HOUR / 2))
    ],
    "booking": [
        {"id": n, "appointment_id": n, "room_id": 1, "starts_at": T + offset, "ends_at": T + offset + HOUR}
        for n, offset in ((1, timedelta(0)), (2, HOUR / 2))
    ],
    "participant": [{"appointment_id": 1, "user_id": 1}],
    "goto_meeting_data": [
        {
            "appointment_id": 1,
            "account": "room1@example.org",
            "meeting_id": "4711",
            "join_url": "https://x.test/j",
            "state": "created",
            "data": {"block": "Join"},
            "updated_at": T,
        }
    ],
    "setting": [{"key": "forbid_overbooking", "value": False}],
    "audit": [
        {
            "id": 1,
            "at": T,
            "actor_id": 1,
            "actor_name": "olga",
            "effective_user_id": None,
            "action": "appointment.create",
            "entity": "appointment",
            "entity_id": "1",
            "before": None,
            "after": {"subject": "Planning"},
        }
    ],
    "room_link": [
        {
            "room_id": 1,
            "status": "linked",
            "email": "room1@example.org",
            "account_key": "a",
            "organizer_key": "o",
            "access_token": "encrypted",
            "refresh_token": "encrypted",
            "expires_at": T + HOUR,
            "linked_at": T,
            "linked_by_id": 1,
            "last_refresh_at": None,
            "last_error": "",
            "refresh_count": 0,
        }
    ],
    "outbox": [
        {
            "id": 1,
            "created_at": T,
            "appointment_id": 1,
            "method": "REQUEST",
            "sender": "desk@example.org",
            "recipients": "guest@example.org",
            "subject": "Planning",
            "body": "Hello",
            "ics": "BEGIN:VCALENDAR",
            "sent_at": None,
            "error": "",
        }
    ],
    "meeting_job": [
        {
            "id": 1,
            "kind": "sync",
            "appointment_id": 2,
            "account": None,
            "meeting_id": None,
            "attempts": 1,
            "next_attempt_at": T,
            "claimed_until": None,
            "last_error": "GoTo 503",
            "created_at": T,
        }
    ],
    "activation_request": [
        {
            "id": 1,
            "system_name": "Room Desk",
            "url_hash": "h" * 64,
            "url_hint": "https://desk.example.org/…",
            "contact": "",
            "note": "",
            "status": "pending",
            "requested_at": T,
            "requested_by_id": 1,
            "requested_by_name": "Olga",
            "decided_at": None,
            "decided_by_id": None,
            "decided_by_name": "",
            "registered_via": "",
            "reason": "",
            "superseded_by_id": None,
        }
    ],
}


def earlier_revisions() -> list[str]:
    """Every revision before the head, oldest first (new migrations join the test on their own)."""
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    return [r.revision for r in reversed(list(script.walk_revisions()))][:-1]


def fill(engine: Engine) -> dict[str, int]:
    """Write ROWS into whichever of their tables exist now; the row count written per table."""
    written = {}
    with engine.begin() as con:
        present = set(sa.inspect(con).get_table_names())
        for name, rows in ROWS.items():
            if name not in present:
                continue
            table = sa.Table(name, sa.MetaData(), autoload_with=con)
            required = {c.name for c in table.columns if not c.nullable and c.server_default is None}
            missing = required - set(rows[0]) - {c.name for c in table.primary_key.columns if c.autoincrement is True}
            assert not missing, f"add values for {name}.{sorted(missing)} to ROWS (a new column at this revision)"
            con.execute(table.insert(), [{k: v for k, v in row.items() if k in table.columns} for row in rows])
            written[name] = len(rows)
        if engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
            for name in written:
                if "id" in sa.Table(name, sa.MetaData(), autoload_with=con).columns:
                    con.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT max(id) FROM \"{name}\"))"
                    )
    return written


def upgraded_from(engine: Engine, revision: str) -> None:
    upgrade(engine, revision)
    written = fill(engine)
    upgrade(engine)
    assert schema_differences(engine) == []
    with engine.connect() as con:
        counts = {name: con.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar() for name in written}
    assert counts == written
    with session_scope(engine) as s:
        olga = s.get(User, 1)
        assert olga is not None and olga.created_at == T.replace(tzinfo=UTC)
        rows = list_appointments(s, user=olga, start=T.replace(tzinfo=UTC) - HOUR, end=T.replace(tzinfo=UTC) + 3 * HOUR)
        assert [(r.subject, r.room, r.overbooked) for r in rows] == [
            ("Planning", "Board Room", True),
            ("Review", "Board Room", True),
        ]
        slots = overbookings_in_window(s, start=T.replace(tzinfo=UTC), end=T.replace(tzinfo=UTC) + 2 * HOUR)
        assert slots["appointment_ids"].tolist() == [[1, 2]]


@pytest.mark.parametrize("revision", earlier_revisions())
def test_sqlite_upgrades_from_an_earlier_revision_with_data(revision: str, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    try:
        upgraded_from(engine, revision)
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("revision", earlier_revisions())
def test_postgres_upgrades_from_an_earlier_revision_with_data(revision: str, postgres_server) -> None:  # type: ignore[no-untyped-def]
    name = f"upgrade_{revision}_{os.getpid()}"
    admin = sa.create_engine(postgres_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(postgres_server.url(name))
    try:
        upgraded_from(engine, revision)
    finally:
        engine.dispose()
        with admin.connect() as con:
            con.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()
