"""Room Desk core: every domain rule and service. Never imports streamlit."""
