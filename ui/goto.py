"""The process-wide GoTo connection (sandbox started once, in-process, when real GoTo is not configured)."""
from __future__ import annotations

import streamlit as st

from core.config import get_settings
from core.connect import GotoConnection, connect_goto
from ui.session import engine


@st.cache_resource(show_spinner=False)
def _connection(url: str) -> GotoConnection:
    return connect_goto(engine(), get_settings())


def goto() -> GotoConnection:
    return _connection(get_settings().database_url)
