"""Streamlit glue shared by dashboard.py and the pages: session, guard, translation. No rules here."""
