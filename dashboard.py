"""Room Desk dashboard: sign-in, navigation by role, and the sidebar's system status."""

from __future__ import annotations

import streamlit as st

from core.access.external_access import CALLBACK_PATH
from core.kernel.config import get_settings
from ui.goto import goto
from ui.health import worker_status
from ui.session import activation_banner, current_user, engine, sign_in_form, sign_out, t

st.set_page_config(page_title="Room Desk", page_icon=":material/event_available:", layout="wide")
engine()  # migrate and, on a first start, seed the demo before anyone signs in

CALLBACK = st.Page("pages/callback.py", title=t("callback.title"), url_path=CALLBACK_PATH)
user = current_user()
if user is None:
    # Only the sign-in page exists until someone signs in, so a deep link can show nothing else.
    # The OAuth callback arrives in a fresh browser session; it checks its own token and state.
    st.navigation(
        [st.Page(sign_in_form, title=t("signin.title"), url_path="signin"), CALLBACK], position="hidden"
    ).run()
    st.stop()

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
    "profile": ("pages/profile.py", "nav.profile", ":material/person:", {"admin", "staff", "support"}),
}
pages = [
    st.Page(path, title=t(title), icon=icon, url_path=name)
    for name, (path, title, icon, roles) in PAGES.items()
    if user.role in roles
]

# Our own sidebar links, so the callback page stays registered (GoTo returns to it) but is never listed.
current = st.navigation(pages + [CALLBACK], position="hidden")
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
if user.role == "admin":
    activation_banner()
current.run()
