"""Timeline (admin landing page): every booking per room in a window, overbooked slots stand out."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core import rooms, timeline
from core.db import session_scope
from core.i18n import format_datetime, format_time
from ui.session import engine, guard, lang, t

user = guard("admin")
tz = ZoneInfo(user.time_zone)
st.title(t("timeline.title"))

today = datetime.now(tz).date()
monday = today - timedelta(days=today.weekday())
with session_scope(engine()) as session:
    room_list = rooms.list_rooms(session, user=user)
left, right = st.columns([1, 2])
window = left.date_input(t("timeline.window"), value=(monday, monday + timedelta(days=6)), key="timeline_window",
                         format="DD.MM.YYYY")
chosen = right.multiselect(t("timeline.rooms"), [r.id for r in room_list], key="timeline_rooms",
                           format_func={r.id: r.name for r in room_list}.get, placeholder=t("timeline.all_rooms"))
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
order = list(data.rooms["room"]) if hasattr(data.rooms, "columns") else [r.name for r in data.rooms]
STATES = {"ok": ("timeline.ok", "#4C78A8"), "overbooked": ("timeline.overbooked", "#E4572E"),
          "pending": ("timeline.pending", "#F2A541"), "relink": ("timeline.relink_state", "#7F7F7F")}
labels = {state: t(key) for state, (key, _) in STATES.items()}
if data.aggregated is not None:
    st.caption(t("timeline.aggregated", count=int(data.aggregated["bookings"].sum())))
    agg = data.aggregated.assign(bucket=data.aggregated["bucket_start"].dt.tz_convert(tz))
    fig = go.Figure(go.Heatmap(x=agg["bucket"], y=agg["room"], z=agg["bookings"], colorscale="Blues",
                               customdata=agg[["peak_concurrency"]], hovertemplate=t("timeline.heat_hover")))
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
elif data.bars.empty:
    st.info(t("timeline.empty"))
    st.stop()
else:
    bars = data.bars.assign(
        start=data.bars["start"].dt.tz_convert(tz), end=data.bars["end"].dt.tz_convert(tz),
        state=data.bars["state"].map(labels),
        when=[f"{format_datetime(s, lang(), user.time_zone)} – {format_time(e, lang(), user.time_zone)}"
              for s, e in zip(data.bars["start"], data.bars["end"])],
    )
    fig = px.timeline(bars, x_start="start", x_end="end", y="room", color="state",
                      color_discrete_map={labels[s]: color for s, (_, color) in STATES.items()},
                      category_orders={"room": order, "state": list(labels.values())},
                      hover_data={"subject": True, "organizer": True, "when": True, "start": False, "end": False,
                                  "room": False, "state": True},
                      labels={"subject": t("appointments.subject"), "organizer": t("appointments.organizer"),
                              "when": t("appointments.when"), "state": t("appointments.state"), "room": ""})
    for slot in data.slots.itertuples():
        fig.add_shape(type="rect", xref="x", yref="paper", x0=slot.start.tz_convert(tz), x1=slot.end.tz_convert(tz),
                      y0=0, y1=1, fillcolor="#E4572E", opacity=0.08, line_width=0)
fig.update_layout(height=120 + 48 * max(len(order), 1), margin=dict(l=10, r=10, t=30, b=10),
                  legend_title_text="", xaxis_range=[start, end])
st.plotly_chart(fig, width="stretch", key="timeline_chart")

if data.conflict_count:
    st.subheader(t("timeline.conflict_list"))
    st.dataframe([{t("appointments.room"): s.room,
                   t("appointments.when"): f"{format_datetime(s.start, lang(), user.time_zone)} – "
                                           f"{format_time(s.end, lang(), user.time_zone)}",
                   t("timeline.concurrency"): s.concurrency, t("timeline.appointments"): " · ".join(s.subjects)}
                  for s in data.slots.itertuples()], hide_index=True, width="stretch")
