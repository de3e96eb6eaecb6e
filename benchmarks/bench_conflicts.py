"""Conflict detection on 1,000,000 bookings over 500 rooms: find_overbookings vs SQL self-joins.

(a) a naive self-join on the same SQLite file, (b) a self-join on PostgreSQL with a GiST index on
(room_id, tstzrange) — PostgreSQL is started by this script from the machine's binaries.

    python benchmarks/bench_conflicts.py [--bookings N] [--rooms R] [--naive-rooms 10,25,50] [--naive-full] [--no-pg]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import data  # noqa: E402
from benchmarks._measure import peak_mb, repeat, reset_peak, rss_mb, summary, timed  # noqa: E402
from core.conflicts.sweep import find_overbookings, load_bookings  # noqa: E402
from core.kernel.db import make_engine, session_scope  # noqa: E402

NAIVE = """SELECT a.id, b.id FROM booking a JOIN booking b
  ON b.room_id = a.room_id AND b.id > a.id AND b.starts_at < a.ends_at AND a.starts_at < b.ends_at
WHERE a.room_id <= ?"""
PG_JOIN = """SELECT a.id, b.id FROM booking a JOIN booking b
  ON a.room_id = b.room_id AND a.during && b.during AND a.id < b.id"""


def load(path: Path) -> tuple[float, pd.DataFrame]:
    """Every booking through the app's own loader (the full scan the CLI does for a whole-range window)."""
    engine = make_engine(data.url(path))
    with session_scope(engine) as session:
        took, frame = timed(
            lambda: load_bookings(session, start=datetime(1990, 1, 1, tzinfo=UTC), end=datetime(2100, 1, 1, tzinfo=UTC))
        )
    engine.dispose()
    return took, frame


def bench_sweep(frame: pd.DataFrame) -> dict[str, float]:
    bookings = frame.rename(columns={"room_id": "room"})
    seconds, slots = repeat(lambda: find_overbookings(bookings), 5)
    tracemalloc.start()
    find_overbookings(bookings)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    before = rss_mb()
    reset_peak()
    find_overbookings(bookings)
    print(
        f"find_overbookings: {summary(seconds)}; {len(slots):,} slots, "
        f"{sum(map(len, slots['ids'])):,} booking-in-slot memberships"
    )
    print(
        f"  memory: {traced / 2**20:.0f} MiB allocated at peak (tracemalloc), "
        f"process peak RSS {peak_mb():.0f} MiB (+{peak_mb() - before:.0f} MiB over the loaded data)"
    )
    involved = np.unique(np.concatenate([np.asarray(ids) for ids in slots["ids"]])) if len(slots) else np.array([])
    return {
        "seconds": min(seconds),
        "median": float(np.median(seconds)),
        "involved": float(len(involved)),
        "_ids": involved,
    }  # type: ignore[dict-item]


def bench_naive_sqlite(path: Path, frame: pd.DataFrame, room_counts: list[int], rooms: int) -> float:
    con = sqlite3.connect(path)
    per_room = []
    for k in room_counts:
        n = int((frame["room_id"] <= k).sum())
        before = rss_mb()
        reset_peak()
        took, pairs = timed(lambda k=k: con.execute(NAIVE, (k,)).fetchall())
        per_room.append(took / k)
        print(
            f"naive SQLite self-join, rooms 1..{k} ({n:,} bookings): {took:.2f} s, {len(pairs):,} pairs, "
            f"peak RSS +{peak_mb() - before:.0f} MiB"
        )
    estimate = float(np.median(per_room)) * rooms
    print(
        f"  extrapolated to all {rooms} rooms ({len(frame):,} bookings): {estimate:.1f} s "
        f"(cost per room is independent of the other rooms at equal density, so it scales with the room count)"
    )
    return estimate


