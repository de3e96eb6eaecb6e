"""Importing a 100,000-row bookings CSV into a fresh SQLite database (goal: well under a minute).

python benchmarks/bench_import.py [--rows 100000] [--rooms 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._measure import peak_mb, reset_peak, rss_mb, timed  # noqa: E402
from benchmarks.data import OUT, booking_frame  # noqa: E402
from core.admin.importing import import_bookings  # noqa: E402
from core.kernel.db import make_engine, session_scope, upgrade  # noqa: E402


def csv_file(rows: int, rooms: int) -> Path:
    """A realistic bookings CSV (Berlin offsets, one GoTo account per room), cached under benchmarks/out/."""
    path = OUT / f"import-{rows}-{rooms}.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        frame = booking_frame(rows, rooms, seed=7)
        local = lambda col: frame[col].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")  # noqa: E731
        pd.DataFrame(
            {
                "room": frame["room_id"].map(lambda r: f"Room {r:03d}"),
                "goto_account": frame["room_id"].map(lambda r: f"room{r:03d}@import.roomdesk.test"),
                "subject": [f"Imported meeting {i}" for i in frame["id"]],
                "start": local("start").map(lambda t: t.isoformat()),
                "end": local("end").map(lambda t: t.isoformat()),
                "organizer": np.where(frame["id"] % 3 == 0, "admin", "Someone Outside"),
            }
        ).to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rooms", type=int, default=200)
    args = parser.parse_args()
    source = csv_file(args.rows, args.rooms)
    for run in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/import.db")
            upgrade(engine)
            before = rss_mb()
            reset_peak()
            with session_scope(engine) as session:
                took, result = timed(lambda: import_bookings(session, source=source, create_rooms=True))
            engine.dispose()
        print(
            f"run {run + 1}: imported {result.rows:,} rows, created {result.rooms_created} rooms in {took:.2f} s "
            f"({result.rows / took:,.0f} rows/s); peak RSS {peak_mb():.0f} MiB (+{peak_mb() - before:.0f} MiB)"
        )


if __name__ == "__main__":
    main()
