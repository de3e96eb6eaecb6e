"""`roomdesk conflicts` end to end on the 1,000,000-booking database: wall time and peak memory per run.

Each run is a fresh process (interpreter start, imports, migrations check, query, sweep, output), like a
user typing the command; peak memory is the child's own maximum resident set (as /usr/bin/time -v shows).

    python benchmarks/bench_cli_conflicts.py [--bookings N] [--rooms R]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import data  # noqa: E402

# Used only while core.cli.main cannot be imported: the same command mounted the way core/cli/main.py mounts it.
FALLBACK = (
    "import typer; from core.cli.bookings import conflicts_command; app = typer.Typer(); "
    "app.callback()(lambda: None); app.command('conflicts')(conflicts_command); app()"
)
WINDOWS = [  # label, --from, --to
    ("one week (about 12,500 bookings)", "2026-03-02T00:00:00+01:00", "2026-03-09T00:00:00+01:00"),
    ("one month", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"),
    ("everything (1,000,000 bookings)", "2025-01-01", "2028-01-01"),
]


def command() -> tuple[list[str], str]:
    probe = subprocess.run([sys.executable, "-c", "import core.cli.main"], cwd=ROOT, capture_output=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "core.cli.main"], "python -m core.cli.main"
    return [
        sys.executable,
        "-c",
        FALLBACK,
    ], "conflicts_command in a minimal Typer app (core.cli.main not importable yet)"


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS in MiB, exit code and the last output line of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=err)
        # wait4 reports this one child's own rusage (getrusage(RUSAGE_CHILDREN) would pool all children).
        _, status, usage = os.wait4(child.pid, 0)
        took = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = (out.read() or err.read()).decode(errors="replace").strip().splitlines()
    return took, usage.ru_maxrss / 1024, child.returncode, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=500)
    args = parser.parse_args()
    path = data.database(args.bookings, args.rooms)
    env = {**os.environ, "ROOMDESK_DATABASE_URL": data.url(path), "PYTHONPATH": str(ROOT)}
    base, how = command()
    print(f"command: {how}")
    for label, start, end in WINDOWS:
        for extra in ([], ["--json"]):
            argv = [*base, "conflicts", "--from", start, "--to", end, *extra]
            took, peak, code, last = run(argv, env)
            print(
                f"{label:<34} {' '.join(['conflicts', *extra]):<17} {took:6.2f} s  peak RSS {peak:5.0f} MiB  "
                f"exit {code}  | {last[:60]}"
            )


if __name__ == "__main__":
    main()
