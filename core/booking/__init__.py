"""Booking rooms: appointments, rooms and imports."""
