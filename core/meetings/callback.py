"""GoTo's redirect back to Room Desk after sign-in, as one service: use up the state, then finish linking."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from core.goto.stored_tokens import OAuthClient
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.models import Room, User
from core.meetings.accounts import LinkFailed, claim_state, finish_linking

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallbackOutcome:
    """What the callback page shows, or takes back to the room: never a token, only who, which room, and how."""

    room_id: int | None  # None when the answer belongs to no linking started here
    room_name: str
    starter_id: int | None
    language: str | None  # the language of the user who started linking
    error: RoomDeskError | None

    @property
    def linked(self) -> bool:
        return self.error is None


def complete_linking(
    engine: Engine,
    *,
    token: str,
    state: str,
    code: str | None,
    error: str | None,
    oauth: OAuthClient,
    signed_in_user_id: int | None,
) -> CallbackOutcome:
    """Finish the linking `state` stands for; a RoomDeskError is returned in the outcome, never raised.

    The state is used up in a transaction of its own, so a failed exchange cannot be replayed. It is bound to the
    user who started linking and to the room: a browser signed in as somebody else gets a refusal, not a link.
    """
    try:
        with session_scope(engine) as session:
            pending = claim_state(session, token=token, state=state)
    except RoomDeskError as err:
        log.warning("GoTo callback refused before linking: %s", err.key)
        return CallbackOutcome(None, "", None, None, err)
    with session_scope(engine) as session:
        room, starter = session.get(Room, pending.room_id), session.get(User, pending.user_id)
        name, language = (room.name if room else ""), (starter.language if starter else None)
    outcome = CallbackOutcome(pending.room_id, name, pending.user_id, language, None)
    if signed_in_user_id is not None and signed_in_user_id != pending.user_id:
        log.warning("GoTo callback for room %s arrived in a browser signed in as another user", pending.room_id)
        return CallbackOutcome(pending.room_id, name, pending.user_id, language, LinkFailed("error.link_other_user"))
    try:
        with session_scope(engine) as session:
            finish_linking(session, pending=pending, code=code, error=error, oauth=oauth)
    except RoomDeskError as err:
        log.warning("Linking room %s failed: %s", pending.room_id, err.key)
        return CallbackOutcome(pending.room_id, name, pending.user_id, language, err)
    return outcome
