"""Timeline data preparation for a window holding about 10,000 of 1,000,000 stored bookings (goal < 0.5 s).

python benchmarks/bench_timeline.py [--bookings N] [--rooms R] [--target 10000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import data  # noqa: E402
from benchmarks._measure import peak_mb, repeat, reset_peak, rss_mb, summary  # noqa: E402
from core.kernel.db import make_engine, session_scope  # noqa: E402
from core.kernel.models import User  # noqa: E402
from core.reporting.timeline import timeline_data  # noqa: E402

FIRST = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # Monday 2 March 2026, 00:00 in Berlin


def window_with(path: Path, target: int) -> tuple[datetime, datetime, int]:
    """The shortest whole-day window from FIRST holding at least `target` bookings."""
    con = sqlite3.connect(path)
    end, count = FIRST, 0
    while count < target:
        end += timedelta(days=1)
        count = con.execute(
            "SELECT count(*) FROM booking WHERE starts_at < ? AND ends_at > ?",
            (end.strftime("%Y-%m-%d %H:%M:%S"), FIRST.strftime("%Y-%m-%d %H:%M:%S")),
        ).fetchone()[0]
    con.close()
    return FIRST, end, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--target", type=int, default=10_000)
    args = parser.parse_args()
    path = data.database(args.bookings, args.rooms)
    start, end, count = window_with(path, args.target)
    admin = User(username="bench", display_name="Bench Admin", role="admin", time_zone="Europe/Berlin")
    engine = make_engine(data.url(path))
    with session_scope(engine) as session:
        before = rss_mb()
        reset_peak()
        seconds, result = repeat(lambda: timeline_data(session, user=admin, start=start, end=end), 7)
    print(f"window {start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC: {count:,} of {args.bookings:,} stored bookings")
    print(f"timeline_data: {summary(seconds)}; goal < 0.5 s: {'met' if max(seconds) < 0.5 else 'MISSED'}")
    aggregated = "no" if result.aggregated is None else f"{len(result.aggregated):,} room-day cells"
    print(
        f"  {len(result.bars):,} bars, {result.conflict_count} overbooked slots, {len(result.rooms)} rooms, "
        f"aggregated: {aggregated}; peak RSS {peak_mb():.0f} MiB (+{peak_mb() - before:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
