"""The Room Desk server: `streamlit run app.py` serves the dashboard (dashboard.py) as an ASGI app.

Why not `streamlit run dashboard.py`: Streamlit treats a `pages/` folder beside the main script as its old
automatic page list until the script first calls st.navigation. In the first session after every server
start that lists every page name above the sign-in form and shows "Page not found" for a deep link.
The lifespan hook switches that off before anyone connects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    PagesManager.uses_pages_directory = False  # dashboard.py builds the navigation; pages/ only holds its scripts
    yield


app = st.App("dashboard.py", lifespan=lifespan)
