"""How the accounts are really used: booked against held, no-shows, unbooked use, overruns, the real peak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from core.access.permissions import require_role
from core.booking.appointments import MAX_DURATION
from core.kernel.errors import RoomDeskError, ValidationFailed
from core.kernel.models import Appointment, Booking, GotoMeetingData, MeetingSession, Role, Room, User, utcnow
from core.reporting.history import coverage
from core.reporting.matching import Span, match_sessions, overrunning, peak_concurrency

PERIODS = ("day", "week", "month")
# A booking counts as a no-show only once history is collected this long past its end (a late start may still
# be running, and GoTo lists a session only after it ended).
NO_SHOW_GRACE = timedelta(hours=1)
COLUMNS = [
    "room",
    "period",
    "bookings",
    "hours_booked",
    "sessions",
    "hours_held",
    "no_shows",
    "unbooked_use",
    "overruns",
    "attendees",
]
EVENT_COLUMNS = ["kind", "room", "start", "end", "subject", "attendees"]


@dataclass(frozen=True)
class UsageReport:
    """Per room and period (`rows`), the notable sessions and bookings (`events`), and the pool's real peak."""

    rows: pd.DataFrame
    events: pd.DataFrame
    peak_sessions: int
    peak_at: datetime | None
    peak_booked: int
    accounts: int
    start: datetime
    end: datetime
    by: str

    @property
    def totals(self) -> dict[str, float]:
        """The sums over every room and period."""
        return (
            {c: float(self.rows[c].sum()) for c in COLUMNS[2:]}
            if not self.rows.empty
            else dict.fromkeys(COLUMNS[2:], 0.0)
        )


def period_of(moment: datetime, zone: ZoneInfo, by: str) -> str:
    """The local day (2026-12-07), ISO week (2026-W50) or month (2026-12) a moment falls in."""
    local = moment.astimezone(zone)
    if by == "day":
        return local.date().isoformat()
    if by == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def _bookings(session: Session, start: datetime, end: datetime, room_ids: list[int] | None) -> list[tuple]:
    query = (
        select(Booking.id, Booking.room_id, Booking.starts_at, Booking.ends_at, GotoMeetingData.meeting_id)
        .outerjoin(GotoMeetingData, GotoMeetingData.appointment_id == Booking.appointment_id)
        .where(Booking.starts_at >= start - MAX_DURATION, Booking.starts_at < end + MAX_DURATION)
    )
    if room_ids is not None:
        query = query.where(Booking.room_id.in_(room_ids))
    return list(session.exec(query).all())


def _sessions(session: Session, start: datetime, end: datetime, room_ids: list[int] | None) -> list[MeetingSession]:
    query = select(MeetingSession).where(
        MeetingSession.room_id.is_not(None),
        MeetingSession.starts_at >= start - MAX_DURATION,
        MeetingSession.starts_at < end + MAX_DURATION,
    )
    if room_ids is not None:
        query = query.where(MeetingSession.room_id.in_(room_ids))
    return list(session.exec(query).all())


