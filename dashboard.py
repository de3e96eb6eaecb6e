"""Room Desk dashboard: sign-in, navigation by role, and the sidebar's system status."""
from __future__ import annotations

import streamlit as st

from core.config import get_settings
from ui.session import current_user, engine, sign_in_form, sign_out, t

st.set_page_config(page_title="Room Desk", page_icon="🗓️", layout="wide")
engine()  # migrate and, on a first start, seed the demo before anyone signs in

user = current_user()
if user is None:
    # Only the sign-in page exists until someone signs in, so a deep link can show nothing else.
    st.navigation([st.Page(sign_in_form, title=t("signin.title"), url_path="signin")], position="hidden").run()
    st.stop()

PAGES = {  # file, title key, icon, roles; the first page a role may see is its landing page
    "timeline": ("pages/timeline.py", "nav.timeline", "📊", {"admin"}),
    "appointments": ("pages/appointments.py", "nav.appointments", "🗓️", {"admin", "staff"}),
    "rooms": ("pages/rooms.py", "nav.rooms", "🚪", {"admin"}),
    "profile": ("pages/profile.py", "nav.profile", "👤", {"admin", "staff", "support"}),
}
pages = [st.Page(path, title=t(title), icon=icon, url_path=name)
         for name, (path, title, icon, roles) in PAGES.items() if user.role in roles]

with st.sidebar:
    st.markdown(f"**{user.display_name}**  \n{t('role.' + user.role)}")
    if st.button(t("nav.sign_out"), key="sign_out"):
        sign_out()
        st.rerun()
    settings = get_settings()
    st.caption(t("sidebar.database", kind="SQLite" if settings.database_url.startswith("sqlite") else "PostgreSQL"))

st.navigation(pages).run()
