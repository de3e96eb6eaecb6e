"""Benchmark data: N bookings over R rooms in a migrated SQLite file, generated once and cached in benchmarks/out/.

Realistic shape: working days only, 08:00-18:00 (UTC+1), meetings of 30-120 minutes packed one after
another per room with gaps, and a few percent deliberately pulled into their predecessor (overbookings).

    python benchmarks/data.py [--bookings 1000000] [--rooms 500] [--seed 42]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.kernel.db import make_engine, upgrade  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
DAY_MINUTES = 600  # 08:00-18:00
FIRST_DAY = np.datetime64("2026-01-05T07:00", "m")  # a Monday, 08:00 in UTC+1
ORGANIZERS = ["Anna Schmidt", "Ben Keller", "Clara Weber", "David Novak", "Eva Fischer", "Mia Manager"]


def booking_frame(n: int, rooms: int, seed: int, overlap: float = 0.05) -> pd.DataFrame:
    """id, room_id, start, end (UTC, naive datetime64[us]) for n bookings; ids follow start time."""
    rng = np.random.default_rng(seed)
    room = np.sort(rng.integers(1, rooms + 1, n))
    duration = rng.choice(np.arange(30, 121, 15), n)
    gap = rng.choice([0, 0, 15, 15, 30, 45, 60, 90], n)
    step = gap + duration
    total = np.cumsum(step)
    room_first = np.searchsorted(room, room, side="left")
    # Business minutes since the first day, counted per room.
    offset = total - step + gap - (total[room_first] - step[room_first])
    day, minute = offset // DAY_MINUTES, offset % DAY_MINUTES
    # A meeting never runs past 18:00: the last one of a day is cut short.
    minute = np.minimum(minute, DAY_MINUTES - 15)
    duration = np.minimum(duration, DAY_MINUTES - minute)
    pulled = rng.random(n) < overlap
    minute = np.where(pulled, np.maximum(minute - rng.choice([15, 30, 45, 60], n), 0), minute)
    calendar_day = (day // 5) * 7 + day % 5
    start = FIRST_DAY + (calendar_day * 1440 + minute).astype("timedelta64[m]")
    end = start + duration.astype("timedelta64[m]")
    frame = pd.DataFrame(
        {"room_id": room, "start": start.astype("datetime64[us]"), "end": end.astype("datetime64[us]")}
    ).sort_values(["start", "room_id"], ignore_index=True)
    return frame.assign(id=np.arange(1, n + 1))


def _text(stamps: pd.Series) -> list[str]:
    # The format SQLAlchemy's SQLite DateTime stores, so the app reads these rows like its own.
    return stamps.dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist()


def write_database(path: Path, frame: pd.DataFrame, rooms: int) -> None:
    """Migrate an empty SQLite file with the app's schema, then bulk-insert rooms, appointments and bookings."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    now = "2026-01-01 00:00:00.000000"
    con.executemany(
        "INSERT INTO room (id, name, goto_account, description, active, created_at) VALUES (?,?,?,?,?,?)",
        [(r, f"Room {r:03d}", f"room{r:03d}@bench.roomdesk.test", "", 1, now) for r in range(1, rooms + 1)],
    )
    starts, ends, ids = _text(frame["start"]), _text(frame["end"]), frame["id"].tolist()
    organizers = [ORGANIZERS[i % len(ORGANIZERS)] for i in ids]
    con.executemany(
        "INSERT INTO appointment (id, subject, starts_at, ends_at, time_zone, organizer_id, organizer_name, note, "
        "external_emails, version, created_at, updated_at) VALUES (?,?,?,?,'Europe/Berlin',NULL,?,'','',1,?,?)",
        zip(ids, (f"Meeting {i}" for i in ids), starts, ends, organizers, [now] * len(ids), [now] * len(ids)),
    )
    con.executemany(
        "INSERT INTO booking (id, appointment_id, room_id, starts_at, ends_at) VALUES (?,?,?,?,?)",
        zip(ids, ids, frame["room_id"].tolist(), starts, ends),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def database(n: int = 1_000_000, rooms: int = 500, seed: int = 42) -> Path:
    """The cached benchmark database for (n, rooms, seed), generated on first use."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bookings-{n}-{rooms}-{seed}.db"
    if not path.exists():
        began = time.perf_counter()
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        write_database(partial, booking_frame(n, rooms, seed), rooms)
        partial.rename(path)
        print(f"generated {path.name}: {n:,} bookings over {rooms} rooms in {time.perf_counter() - began:.1f} s")
    return path


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    path = database(args.bookings, args.rooms, args.seed)
    con = sqlite3.connect(path)
    first, last = con.execute("SELECT min(starts_at), max(ends_at) FROM booking").fetchone()
    print(f"{path}: {con.execute('SELECT count(*) FROM booking').fetchone()[0]:,} bookings, {first} .. {last}")


if __name__ == "__main__":
    main()
