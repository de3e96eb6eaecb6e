"""`roomdesk goto check`: is this installation ready to link rooms to GoTo, and if not, what is missing?"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access.external_access import get_external_access
from core.goto.client import REAL_AUTH_URL, GotoConfig
from core.goto.selfcheck import Check, probe_token_endpoint
from core.kernel.config import Settings
from core.kernel.db import session_scope
from core.kernel.models import RoomLink


def _configuration(settings: Settings) -> Check:
    given = {
        "ROOMDESK_GOTO_CLIENT_ID": settings.goto_client_id,
        "ROOMDESK_GOTO_CLIENT_SECRET": settings.goto_client_secret,
    }
    missing = [name for name, value in given.items() if not value]
    if len(missing) == 1:
        return Check(
            "configuration",
            "fail",
            f"{missing[0]} is not set while the other one is: Room Desk uses the built-in sandbox until both are.",
        )
    if missing:
        return Check(
            "configuration",
            "warn",
            "No GoTo OAuth client configured: Room Desk uses the built-in sandbox (no real meetings). Set "
            "ROOMDESK_GOTO_CLIENT_ID and ROOMDESK_GOTO_CLIENT_SECRET to use GoTo.",
        )
    auth = settings.goto_auth_url or REAL_AUTH_URL
    if urlsplit(auth).scheme != "https":
        return Check("configuration", "fail", f"ROOMDESK_GOTO_AUTH_URL must be an https address, not {auth}.")
    return Check("configuration", "ok", f"Real GoTo, sign-in at {auth}.")


def _redirect_url(engine: Engine) -> Check:
    with session_scope(engine) as session:
        access = get_external_access(session)
    if access.redirect_url is None:
        return Check(
            "redirect URL",
            "fail",
            "No redirect URL yet: an admin sets the system's address on the Settings page, which creates it.",
        )
    if not access.activation_valid:
        return Check(
            "redirect URL",
            "fail",
            f"{access.redirect_url} is not activated: register it at the OAuth client in GoTo's developer center "
            "(support staff mark it registered on the Activation page).",
        )
    return Check("redirect URL", "ok", f"{access.redirect_url} is registered.")


def _links(engine: Engine) -> Check:
    with session_scope(engine) as session:
        states = Counter(session.exec(select(RoomLink.status)).all())
    linked, broken = states.get("linked", 0), states.get("needs_relinking", 0)
    if broken:
        return Check("linked rooms", "warn", f"{linked} linked, {broken} need relinking (Rooms page, Link again).")
    return Check("linked rooms", "ok", f"{linked} linked." if linked else "No room linked yet.")


def check_goto(
    engine: Engine, settings: Settings, config: GotoConfig, transport: httpx.BaseTransport | None = None
) -> list[Check]:
    """Every check, in the order an admin fixes them; the token endpoint is probed with `config`."""
    return [_configuration(settings), _redirect_url(engine), probe_token_endpoint(config, transport), _links(engine)]