def compute_usage(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    zone: str,
    by: str = "day",
    room_ids: list[int] | None = None,
    now: datetime | None = None,
) -> UsageReport:
    """Usage of every room in [start, min(end, now)), bookings and sessions counted in the period they start in."""
    if by not in PERIODS:
        raise ValidationFailed([RoomDeskError("error.usage_period", field="by", periods=", ".join(PERIODS))])
    if end <= start:
        raise ValidationFailed([RoomDeskError("error.usage_window", field="to")])
    tz, now = ZoneInfo(zone), now or utcnow()
    end = max(start, min(end, now))  # usage is what happened: bookings still ahead are not compared yet
    names = {rid: name for rid, name in session.exec(select(Room.id, Room.name))}
    accounts_of = {rid: acc for rid, acc in session.exec(select(Room.id, Room.goto_account))}
    covered = coverage(session)
    booking_rows = _bookings(session, start, end, room_ids)
    session_rows = _sessions(session, start, end, room_ids)
    bookings = [Span(b[0], b[1], b[2], b[3], b[4]) for b in booking_rows]
    sessions = [Span(s.id, s.room_id, s.starts_at, s.ends_at, s.meeting_id) for s in session_rows]  # type: ignore[arg-type]
    matches = match_sessions(bookings, sessions)
    overruns = overrunning(bookings, sessions, matches)
    held = {b for b in matches.values() if b is not None}
    attendees = {s.id: s.attendees for s in session_rows}
    subjects = {s.id: s.subject for s in session_rows}

    records: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for b in bookings:
        if not start <= b.start < end:
            continue
        known_until = covered.get(accounts_of.get(b.room_id) or "")
        no_show = b.id not in held and known_until is not None and b.end + NO_SHOW_GRACE <= min(known_until, now)
        records.append(
            {
                "room_id": b.room_id,
                "period": period_of(b.start, tz, by),
                "bookings": 1,
                "hours_booked": (b.end - b.start).total_seconds() / 3600,
                "no_shows": int(no_show),
            }
        )
        if no_show:
            events.append({"kind": "no_show", "room_id": b.room_id, "start": b.start, "end": b.end, "booking": b.id})
    for s in sessions:
        if not start <= s.start < end:
            continue
        unbooked = matches[s.id] is None
        records.append(
            {
                "room_id": s.room_id,
                "period": period_of(s.start, tz, by),
                "sessions": 1,
                "hours_held": (s.end - s.start).total_seconds() / 3600,
                "unbooked_use": int(unbooked),
                "overruns": int(s.id in overruns),
                "attendees": attendees[s.id],
            }
        )
        for kind, flagged in (("unbooked_use", unbooked), ("overrun", s.id in overruns)):
            if flagged:
                events.append(
                    {"kind": kind, "room_id": s.room_id, "start": s.start, "end": s.end, "session": s.id}
                    | ({} if unbooked else {"booking": matches[s.id]})
                )

    rows = _aggregate(records, names)
    events_frame = _events(session, events, names, subjects, attendees)
    inside = [s for s in sessions if s.start < end and s.end > start]
    booked_inside = [b for b in bookings if b.start < end and b.end > start]
    peak, peak_at = peak_concurrency(inside)
    peak_booked, _ = peak_concurrency(booked_inside)
    pool = session.exec(
        select(sa.func.count()).select_from(Room).where(Room.active, Room.goto_account.is_not(None))
    ).one()
    return UsageReport(rows, events_frame, peak, peak_at, peak_booked, int(pool), start, end, by)


def usage_report(
    session: Session,
    *,
    user: User,
    start: datetime,
    end: datetime,
    zone: str,
    by: str = "day",
    room_ids: list[int] | None = None,
    now: datetime | None = None,
) -> UsageReport:
    """The Usage page's report: admins only."""
    require_role(user, Role.admin)
    return compute_usage(session, start=start, end=end, zone=zone, by=by, room_ids=room_ids, now=now)


def _aggregate(records: list[dict[str, object]], names: dict[int, str]) -> pd.DataFrame:
    if not records:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame.from_records(records).fillna(0)
    for column in COLUMNS[2:]:
        if column not in frame:
            frame[column] = 0
    grouped = frame.groupby(["room_id", "period"], as_index=False)[COLUMNS[2:]].sum()
    grouped["room"] = grouped["room_id"].map(names)
    for column in ("bookings", "sessions", "no_shows", "unbooked_use", "overruns", "attendees"):
        grouped[column] = grouped[column].astype(int)
    for column in ("hours_booked", "hours_held"):
        grouped[column] = grouped[column].round(2)
    return grouped.sort_values(["room", "period"], ignore_index=True)[COLUMNS]


def _events(
    session: Session,
    events: list[dict[str, object]],
    names: dict[int, str],
    subjects: dict[int, str],
    attendees: dict[int, int],
) -> pd.DataFrame:
    if not events:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    booking_ids = [e["booking"] for e in events if "booking" in e]
    booked = dict(
        session.exec(
            select(Booking.id, Appointment.subject)
            .join(Appointment, Appointment.id == Booking.appointment_id)
            .where(Booking.id.in_(booking_ids))
        ).all()
    )
    rows = [
        {
            "kind": e["kind"],
            "room": names.get(e["room_id"], ""),  # type: ignore[arg-type]
            "start": e["start"],
            "end": e["end"],
            # GoTo's subject of the session; the booking's where GoTo has none (or it is a no-show)
            "subject": subjects.get(e.get("session"), "") or booked.get(e.get("booking"), ""),  # type: ignore[arg-type]
            "attendees": attendees.get(e["session"], 0) if "session" in e else 0,  # type: ignore[arg-type]
        }
        for e in events
    ]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS).sort_values(["start", "room"], ignore_index=True)