def bench_postgres(frame: pd.DataFrame, sweep_ids: np.ndarray) -> float | None:
    import psycopg

    from tests.pg import find_bindir, start

    bindir = find_bindir()
    if bindir is None:
        print("PostgreSQL binaries not found: skipping (b)")
        return None
    server = start(bindir)
    try:
        with psycopg.connect(
            host="127.0.0.1", port=server.port, user="roomdesk", dbname="postgres", autocommit=True
        ) as conn:
            tsv = frame[["id", "room_id", "start", "end"]].to_csv(
                sep="\t", header=False, index=False, date_format="%Y-%m-%d %H:%M:%S+00"
            )
            conn.execute("CREATE EXTENSION btree_gist")
            conn.execute(
                "CREATE UNLOGGED TABLE staging (id int, room_id int, starts_at timestamptz, ends_at timestamptz)"
            )
            with conn.cursor() as cur, cur.copy("COPY staging FROM STDIN") as copy:
                took_copy, _ = timed(lambda: copy.write(tsv))
            took_build, _ = timed(
                lambda: (
                    conn.execute(
                        "CREATE TABLE booking AS SELECT id, room_id, tstzrange(starts_at, ends_at, '[)') AS during "
                        "FROM staging"
                    ),
                    conn.execute("ALTER TABLE booking ADD PRIMARY KEY (id)"),
                    conn.execute("CREATE INDEX booking_room_during ON booking USING gist (room_id, during)"),
                    conn.execute("VACUUM ANALYZE booking"),
                )
            )
            print(
                f"PostgreSQL: COPY {len(frame):,} rows {took_copy:.1f} s, table + GiST index + analyze "
                f"{took_build:.1f} s"
            )
            plan = "\n    ".join(r[0] for r in conn.execute("EXPLAIN " + PG_JOIN).fetchall())
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            seconds, pairs = repeat(lambda: conn.execute(PG_JOIN).fetchall(), 3)
            reset_peak(backend)
            conn.execute(PG_JOIN).fetchall()
            print(
                f"PostgreSQL GiST self-join: {summary(seconds)}; {len(pairs):,} pairs; "
                f"backend peak RSS {peak_mb(backend):.0f} MiB (parallel workers not included)\n    {plan}"
            )
            pg_ids = np.unique(np.asarray(pairs, dtype=np.int64).ravel()) if pairs else np.array([])
            agree = np.array_equal(pg_ids, sweep_ids)
            print(
                f"  cross-check: bookings involved in an overlap, PostgreSQL {len(pg_ids):,} vs sweep "
                f"{len(sweep_ids):,}: {'identical' if agree else 'DIFFERENT'}"
            )
            return float(np.median(seconds))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--naive-rooms", default="10,25,50", help="room subsets for the naive SQLite join")
    parser.add_argument("--naive-full", action="store_true", help="also run the naive join on every room")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    path = data.database(args.bookings, args.rooms)
    took_load, frame = load(path)
    print(
        f"data: {len(frame):,} bookings over {frame['room_id'].nunique()} rooms; loading them through "
        f"core.conflicts.sweep.load_bookings took {took_load:.2f} s (not part of the times below)"
    )
    sweep = bench_sweep(frame)
    counts = [int(k) for k in args.naive_rooms.split(",")] + ([args.rooms] if args.naive_full else [])
    naive = bench_naive_sqlite(path, frame, counts, args.rooms)
    pg = None if args.no_pg else bench_postgres(frame, sweep["_ids"])  # type: ignore[arg-type]
    best = sweep["median"]
    print("\nsummary (median times, data already in memory / in the database):")
    print(f"  find_overbookings             {best:8.3f} s   goal < 1 s: {'met' if best < 1 else 'MISSED'}")
    print(f"  (a) naive SQLite self-join    {naive:8.1f} s   ({naive / best:,.0f}x slower; extrapolated)")
    if pg is not None:
        print(
            f"  (b) PostgreSQL GiST self-join {pg:8.2f} s   ({pg / best:,.0f}x slower; goal >= 10x: "
            f"{'met' if pg / best >= 10 else 'MISSED'})"
        )
        print(
            f"  including the {took_load:.2f} s load, the sweep is still {pg / (best + took_load):.1f}x faster than (b)"
        )


if __name__ == "__main__":
    main()
