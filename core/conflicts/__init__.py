"""Overbooked slots: the sweep, the desk that resolves them, the reassignment plan."""
