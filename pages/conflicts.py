"""Conflicts (staff): every overbooked slot, soonest first; move a booking in one click, or resolve all."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from core.conflicts import desk as conflict_desk
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime, format_time
from ui.goto import goto
from ui.session import engine, error, flash, guard, lang, t

user = guard("admin", "staff")
tz = ZoneInfo(user.time_zone)
st.title(t("conflicts.title"))
st.caption(t("conflicts.intro"))
today = datetime.now(tz).date()
window = st.date_input(
    t("timeline.window"), value=(today, today + timedelta(days=13)), key="conflict_window", format="DD.MM.YYYY"
)
if not isinstance(window, tuple) or len(window) != 2:
    st.info(t("timeline.pick_end"))
    st.stop()
start, end = datetime.combine(window[0], time(0), tz), datetime.combine(window[1] + timedelta(days=1), time(0), tz)
notify = st.toggle(t("conflicts.notify"), key="notify_moves", help=t("conflicts.notify_help"))


def when(a: datetime, b: datetime) -> str:
    return f"{format_datetime(a, lang(), user.time_zone)} – {format_time(b, lang(), user.time_zone)}"


with session_scope(engine()) as session:
    slots = conflict_desk.conflict_list(session, user=user, start=start, end=end)
if not slots:
    st.success(t("conflicts.none"), icon=":material/check_circle:")
    st.stop()

tab_list, tab_all = st.tabs([t("conflicts.tab_list", count=len(slots)), t("conflicts.tab_resolve")])
with tab_list:
    for n, slot in enumerate(slots):
        with st.container(border=True):
            st.markdown(
                f"**{slot.room}** · {when(slot.start, slot.end)} · " + t("conflicts.at_once", count=slot.concurrency)
            )
            for item in slot.appointments:
                left, right = st.columns([3, 2])
                left.write(f"{item.subject} — {item.organizer}, {when(item.start, item.end)}")
                if not item.free_rooms:
                    right.caption(t("conflicts.no_free_room"))
                    continue
                names = dict(item.free_rooms)
                target = right.selectbox(
                    t("conflicts.move_to"),
                    list(names),
                    format_func=names.get,
                    key=f"target_{n}_{item.booking_id}",
                    label_visibility="collapsed",
                )
                if right.button(t("conflicts.move", room=names[target]), key=f"move_{n}_{item.booking_id}"):
                    try:
                        moved = conflict_desk.move_booking(
                            engine(),
                            user=user,
                            booking_id=item.booking_id,
                            room_id=target,
                            api=goto().client,
                            notify=notify,
                        )
                        done = t("conflicts.moved", subject=item.subject, room=names[target])
                        pending = moved.meeting.state == "pending"
                        flash(done + (" " + t("rules.move_meeting_pending") if pending else ""))
                        st.rerun()
                    except RoomDeskError as err:
                        error(err)

with tab_all:
    if st.button(t("conflicts.compute"), key="compute_plan", type="primary"):
        with session_scope(engine()) as session:
            st.session_state["plan"] = conflict_desk.preview_resolution(session, user=user, start=start, end=end)
    plan = st.session_state.get("plan")
    if plan is not None:
        if plan.rows:
            st.dataframe(
                [
                    {
                        t("appointments.subject"): r.subject,
                        t("appointments.when"): when(r.start, r.end),
                        t("conflicts.from"): r.from_room,
                        t("conflicts.to"): r.to_room,
                    }
                    for r in plan.rows
                ],
                hide_index=True,
                width="stretch",
            )
        if plan.extra_accounts:
            st.warning(t("conflicts.missing_accounts", count=plan.extra_accounts), icon=":material/warning:")
            for a, b, subjects in plan.unplaced:
                st.write(f"- {when(a, b)}: {', '.join(subjects)}")
        if plan.moves and st.button(t("conflicts.apply", count=len(plan.moves)), key="apply_plan"):
            failures = conflict_desk.apply_resolution(
                engine(), user=user, moves=plan.moves, api=goto().client, notify=notify
            )
            st.session_state.pop("plan", None)
            for booking_id, message in failures.items():
                st.error(f"#{booking_id}: {message}")
            if not failures:
                flash(t("conflicts.applied", count=len(plan.moves)))
                st.rerun()
