"""Meeting-integrity soak on demand (issue 12): several dashboard processes, a separate worker killed with -9.

    python benchmarks/soak.py [--db sqlite|postgresql|both] [--processes 2] [--sessions 3] [--operations 100]
                              [--fault-rate 0.1] [--rooms 6] [--no-kill] [--seed 12]

Each dashboard process runs `--sessions` user sessions (threads) doing `--operations` random operations
(create, change time / subject / room, Move on the conflict desk, remove the room, delete, stale-form save,
early token expiry or refresh revocation) while about `--fault-rate` of all GoTo calls fail; a separate
worker process runs the meeting jobs and is killed with SIGKILL mid-run, then restarted. Afterwards GoTo
heals, the worker drains, and the script prints the invariant counts (all but appointments and meetings
must be 0), the faults injected and the operations per second sustained.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet


def _quiet() -> None:
    import logging

    logging.getLogger("core").setLevel(os.environ.get("ROOMDESK_LOG_LEVEL", "ERROR"))  # the soak prints counts


def _dashboard(url: str, sandbox_url: str, args: dict[str, Any], seed: int, out: Any) -> None:
    _quiet()
    from core.kernel.db import make_engine
    from tests.soak import Journal, run_sessions

    engine = make_engine(url)
    journal = Journal()
    faults = run_sessions(
        engine,
        sandbox_url,
        sessions=args["sessions"],
        operations=args["operations"],
        fault_rate=args["fault_rate"],
        seed=seed,
        journal=journal,
        worker=False,
    )
    out.put({"journal": journal.as_dict(), "faults": dict(faults)})


def _worker(url: str, sandbox_url: str, fault_rate: float, seed: int) -> None:
    _quiet()
    from core.kernel.db import make_engine
    from core.meetings import jobs as meetings
    from tests.soak import ChaosTransport, sandbox_client

    engine = make_engine(url)
    api = sandbox_client(engine, sandbox_url, ChaosTransport(fault_rate, seed))
    while True:  # like `roomdesk worker --interval 0.1`, until killed
        try:
            meetings.run_due(engine, api, limit=20)
        except Exception as err:  # run_due records job failures itself; this is the database going away
            print(f"worker pass failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        time.sleep(0.1)


def soak(db: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from core.goto.sandbox import start_in_thread
    from core.kernel.db import make_engine, upgrade
    from tests import pg
    from tests.soak import Journal, check, heal_and_drain, link_rooms

    server = None
    if db == "postgresql":
        bindir = pg.find_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL binaries not found")
        server = pg.start(bindir)
        import sqlalchemy as sa

        admin = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql('CREATE DATABASE "soak"')
        admin.dispose()
        url = server.url("soak")
    else:
        url = f"sqlite:///{workdir / 'soak.db'}"
    sandbox = start_in_thread(workdir / "sandbox")
    try:
        engine = make_engine(url)
        upgrade(engine)
        link_rooms(engine, sandbox.url, rooms=args.rooms)
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        options = {"sessions": args.sessions, "operations": args.operations, "fault_rate": args.fault_rate}
        dashboards = [
            context.Process(target=_dashboard, args=(url, sandbox.url, options, args.seed * 10 + n, out))
            for n in range(args.processes)
        ]
        worker = context.Process(target=_worker, args=(url, sandbox.url, args.fault_rate, args.seed))
        started = time.perf_counter()
        for process in [*dashboards, worker]:
            process.start()
        kills = 0
        results = []
        deadline_kill = started + 8.0  # kill the worker once the sessions are well under way
        while len(results) < len(dashboards):
            try:
                results.append(out.get(timeout=0.5))
            except Exception:
                pass
            if not args.no_kill and kills == 0 and time.perf_counter() > deadline_kill:
                os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
                worker.join()
                kills += 1
                worker = context.Process(target=_worker, args=(url, sandbox.url, args.fault_rate, args.seed + 1))
                worker.start()
        elapsed = time.perf_counter() - started
        for process in dashboards:
            process.join()
        worker.terminate()
        worker.join()
        journal, faults = Journal(), Counter[str]()
        for result in results:
            journal.merge(result["journal"])
            faults.update(result["faults"])
        drain_started = time.perf_counter()
        drained = heal_and_drain(engine, sandbox.url, rounds=120)
        drain_seconds = time.perf_counter() - drain_started
        counts = check(engine, sandbox.url, journal)
        operations = sum(n for op, n in journal.ops.items())
        engine.dispose()
        return {
            "database": db,
            "operations": operations,
            "ops_per_second": round(operations / elapsed, 1),
            "seconds": round(elapsed, 1),
            "drain_seconds": round(drain_seconds, 1),
            "worker_kills": kills,
            "goto_calls": faults.pop("calls", 0),
            "faults": dict(faults),
            "drain": dict(drained),
            "counts": counts,
            "operations_by_kind": dict(journal.ops),
            "altered_notes": journal.altered[:3],
            "first_crashes": journal.crashes[:3],
        }
    finally:
        sandbox.stop()
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--rooms", type=int, default=6)
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    _quiet()
    with tempfile.TemporaryDirectory(prefix="roomdesk-soak-") as tmp:
        workdir = Path(tmp)
        # Every process shares one key and a short lease, so a killed worker's claims are taken over quickly.
        os.environ["ROOMDESK_DATA_DIR"] = str(workdir)
        os.environ["ROOMDESK_SECRET_KEY"] = Fernet.generate_key().decode()
        os.environ["ROOMDESK_JOB_LEASE_SECONDS"] = "15"
        for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
            (workdir / db).mkdir()
            print(json.dumps(soak(db, args, workdir / db), indent=1, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
