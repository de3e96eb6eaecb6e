"""Reset password: a one-time set-password link for a user, shown once to the admin and mailed when SMTP is set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from core.access import auth
from core.access.external_access import get_external_access
from core.kernel.db import session_scope
from core.kernel.i18n import DEFAULT_LANGUAGE, format_datetime, translate
from core.kernel.models import User, utcnow
from core.meetings.mail import DEFAULT_HOST, send_notice

PATH = "set_password"


@dataclass(frozen=True)
class ResetLink:
    url: str
    valid_until: datetime
    mailed_to: str | None


def reset_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/{PATH}?{urlencode({'token': token})}"


def issue_reset_link(
    engine: Engine, *, actor: User | None, user_id: int, base_url: str, now: datetime | None = None
) -> ResetLink:
    """Create the link (admins only; earlier links stop working), then mail it outside the transaction."""
    now = now or utcnow()
    with session_scope(engine, immediate=True) as session:
        token = auth.create_reset_link(session, actor=actor, user_id=user_id, now=now)
        user = auth.get_user(session, user_id)
        address = get_external_access(session).system_address or base_url
    url, until = reset_url(address, token), now + auth.RESET_VALID
    mailed = None
    if user.email:
        lang = user.language or DEFAULT_LANGUAGE
        body = translate(
            "mail.reset_body",
            lang,
            name=user.display_name,
            link=url,
            until=format_datetime(until, lang, user.time_zone),
        )
        sent = send_notice(
            to=user.email, subject=translate("mail.reset_subject", lang), body=body, sender=f"roomdesk@{DEFAULT_HOST}"
        )
        mailed = user.email if sent else None
    return ResetLink(url=url, valid_until=until, mailed_to=mailed)
