"""AppTest helpers: run a page file as a signed-in user against the temporary data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from core.kernel.db import session_scope
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]


def page(path: str, *, user_id: int | None = None, lang: str | None = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=30)
    if user_id is not None:
        at.session_state["user_id"] = user_id
        at.session_state["lang"] = lang
    return at


@pytest.fixture
def admin(app_engine: Engine) -> int:
    with session_scope(app_engine) as s:
        return make_user(s, username="boss", role="admin").id  # type: ignore[return-value]


@pytest.fixture
def staff(app_engine: Engine) -> int:
    with session_scope(app_engine) as s:
        return make_user(s, username="sara", role="staff").id  # type: ignore[return-value]
