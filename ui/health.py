"""The sidebar's worker line: alive or silent since when, pending and failing meeting jobs."""

from __future__ import annotations

import streamlit as st

from core.admin import health
from core.kernel.i18n import format_datetime
from ui.goto import embedded_worker_starting
from ui.session import engine, lang, t


@st.cache_data(ttl=15, show_spinner=False)
def _health(url: str) -> health.Health:  # one query every 15 s for all sessions, not one per rerun
    return health.check(engine())


def worker_status(time_zone: str) -> None:
    """Caption lines under the sidebar: the workers' heartbeat and the meeting job queue."""
    from core.kernel.config import get_settings

    state = _health(get_settings().database_url)
    when = lambda moment: format_datetime(moment, lang(), time_zone)  # noqa: E731
    if state.alive:
        st.caption(t("ops.sidebar.worker_alive", count=len(state.alive), since=when(state.last_beat)))
    elif embedded_worker_starting():  # the first pass of a fresh start has not finished yet
        st.caption(t("ops.sidebar.worker_starting"))
    elif state.last_beat is not None:
        st.caption(f":red[{t('ops.sidebar.silent_since', since=when(state.last_beat))}]")
    else:
        st.caption(f":red[{t('ops.sidebar.no_worker')}]")
    if state.failing:
        st.caption(f":orange[{t('ops.sidebar.failing', count=state.failing, since=when(state.failing_since))}]")
    elif state.pending:
        st.caption(t("ops.sidebar.pending", count=state.pending))
