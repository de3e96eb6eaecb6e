"""Now (staff and admins): every room this minute, what GoTo runs on it, free until when; Meet now."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime, format_time
from core.kernel.models import utcnow
from core.reporting import now as board
from ui.goto import goto
from ui.live import live_status
from ui.session import engine, error, guard, lang, t

user = guard("admin", "staff")
st.title(t("now.title"))
st.caption(t("now.intro"))

with st.container(border=True):
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    minutes = left.segmented_control(
        t("now.meet_for"),
        board.MEET_NOW_MINUTES,
        default=30,
        format_func=lambda m: t("now.minutes", minutes=m),
        key="meet_minutes",
    )
    if right.button(t("now.meet_now"), key="meet_now", type="primary", icon=":material/bolt:", width="stretch"):
        try:
            met = board.meet_now(engine(), user=user, minutes=minutes or 30, api=goto().client, live=live_status())
            st.session_state["meet_now_result"] = met
        except RoomDeskError as err:
            error(err)
    if met := st.session_state.get("meet_now_result"):
        st.success(
            t("now.booked", room=met.room, until=format_time(met.ends_at, lang(), user.time_zone)),
            icon=":material/check_circle:",
        )
        st.link_button(t("now.open_host"), met.url, icon=":material/videocam:", type="primary")


@st.fragment(run_every="30s")
def room_cards() -> None:
    """Re-drawn every 30 s from the shared cache: a rerun never calls GoTo itself."""
    with session_scope(engine()) as session:
        live = live_status().snapshot(board.accounts_to_watch(session), wait=1.5)
        rooms = board.room_board(session, user=user, live=live)
    stamp = max((s.fetched_at for s in live.values()), default=None)
    if stamp:
        st.caption(t("now.as_of", time=format_time(stamp, lang(), user.time_zone)))
    elif any(r.linked for r in rooms):
        st.caption(t("now.checking"))
    else:
        st.caption(t("now.none_linked"))
    if not rooms:
        st.info(t("now.no_rooms"))
    columns = st.columns(3)
    for k, room in enumerate(rooms):
        with columns[k % 3].container(border=True, key=f"room_now_{room.room_id}"):
            st.markdown(f"**{room.name}**")
            st.markdown(_status(room))
            if room.running:
                st.caption(t("now.running" if room.running_booked else "now.running_unbooked", subject=room.running))
            if room.current:
                st.caption(t("now.booked_now", subject=room.current.subject, until=_hm(room.current.ends_at)))
            if room.next:
                st.caption(t("now.next", subject=room.next.subject, start=_hm(room.next.starts_at)))


def _hm(moment: datetime) -> str:
    """The time alone today, with the date on another day."""
    same_day = (
        moment.astimezone(ZoneInfo(user.time_zone)).date() == utcnow().astimezone(ZoneInfo(user.time_zone)).date()
    )
    return (format_time if same_day else format_datetime)(moment, lang(), user.time_zone)


def _status(room: board.RoomNow) -> str:
    free = t("now.free_until", time=_hm(room.free_until)) if room.free_until else t("now.free_week")
    if room.running and not room.running_booked:
        badge = f":red-badge[:material/warning: {t('now.running_unbooked_badge')}]"
    elif room.running:
        badge = f":orange-badge[:material/videocam: {t('now.running_badge')}]"
    elif room.current:
        badge = f":orange-badge[{t('now.booked_badge')}]"
    else:
        badge = f":green-badge[{free}]"
    if not room.linked:
        return f"{badge} :gray-badge[{t('now.not_linked')}]"
    if room.live is None or room.live.error:  # not asked yet, or GoTo did not answer: say so, never guess
        return f"{badge} :gray-badge[{t('now.goto_unknown')}]"
    return badge


room_cards()
