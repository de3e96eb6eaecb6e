"""The process-wide GoTo connection (sandbox started once, in-process, when real GoTo is not configured)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import streamlit as st

from core.admin import worker
from core.admin.startup import configure_demo_access
from core.goto.connect import GotoConnection, connect_goto
from core.goto.sandbox import register_redirect_uri
from core.kernel.config import get_settings
from ui.session import engine


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
    return connection


def goto() -> GotoConnection:
    return _connection(get_settings().database_url)
