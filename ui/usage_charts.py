"""Plotly figures for the Usage page: booked against held per room and over time, and what went wrong."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.session import t

BOOKED, HELD = "#9DB4CF", "#4C78A8"
PROBLEMS = {"no_shows": "#F2A541", "unbooked_use": "#E4572E", "overruns": "#8E6C8A"}


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        barmode="group", height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h"}
    )
    return fig


def per_room_figure(rows: pd.DataFrame) -> go.Figure:
    """Hours booked and hours held per room, side by side."""
    per_room = rows.groupby("room", as_index=False)[["hours_booked", "hours_held"]].sum()
    fig = go.Figure(
        [
            go.Bar(
                name=t("usage.hours_booked"),
                y=per_room["room"],
                x=per_room["hours_booked"],
                orientation="h",
                marker_color=BOOKED,
            ),
            go.Bar(
                name=t("usage.hours_held"),
                y=per_room["room"],
                x=per_room["hours_held"],
                orientation="h",
                marker_color=HELD,
            ),
        ]
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, 120 + 45 * len(per_room))


def over_time_figure(rows: pd.DataFrame) -> go.Figure:
    """Hours booked and held per period over the whole pool."""
    per_period = rows.groupby("period", as_index=False)[["hours_booked", "hours_held"]].sum().sort_values("period")
    fig = go.Figure(
        [
            go.Bar(
                name=t("usage.hours_booked"), x=per_period["period"], y=per_period["hours_booked"], marker_color=BOOKED
            ),
            go.Bar(name=t("usage.hours_held"), x=per_period["period"], y=per_period["hours_held"], marker_color=HELD),
        ]
    )
    fig.update_xaxes(type="category")
    return _layout(fig, 360)


def problems_figure(rows: pd.DataFrame) -> go.Figure:
    """No-shows, unbooked use and overruns per room, stacked."""
    per_room = rows.groupby("room", as_index=False)[list(PROBLEMS)].sum()
    fig = go.Figure(
        [
            go.Bar(
                name=t(f"usage.{column}"), y=per_room["room"], x=per_room[column], orientation="h", marker_color=colour
            )
            for column, colour in PROBLEMS.items()
        ]
    )
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, 120 + 45 * len(per_room))
    fig.update_layout(barmode="stack")
    return fig
