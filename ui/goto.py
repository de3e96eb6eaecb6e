"""The process-wide GoTo connection (sandbox started once, in-process, when real GoTo is not configured)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import streamlit as st

from core.admin import worker
from core.admin.startup import configure_demo_access
from core.goto.connect import GotoConnection, connect_goto
from core.goto.sandbox import register_redirect_uri
from core.kernel.config import get_settings
from ui.session import engine

_EMBEDDED_SINCE: list[datetime] = []  # when this process started its own worker thread, if it did


@st.cache_resource(show_spinner=False)
def _connection(url: str) -> GotoConnection:
    settings = get_settings()
    connection = connect_goto(engine(), settings)
    if connection.is_sandbox:
        # A demo runs against the sandbox: set up external access from the address the browser used, and
        # register it with the sandbox (support's job in a real installation), so linking works at once.
        parts = urlsplit(st.context.url or "http://localhost:8501")
        configure_demo_access(
            engine(),
            address=f"{parts.scheme}://{parts.netloc}",
            register=lambda uri: register_redirect_uri(settings.data_dir, uri),
        )
    if os.environ.get("ROOMDESK_EMBEDDED_WORKER", "1") != "0":
        worker.start_in_background(engine(), connection)
        _EMBEDDED_SINCE.append(datetime.now(UTC))
    return connection


def goto() -> GotoConnection:
    return _connection(get_settings().database_url)


def embedded_worker_starting(grace: timedelta = timedelta(minutes=2)) -> bool:
    """This process started its worker thread moments ago: no heartbeat yet is expected, not a failure."""
    return bool(_EMBEDDED_SINCE) and datetime.now(UTC) - _EMBEDDED_SINCE[0] < grace
