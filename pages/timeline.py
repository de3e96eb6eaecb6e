"""Timeline (admin landing page): every booking per room in a window, by state; utilisation; CSV export."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from core.booking import rooms
from core.kernel.db import session_scope
from core.reporting import timeline, utilisation
from core.series import views as series_views
from ui.charts import timeline_figure, utilisation_figure
from ui.occurrence_panel import EDIT
from ui.session import engine, guard, t

user = guard("admin")
tz = ZoneInfo(user.time_zone)
st.title(t("timeline.title"))

today = datetime.now(tz).date()
monday = today - timedelta(days=today.weekday())
with session_scope(engine()) as session:
    room_list = rooms.list_rooms(session, user=user)
left, right = st.columns([1, 2])
window = left.date_input(
    t("timeline.window"), value=(monday, monday + timedelta(days=6)), key="timeline_window", format="DD.MM.YYYY"
)
chosen = right.multiselect(
    t("timeline.rooms"),
    [r.id for r in room_list],
    key="timeline_rooms",
    format_func={r.id: r.name for r in room_list}.get,
    placeholder=t("timeline.all_rooms"),
)
if not isinstance(window, tuple) or len(window) != 2:
    st.info(t("timeline.pick_end"))
    st.stop()
start, end = datetime.combine(window[0], time(0), tz), datetime.combine(window[1] + timedelta(days=1), time(0), tz)
with session_scope(engine()) as session:
    data = timeline.timeline_data(session, user=user, start=start, end=end, room_ids=chosen or None)

if data.relink_rooms:
    st.error(t("timeline.relink", rooms=", ".join(data.relink_rooms)), icon=":material/link_off:")
a, b, c = st.columns(3)
a.metric(t("timeline.bookings"), len(data.bars) if data.aggregated is None else int(data.aggregated["bookings"].sum()))
b.metric(t("timeline.conflicts"), data.conflict_count)
c.metric(t("timeline.rooms_shown"), len(data.rooms))

tab_bookings, tab_use, tab_export = st.tabs(
    [t("timeline.tab_bookings"), t("timeline.tab_use"), t("timeline.tab_export")]
)
with tab_bookings:
    if data.aggregated is not None:
        st.caption(t("timeline.aggregated", count=int(data.aggregated["bookings"].sum())))
    if data.aggregated is None and data.bars.empty:
        st.info(t("timeline.empty"))
    else:
        st.caption(t("timeline.click_hint"))
        event = st.plotly_chart(
            timeline_figure(data, user.time_zone, start, end),
            width="stretch",
            key="timeline_chart",
            on_select="rerun",
            selection_mode="points",
        )
        points = event.selection.points if event and event.selection else []
        if data.aggregated is None and points and points[0].get("customdata"):  # heatmap cells carry no id
            picked = int(points[0]["customdata"][0])
            with session_scope(engine()) as session:
                is_series = series_views.is_series(session, picked)
            if is_series:  # a series bar is one of its occurrences: the Series page edits it
                st.session_state[EDIT] = {"id": picked}
                st.switch_page("pages/series.py")
            st.session_state["editing"] = picked  # the Appointments page opens it
            st.switch_page("pages/appointments.py")
    if data.conflict_count:
        st.subheader(t("timeline.conflict_list"))
        st.dataframe(
            [
                {
                    t("appointments.room"): s.room,
                    t("timeline.from"): s.start.tz_convert(tz).strftime("%d.%m. %H:%M"),
                    t("timeline.to"): s.end.tz_convert(tz).strftime("%d.%m. %H:%M"),
                    t("timeline.concurrency"): s.concurrency,
                    t("timeline.appointments"): " · ".join(s.subjects),
                }
                for s in data.slots.itertuples()
            ],
            hide_index=True,
            width="stretch",
        )
with tab_use:
    with session_scope(engine()) as session:
        use = utilisation.utilisation(
            session, user=user, start=start, end=end, zone=user.time_zone, room_ids=chosen or None
        )
    if use.empty:
        st.info(t("timeline.empty"))
    else:
        st.caption(t("timeline.util_intro"))
        st.plotly_chart(utilisation_figure(use), width="stretch", key="utilisation_chart")
with tab_export:
    stamp = f"{window[0]:%Y%m%d}-{window[1]:%Y%m%d}"
    bookings_csv = (
        data.bars.drop(columns=["overbooked"], errors="ignore") if data.aggregated is None else data.aggregated
    ).to_csv(index=False)
    st.download_button(
        t("timeline.export_bookings"),
        bookings_csv,
        file_name=f"bookings-{stamp}.csv",
        mime="text/csv",
        key="export_bookings",
    )
    conflicts_csv = (
        data.slots.assign(subjects=data.slots["subjects"].map(" | ".join))
        .drop(columns=["ids", "appointment_ids"])
        .to_csv(index=False)
    )
    st.download_button(
        t("timeline.export_conflicts"),
        conflicts_csv,
        file_name=f"conflicts-{stamp}.csv",
        mime="text/csv",
        key="export_conflicts",
    )
