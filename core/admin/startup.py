"""What the dashboard does once per process before serving anyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access import external_access, settings
from core.admin import demo
from core.kernel.config import Settings
from core.kernel.db import session_scope
from core.kernel.models import User


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


def configure_demo_access(engine: Engine, *, address: str, register: Callable[[str], None]) -> bool:
    """On a demo installation with the sandbox, set up external access once so linking works right away.

    A real installation does this by hand: an admin sets the address, support registers the URL at GoTo.
    """
    with session_scope(engine) as session:
        if not settings.get_value(session, settings.DEMO_SEEDED, False):
            return False
        if external_access.get_external_access(session).system_address:
            return False
        admin = session.exec(select(User).where(User.username == "admin")).first()
        if admin is None:
            return False
        access = external_access.set_system_address(session, user=admin, address=address)
        external_access.set_access_user(session, user=admin, access_user_id=admin.id)  # type: ignore[arg-type]
        register(access.redirect_url)  # type: ignore[arg-type]
        external_access.record_activation(session, url=access.redirect_url, actor=admin)  # type: ignore[arg-type]
    return True
