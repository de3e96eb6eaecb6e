"""Room Desk dashboard: sign-in, navigation by role, and the sidebar's system status."""

from __future__ import annotations

import re

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.access.external_access import CALLBACK_PATH
from core.kernel.config import get_settings
from ui.goto import goto
from ui.health import worker_status
from ui.session import activation_banner, current_user, engine, sign_in_form, sign_out, t, write_cookie

st.set_page_config(page_title="Room Desk", page_icon=":material/event_available:", layout="wide")
engine()  # migrate and, on a first start, seed the demo before anyone signs in

PAGES = {  # file, title key, icon, roles; the first page a role may see is its landing page
    "timeline": ("pages/timeline.py", "nav.timeline", ":material/view_timeline:", {"admin"}),
    "appointments": ("pages/appointments.py", "nav.appointments", ":material/event:", {"admin", "staff"}),
    "now": ("pages/now.py", "now.nav", ":material/schedule:", {"admin", "staff"}),
    "series": ("pages/series.py", "series.nav", ":material/event_repeat:", {"admin", "staff"}),
    "conflicts": ("pages/conflicts.py", "nav.conflicts", ":material/report:", {"admin", "staff"}),
    "usage": ("pages/usage.py", "usage.nav", ":material/monitoring:", {"admin"}),
    "rooms": ("pages/rooms.py", "nav.rooms", ":material/meeting_room:", {"admin"}),
    "outbox": ("pages/outbox.py", "nav.outbox", ":material/outbox:", {"admin"}),
    "settings": ("pages/settings.py", "nav.settings", ":material/settings:", {"admin"}),
    "activation": ("pages/activation.py", "activation.nav", ":material/verified:", {"support", "admin"}),
    "audit": ("pages/audit.py", "audit.nav", ":material/history:", {"admin"}),
    "people": ("pages/people.py", "people.nav", ":material/group:", {"admin"}),
    "groups": ("pages/groups.py", "groups.nav", ":material/groups:", {"admin"}),
    "profile": ("pages/profile.py", "nav.profile", ":material/person:", {"admin", "staff", "support"}),
}
# Pages that work without sign-in: GoTo's OAuth callback (a fresh browser session that checks its own token
# and state) and the one-time set-password link.
OPEN = [
    st.Page("pages/callback.py", title=t("callback.title"), url_path=CALLBACK_PATH),
    st.Page("pages/set_password.py", title=t("reset.title"), url_path="set_password"),
]


def requested_path() -> str | None:
    """The page the address bar asks for, when it is none of ours (so it can be caught, not "not found")."""
    # st.context.url names the page Streamlit resolved, not the one asked for; the run's page manager knows.
    ctx = get_script_run_ctx()
    name = getattr(getattr(ctx, "pages_manager", None), "intended_page_name", None)
    known = set(PAGES) | {"signin", CALLBACK_PATH, "set_password"}
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,60}", name) and name not in known:
        return name
    return None


def stubs(target, names: list[str]) -> list:  # type: ignore[no-untyped-def]
    """Every other address runs `target` (the sign-in form, or a hop to the landing page): Streamlit's
    "Page not found" dialog never appears, and the address keeps the deep link for after sign-in."""
    return [st.Page(target, title=t("signin.title"), url_path=name) for name in names]


user = current_user()
write_cookie()
unknown = [p] if (p := requested_path()) else []
if user is None:
    # Before sign-in every address shows the sign-in form under one title: no page names at all.
    signin = st.Page(sign_in_form, title=t("signin.title"), url_path="signin", default=True)
    st.navigation([signin, *stubs(sign_in_form, [*PAGES, *unknown]), *OPEN], position="hidden").run()
    st.stop()

pages = [
    st.Page(path, title=t(title), icon=icon, url_path=name)
    for name, (path, title, icon, roles) in PAGES.items()
    if user.role in roles
]


def to_landing() -> None:
    st.switch_page(pages[0])


hidden = [name for name, (*_, roles) in PAGES.items() if user.role not in roles]
# Our own sidebar links, so the open pages stay registered (GoTo returns to one) but are never listed.
current = st.navigation([*pages, *stubs(to_landing, ["signin", *hidden, *unknown]), *OPEN], position="hidden")
with st.sidebar:
    for page in pages:
        st.page_link(page)
    st.divider()
    st.markdown(f"**{user.display_name}**  \n{t('role.' + user.role)}")
    if st.button(t("nav.sign_out"), key="sign_out"):
        sign_out()
        st.rerun()
    settings = get_settings()
    st.caption(t("sidebar.database", kind="SQLite" if settings.database_url.startswith("sqlite") else "PostgreSQL"))
    st.caption(t("sidebar.goto_sandbox") if goto().is_sandbox else t("sidebar.goto_real"))
    worker_status(user.time_zone)
if user.role == "admin" and current.url_path != "settings":  # Settings says it in place, with what to do
    activation_banner()
current.run()
