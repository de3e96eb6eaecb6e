"""Plotly figures for the timeline page: bars per room by state, the aggregated heatmap, utilisation."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from core.kernel.i18n import format_date, format_datetime, format_time
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
        fig, height = _lane_figure(data, tz, order, zone), 120 + 40 * _row_count(data, order)
    if data.aggregated is not None:
        height = 120 + 48 * max(len(order), 1)
    now = datetime.now(tz)
    if start <= now < end:
        fig.add_shape(
            type="line", xref="x", yref="paper", x0=now, x1=now, y0=0, y1=1, line=dict(color="#222", dash="dot")
        )
        fig.add_annotation(
            x=now, y=1, xref="x", yref="paper", text=t("timeline.now"), showarrow=False, yanchor="bottom"
        )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        legend_title_text="",
        xaxis_range=[start, end],
        clickmode="event+select",
    )
    return fig


def _lanes_per_room(data: Timeline, order: list[str]) -> dict[str, int]:
    used = data.bars.groupby("room")["lane"].max().add(1).to_dict() if not data.bars.empty else {}
    return {room: int(used.get(room, 1)) for room in order}


def _row_count(data: Timeline, order: list[str]) -> int:
    return max(sum(_lanes_per_room(data, order).values()), 1)


def _hover(bar: pd.Series, zone: str, state_label: str) -> str:
    """'Customer call · Anna Schmidt · 02.12.2026, 09:00–10:00', plus the state when it is not ok."""
    when = f"{format_datetime(bar['start'], lang(), zone)}–{format_time(bar['end'], lang(), zone)}"
    words = " · ".join(str(part) for part in (bar["subject"], bar["organizer"], when) if part)
    return words if bar["state"] == "ok" else f"{words}<br>{state_label}"


def _lane_figure(data: Timeline, tz: ZoneInfo, order: list[str], zone: str) -> go.Figure:
    """One row per room, as many lanes in it as its bookings overlap; overbooked slots marked on their row."""
    lanes = _lanes_per_room(data, order)
    first, row = {}, 0
    for room in order:
        first[room], row = row, row + lanes[room]
    bars = data.bars[data.bars["room"].isin(first)]
    fig = go.Figure()
    for state, (key, color) in STATES.items():
        part = bars[bars["state"] == state]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                orientation="h",
                base=part["start"].dt.tz_convert(tz),
                x=(part["end"] - part["start"]).dt.total_seconds() * 1000,
                y=part["room"].map(first) + part["lane"],
                marker_color=color,
                name=t(key),
                customdata=list(zip(part["appointment_id"], [_hover(b, zone, t(key)) for _, b in part.iterrows()])),
                hovertemplate="%{customdata[1]}<extra></extra>",
            )
        )
    for slot in data.slots.itertuples():
        if slot.room not in first:
            continue
        fig.add_shape(
            type="rect",
            xref="x",
            yref="y",
            x0=slot.start.tz_convert(tz),
            x1=slot.end.tz_convert(tz),
            y0=first[slot.room] - 0.5,
            y1=first[slot.room] + lanes[slot.room] - 0.5,
            fillcolor="#E4572E",
            opacity=0.15,
            line=dict(color="#E4572E", width=1),
            layer="below",
        )
    fig.update_xaxes(type="date")
    fig.update_yaxes(
        tickvals=[first[r] + (lanes[r] - 1) / 2 for r in order],
        ticktext=order,
        range=[row - 0.5, -0.5],
        showgrid=False,
        zeroline=False,
    )
    for room in order[1:]:
        fig.add_hline(y=first[room] - 0.5, line=dict(color="#ddd", width=1))
    fig.update_layout(barmode="overlay", bargap=0.15)
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
    days = sorted(set(rows["day"]))
    noon = [datetime.combine(d, time(12), UTC) for d in days]
    fig.update_xaxes(
        type="category", tickvals=[str(d) for d in days], ticktext=[format_date(n, lang(), "UTC") for n in noon]
    )
    fig.update_yaxes(type="category", categoryorder="category descending")
    fig.update_layout(height=120 + 40 * rows["room"].nunique(), margin=dict(l=10, r=10, t=30, b=10))
    return fig
