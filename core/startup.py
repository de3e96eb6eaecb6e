"""What the dashboard does once per process before serving anyone."""
from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from core import demo, settings
from core.config import Settings
from core.db import session_scope


def prepare_database(engine: Engine, config: Settings, *, today: date | None = None) -> bool:
    """Seed the demo organisation into an empty *default* database; True if it did."""
    if not config.database_is_default:
        return False  # a configured production database is never filled with demo data
    with session_scope(engine, immediate=True) as session:
        if not demo.is_empty(session):
            return False
        demo.seed_demo(session, today=today or date.today())
    return True


def demo_credentials(engine: Engine) -> list[tuple[str, str, str]]:
    """The demo sign-ins, only when this database was seeded with the demo."""
    with session_scope(engine) as session:
        return demo.credentials() if settings.get_value(session, settings.DEMO_SEEDED, False) else []
