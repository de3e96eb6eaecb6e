"""Plotly figures for the timeline page: bars per room by state, the aggregated heatmap, utilisation."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.kernel.i18n import format_datetime, format_time
from core.reporting.timeline import Timeline
from ui.session import lang, t

STATES = {
    "ok": ("timeline.ok", "#4C78A8"),
    "overbooked": ("timeline.overbooked", "#E4572E"),
    "pending": ("timeline.pending", "#F2A541"),
    "relink": ("timeline.relink_state", "#7F7F7F"),
}


def room_order(data: Timeline) -> list[str]:
    return list(data.rooms["room"])


def timeline_figure(data: Timeline, zone: str, start: datetime, end: datetime) -> go.Figure:
    """Bars per room coloured by state (or a heatmap when there are too many to draw)."""
    tz, order = ZoneInfo(zone), room_order(data)
    if data.aggregated is not None:
        agg = data.aggregated.assign(bucket=data.aggregated["bucket_start"].dt.tz_convert(tz))
        fig = go.Figure(
            go.Heatmap(
                x=agg["bucket"],
                y=agg["room"],
                z=agg["bookings"],
                colorscale="Blues",
                customdata=agg[["peak_concurrency"]],
                hovertemplate=t("timeline.heat_hover"),
            )
        )
        fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
    else:
        labels = {state: t(key) for state, (key, _) in STATES.items()}
        bars = data.bars.assign(
            start=data.bars["start"].dt.tz_convert(tz),
            end=data.bars["end"].dt.tz_convert(tz),
            state=data.bars["state"].map(labels),
            when=[
                f"{format_datetime(s, lang(), zone)} – {format_time(e, lang(), zone)}"
                for s, e in zip(data.bars["start"], data.bars["end"])
            ],
        )
        fig = px.timeline(
            bars,
            x_start="start",
            x_end="end",
            y="room",
            color="state",
            custom_data=["appointment_id"],
            color_discrete_map={labels[s]: color for s, (_, color) in STATES.items()},
            category_orders={"room": order, "state": list(labels.values())},
            hover_data={
                "subject": True,
                "organizer": True,
                "when": True,
                "start": False,
                "end": False,
                "room": False,
                "state": True,
                "appointment_id": False,
            },
            labels={
                "subject": t("appointments.subject"),
                "organizer": t("appointments.organizer"),
                "when": t("appointments.when"),
                "state": t("appointments.state"),
                "room": "",
            },
        )
        for slot in data.slots.itertuples():
            fig.add_shape(
                type="rect",
                xref="x",
                yref="paper",
                x0=slot.start.tz_convert(tz),
                x1=slot.end.tz_convert(tz),
                y0=0,
                y1=1,
                fillcolor="#E4572E",
                opacity=0.08,
                line_width=0,
            )
    fig.update_layout(
        height=120 + 48 * max(len(order), 1),
        margin=dict(l=10, r=10, t=30, b=10),
        legend_title_text="",
        xaxis_range=[start, end],
        clickmode="event+select",
    )
    return fig


def utilisation_figure(rows: pd.DataFrame) -> go.Figure:
    """Rooms × days, coloured by the share of working hours booked."""
    fig = go.Figure(
        go.Heatmap(
            x=[str(d) for d in rows["day"]],
            y=rows["room"],
            z=rows["share"] * 100,
            colorscale="YlOrRd",
            zmin=0,
            zmax=100,
            customdata=rows[["hours_booked", "peak"]],
            hovertemplate=t("timeline.util_hover"),
        )
    )
    fig.update_layout(height=120 + 40 * rows["room"].nunique(), margin=dict(l=10, r=10, t=30, b=10))
    return fig
