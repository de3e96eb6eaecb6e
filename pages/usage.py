"""Usage (admins): what really happened on each account, booked against held, per room and period."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from core.booking import rooms
from core.kernel.db import session_scope
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import format_datetime
from core.reporting.usage import COLUMNS, PERIODS, usage_report
from ui.session import engine, error, guard, lang, t
from ui.usage_charts import over_time_figure, per_room_figure, problems_figure

user = guard("admin")
tz = ZoneInfo(user.time_zone)
st.title(t("usage.title"))
st.caption(t("usage.intro"))

today = datetime.now(tz).date()
with session_scope(engine()) as session:
    room_list = rooms.list_rooms(session, user=user)
left, middle, right = st.columns([2, 1.5, 2])
window = left.date_input(
    t("usage.window"), value=(today - timedelta(days=27), today), key="usage_window", format="DD.MM.YYYY"
)
by = middle.segmented_control(
    t("usage.by"), PERIODS, default="week", format_func=lambda p: t(f"usage.by_{p}"), key="usage_by"
)
chosen = right.multiselect(
    t("usage.rooms"),
    [r.id for r in room_list],
    key="usage_rooms",
    format_func={r.id: r.name for r in room_list}.get,
    placeholder=t("usage.all_rooms"),
)
if not isinstance(window, tuple) or len(window) != 2:
    st.info(t("usage.pick_end"))
    st.stop()
start, end = datetime.combine(window[0], time(0), tz), datetime.combine(window[1] + timedelta(days=1), time(0), tz)
try:
    with session_scope(engine()) as session:
        report = usage_report(
            session, user=user, start=start, end=end, zone=user.time_zone, by=by or "week", room_ids=chosen or None
        )
except RoomDeskError as err:
    error(err)
    st.stop()

totals = report.totals
with st.container(border=True):
    st.markdown(f"### {t('usage.peak', peak=report.peak_sessions, accounts=report.accounts)}")
    st.caption(
        t("usage.peak_detail", when=format_datetime(report.peak_at, lang(), user.time_zone), booked=report.peak_booked)
        if report.peak_at
        else t("usage.peak_none")
    )
cols = st.columns(5)
cols[0].metric(t("usage.hours_booked"), f"{totals['hours_booked']:.1f}")
cols[1].metric(t("usage.hours_held"), f"{totals['hours_held']:.1f}")
cols[2].metric(t("usage.no_shows"), int(totals["no_shows"]))
cols[3].metric(t("usage.unbooked_use"), int(totals["unbooked_use"]))
cols[4].metric(t("usage.overruns"), int(totals["overruns"]))
if report.rows.empty:
    st.info(t("usage.empty"))
    st.stop()

tab_rooms, tab_time, tab_events, tab_table = st.tabs(
    [t("usage.tab_rooms"), t("usage.tab_time"), t("usage.tab_events"), t("usage.tab_table")]
)
with tab_rooms:
    st.plotly_chart(per_room_figure(report.rows), width="stretch", key="usage_rooms_chart")
    st.caption(t("usage.problems_intro"))
    st.plotly_chart(problems_figure(report.rows), width="stretch", key="usage_problems_chart")
with tab_time:
    st.plotly_chart(over_time_figure(report.rows), width="stretch", key="usage_time_chart")
with tab_events:
    if report.events.empty:
        st.info(t("usage.no_events"))
    else:
        st.dataframe(
            [
                {
                    t("usage.kind"): t(f"usage.kind_{e.kind}"),
                    t("usage.room"): e.room,
                    t("usage.from"): format_datetime(e.start, lang(), user.time_zone),
                    t("usage.to"): format_datetime(e.end, lang(), user.time_zone),
                    t("usage.subject"): e.subject,
                    t("usage.attendees"): e.attendees,
                }
                for e in report.events.itertuples()
            ],
            hide_index=True,
            width="stretch",
        )
with tab_table:
    st.dataframe(report.rows.rename(columns={c: t(f"usage.{c}") for c in COLUMNS}), hide_index=True, width="stretch")
    st.download_button(
        t("usage.export"),
        report.rows.to_csv(index=False),
        file_name=f"usage-{window[0]:%Y%m%d}-{window[1]:%Y%m%d}-{report.by}.csv",
        mime="text/csv",
        key="usage_export",
    )
