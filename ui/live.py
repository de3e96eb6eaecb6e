"""The process-wide live status of the GoTo accounts (one cache for every session of this process)."""

from __future__ import annotations

import streamlit as st

from core.kernel.config import get_settings
from core.reporting.live import LiveStatus
from ui.goto import goto


@st.cache_resource(show_spinner=False)
def _live(url: str) -> LiveStatus:
    return LiveStatus(goto().client)


def live_status() -> LiveStatus:
    """Shared by every browser session: GoTo is asked at most once per account per 30 seconds."""
    return _live(get_settings().database_url)
