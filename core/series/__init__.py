"""Recurring series: rules, booking, occurrences, views, cleanup and imports."""
