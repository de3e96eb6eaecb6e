"""The `rrule` and `timezone` columns of a bookings import: checked per row, then booked per occurrence."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

import numpy as np
import pandas as pd

from core.kernel.errors import RoomDeskError
from core.kernel.i18n import translate
from core.series.booking import horizon_end
from core.series.rules import expand, first_occurrence, last_end, normalize_rule


def check_rules(rules: pd.Series, zones: pd.Series, starts: pd.Series) -> tuple[dict[int, str], pd.Series]:
    """Problems by row position, and the rules in canonical form ("" for single appointments)."""
    problems: dict[int, str] = {}
    canonical = rules.copy()
    zones_known = available_timezones()
    for row in np.flatnonzero((rules != "").to_numpy()):
        zone, start = zones.iat[row], starts.iat[row]
        if not zone:
            problems[row] = translate("error.series_import_zone")
            continue
        if zone not in zones_known:
            continue  # reported as an unknown zone already
        try:
            canonical.iat[row] = rule = normalize_rule(rules.iat[row], zone)
        except RoomDeskError as err:
            problems[row] = err.message("en")
            continue
        if pd.notna(start) and first_occurrence(rule, start.to_pydatetime(), zone) != start.to_pydatetime():
            problems[row] = translate("error.series_import_start", rule=rule, zone=zone)
    return problems, canonical


def appointment_fields(
    rule: str, start: datetime, end: datetime, zone: str, room_id: int, now: datetime
) -> dict[str, Any]:
    """The series columns of an imported appointment (all empty for a single one)."""
    if not rule:
        return {"rrule": None, "exclusions": [], "series_room_id": None, "series_ends_at": None, "booked_until": None}
    return {
        "rrule": rule,
        "exclusions": [],
        "series_room_id": room_id,
        "booked_until": horizon_end(start, now),
        "series_ends_at": last_end(rule, first_start=start, first_end=end, zone=zone),
    }


def booked_slots(
    rule: str, start: datetime, end: datetime, zone: str, now: datetime
) -> list[tuple[datetime, datetime]]:
    """One booking per occurrence up to the horizon (just the appointment itself when there is no rule)."""
    if not rule:
        return [(start, end)]
    return [
        (o.start, o.end)
        for o in expand(rule, first_start=start, first_end=end, zone=zone, window_end=horizon_end(start, now))
    ]
