"""The Usage report for a month of a large pool: bookings matched to GoTo sessions (goal < 2 s for 100k + 100k).

python benchmarks/bench_usage.py [--rooms 500] [--per-day 8] [--days 30]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._measure import peak_mb, repeat, reset_peak, summary  # noqa: E402
from core.kernel.db import make_engine, session_scope, upgrade  # noqa: E402
from core.kernel.models import Appointment, Booking, HistoryCursor, MeetingSession, Room  # noqa: E402
from core.reporting.usage import compute_usage  # noqa: E402

FIRST = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)


def seed(engine: sa.Engine, rooms: int, per_day: int, days: int, rng: random.Random) -> tuple[int, int]:
    """Back-to-back hour bookings per room and day; 85 % held (a little late, some overrunning), some unbooked."""
    appointments, bookings, sessions = [], [], []
    with engine.begin() as con:
        con.execute(
            sa.insert(Room),
            [
                {
                    "id": r + 1,
                    "name": f"Room {r + 1}",
                    "goto_account": f"r{r + 1}@x",
                    "active": True,
                    "description": "",
                    "created_at": (FIRST),
                }
                for r in range(rooms)
            ],
        )
        for room in range(1, rooms + 1):
            free = FIRST
            for day in range(days):
                for slot in range(per_day):
                    start = FIRST + timedelta(days=day, hours=slot)
                    n = len(appointments) + 1
                    appointments.append(
                        {
                            "id": n,
                            "subject": f"Meeting {n}",
                            "starts_at": (start),
                            "ends_at": (start + timedelta(hours=1)),
                            "time_zone": "UTC",
                            "organizer_name": "",
                            "note": "",
                            "external_emails": "",
                            "version": 1,
                            "created_at": (start),
                            "updated_at": (start),
                            "exclusions": [],
                        }
                    )
                    bookings.append(
                        {
                            "id": n,
                            "appointment_id": n,
                            "room_id": room,
                            "starts_at": (start),
                            "ends_at": (start + timedelta(hours=1)),
                        }
                    )
                    if rng.random() < 0.85:
                        begin = max(start + timedelta(minutes=rng.randint(0, 10)), free + timedelta(minutes=1))
                        length = timedelta(minutes=65 if rng.random() < 0.03 else rng.choice([40, 45, 50]))
                        sessions.append((room, begin, begin + length))
                        free = begin + length  # one meeting per account at a time
                if rng.random() < 0.3:
                    start = FIRST + timedelta(days=day, hours=per_day + 1)
                    sessions.append((room, start, start + timedelta(minutes=30)))
        con.execute(sa.insert(Appointment), appointments)
        con.execute(sa.insert(Booking), bookings)
        con.execute(
            sa.insert(MeetingSession),
            [
                {
                    "account": f"r{room}@x",
                    "session_key": str(k),
                    "room_id": room,
                    "meeting_id": str(k),
                    "subject": "",
                    "starts_at": (s),
                    "ends_at": (e),
                    "attendees": 3,
                    "collected_at": (e),
                }
                for k, (room, s, e) in enumerate(sessions)
            ],
        )
        con.execute(
            sa.insert(HistoryCursor),
            [
                {"account": f"r{r + 1}@x", "collected_until": (FIRST + timedelta(days=days + 1)), "last_error": ""}
                for r in range(rooms)
            ],
        )
    return len(bookings), len(sessions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--per-day", type=int, default=8)
    parser.add_argument("--days", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/usage.db")
        upgrade(engine)
        n_bookings, n_sessions = seed(engine, args.rooms, args.per_day, args.days, random.Random(3))
        end = FIRST + timedelta(days=args.days)
        with session_scope(engine) as session:
            reset_peak()
            seconds, report = repeat(
                lambda: compute_usage(
                    session, start=FIRST, end=end, zone="Europe/Berlin", by="week", now=end + timedelta(days=2)
                ),
                3,
            )
        print(f"{n_bookings:,} bookings and {n_sessions:,} sessions on {args.rooms} rooms over {args.days} days")
        print(f"compute_usage (by week): {summary(seconds)}; goal < 2 s: {'met' if max(seconds) < 2 else 'MISSED'}")
        totals = report.totals
        print(
            f"  {len(report.rows):,} rows; no-shows {totals['no_shows']:.0f}, unbooked {totals['unbooked_use']:.0f}, "
            f"overruns {totals['overruns']:.0f}; peak {report.peak_sessions} of {report.accounts} accounts; "
            f"peak RSS {peak_mb():.0f} MiB"
        )


if __name__ == "__main__":
    main()
