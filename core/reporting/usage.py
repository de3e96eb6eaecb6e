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


def _frame(session: Session, query: sa.Select, columns: list[str], times: tuple[str, ...]) -> pd.DataFrame:
    """The query's rows as a frame; times arrive as text (no per-row conversion) and are parsed at once."""
    rows = [tuple(row) for row in session.connection().execute(query)]  # plain tuples: pandas probes Row objects
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in times:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601", utc=True)
    return frame


def _near(column: sa.ColumnElement, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    # Nothing lasts longer than MAX_DURATION: anything that can overlap the window starts in this range.
    return sa.and_(column >= start - MAX_DURATION, column < end + MAX_DURATION)


def _bookings(session: Session, start: datetime, end: datetime, room_ids: list[int] | None) -> pd.DataFrame:
    query = (
        sa.select(
            Booking.id,
            Booking.room_id,
            sa.type_coerce(Booking.starts_at, sa.String),
            sa.type_coerce(Booking.ends_at, sa.String),
            GotoMeetingData.meeting_id,
        )
        .outerjoin(GotoMeetingData, GotoMeetingData.appointment_id == Booking.appointment_id)
        .where(_near(Booking.starts_at, start, end))
    )
    if room_ids is not None:
        query = query.where(Booking.room_id.in_(room_ids))
    return _frame(session, query, ["id", "room_id", "start", "end", "meeting_id"], ("start", "end"))


def _sessions(session: Session, start: datetime, end: datetime, room_ids: list[int] | None) -> pd.DataFrame:
    query = sa.select(
        MeetingSession.id,
        MeetingSession.room_id,
        sa.type_coerce(MeetingSession.starts_at, sa.String),
        sa.type_coerce(MeetingSession.ends_at, sa.String),
        MeetingSession.meeting_id,
        MeetingSession.attendees,
        MeetingSession.subject,
    ).where(MeetingSession.room_id.is_not(None), _near(MeetingSession.starts_at, start, end))
    if room_ids is not None:
        query = query.where(MeetingSession.room_id.in_(room_ids))
    columns = ["id", "room_id", "start", "end", "meeting_id", "attendees", "subject"]
    return _frame(session, query, columns, ("start", "end"))


def _spans(frame: pd.DataFrame) -> list[Span]:
    starts, ends = frame["start"].dt.to_pydatetime(), frame["end"].dt.to_pydatetime()
    meeting_ids = frame["meeting_id"].where(frame["meeting_id"].notna(), None)
    return [
        Span(int(i), int(r), s, e, m)
        for i, r, s, e, m in zip(frame["id"], frame["room_id"], starts, ends, meeting_ids, strict=True)
    ]


def periods(moments: pd.Series, zone: str, by: str) -> pd.Series:
    """`period_of` for a whole column at once."""
    local = moments.dt.tz_convert(zone)
    if by == "day":
        return local.dt.strftime("%Y-%m-%d")
    if by == "week":
        iso = local.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    return local.dt.strftime("%Y-%m")


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
    ZoneInfo(zone)  # an unknown zone is refused before any work
    now = now or utcnow()
    end = max(start, min(end, now))  # usage is what happened: bookings still ahead are not compared yet
    names = {rid: name for rid, name in session.exec(select(Room.id, Room.name))}
    accounts_of = {rid: acc for rid, acc in session.exec(select(Room.id, Room.goto_account))}
    covered = coverage(session)
    booked, held_at = _bookings(session, start, end, room_ids), _sessions(session, start, end, room_ids)
    bookings, sessions = _spans(booked), _spans(held_at)
    matches = match_sessions(bookings, sessions)
    overruns = overrunning(bookings, sessions, matches)
    held = {b for b in matches.values() if b is not None}

    lo, hi = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    known = booked["room_id"].map(lambda r: covered.get(accounts_of.get(r) or ""))
    known_until = pd.to_datetime(known, utc=True).fillna(pd.Timestamp.min.tz_localize("UTC"))
    booked = booked.assign(
        no_shows=(
            ~booked["id"].isin(held) & (booked["end"] + NO_SHOW_GRACE <= known_until.clip(upper=pd.Timestamp(now)))
        ).astype(int),
        bookings=1,
        hours_booked=(booked["end"] - booked["start"]).dt.total_seconds() / 3600,
    )[lambda f: (f["start"] >= lo) & (f["start"] < hi)]
    matched = held_at["id"].map(matches)
    held_at = held_at.assign(
        sessions=1,
        hours_held=(held_at["end"] - held_at["start"]).dt.total_seconds() / 3600,
        unbooked_use=matched.isna().astype(int),
        overruns=held_at["id"].isin(overruns).astype(int),
        booking=matched,
    )[lambda f: (f["start"] >= lo) & (f["start"] < hi)]

    rows = _aggregate([booked, held_at], names, zone, by)
    events_frame = _events(session, booked, held_at, names)
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


def _aggregate(parts: list[pd.DataFrame], names: dict[int, str], zone: str, by: str) -> pd.DataFrame:
    parts = [p.assign(period=periods(p["start"], zone, by)) for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    for column in COLUMNS[2:]:
        frame[column] = frame[column].fillna(0) if column in frame else 0
    grouped = frame.groupby(["room_id", "period"], as_index=False)[COLUMNS[2:]].sum()
    grouped["room"] = grouped["room_id"].map(names)
    for column in ("bookings", "sessions", "no_shows", "unbooked_use", "overruns", "attendees"):
        grouped[column] = grouped[column].astype(int)
    for column in ("hours_booked", "hours_held"):
        grouped[column] = grouped[column].round(2)
    return grouped.sort_values(["room", "period"], ignore_index=True)[COLUMNS]


def _events(session: Session, booked: pd.DataFrame, held_at: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Every no-show, unbooked use and overrun, with the subject GoTo reported (else the booking's)."""
    no_shows = booked[booked["no_shows"] == 1].assign(kind="no_show", subject="", attendees=0)
    unbooked = held_at[held_at["unbooked_use"] == 1].assign(kind="unbooked_use", booking=None)
    overran = held_at[held_at["overruns"] == 1].assign(kind="overrun")
    frame = pd.concat(
        [
            f[["kind", "room_id", "start", "end", "subject", "attendees"]].assign(booking=f.get("booking", f["id"]))
            for f in (no_shows, unbooked, overran)
        ],
        ignore_index=True,
    )
    if frame.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    wanted = [int(b) for b in frame["booking"].dropna().unique()]
    subjects = dict(
        session.exec(
            select(Booking.id, Appointment.subject)
            .join(Appointment, Appointment.id == Booking.appointment_id)
            .where(Booking.id.in_(wanted))
        ).all()
    )
    frame["subject"] = [
        subject or subjects.get(int(b) if pd.notna(b) else -1, "")
        for subject, b in zip(frame["subject"], frame["booking"], strict=True)
    ]
    frame["room"] = frame["room_id"].map(names)
    frame["start"], frame["end"] = frame["start"].dt.to_pydatetime(), frame["end"].dt.to_pydatetime()
    return frame.sort_values(["start", "room"], ignore_index=True)[EVENT_COLUMNS]
