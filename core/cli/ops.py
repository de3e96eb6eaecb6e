"""CLI for operating an installation: `roomdesk status`, `roomdesk backup FILE`, `roomdesk restore FILE`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import typer

from core.admin import backup as backups
from core.admin import health
from core.kernel.config import get_settings
from core.kernel.db import get_engine, make_engine
from core.kernel.errors import RoomDeskError
from core.kernel.i18n import translate


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat(timespec="seconds")


def status_command(
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Whether a worker is alive and how the meeting jobs stand; exit code 1 when unhealthy (for monitoring)."""
    state = health.check(get_engine())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "healthy": state.healthy,
                    "checked_at": _when(state.checked_at),
                    "problems": [translate(p, "en") for p in state.problems],
                    "workers": [
                        {
                            "worker": w.worker,
                            "kind": w.kind,
                            "alive": w.alive,
                            "started_at": _when(w.started_at),
                            "last_beat_at": _when(w.beat_at),
                            "passes": w.passes,
                            "last_report": w.last_report,
                        }
                        for w in state.workers
                    ],
                    "jobs": {
                        "pending": state.pending,
                        "failing": state.failing,
                        "failing_since": _when(state.failing_since),
                        "overdue_since": _when(state.overdue_since),
                    },
                },
                indent=2,
            )
        )
    else:
        typer.echo(f"{'healthy' if state.healthy else 'UNHEALTHY'} (checked {_when(state.checked_at)})")
        for problem in state.problems:
            typer.echo(f"  problem: {translate(problem, 'en')}")
        for w in state.workers:
            typer.echo(
                f"worker {w.worker} ({w.kind}): {'alive' if w.alive else 'silent'}, last beat {_when(w.beat_at)}, "
                f"running since {_when(w.started_at)}, {w.passes} passes"
            )
        if not state.workers:
            typer.echo("worker: none has ever reported")
        typer.echo(
            f"meeting jobs: {state.pending} pending, {state.failing} failing"
            + (f" (since {_when(state.failing_since)})" if state.failing_since else "")
            + (f"; due and not picked up since {_when(state.overdue_since)}" if state.overdue_since else "")
        )
    if not state.healthy:
        raise typer.Exit(1)


def backup_command(
    file: Path = typer.Argument(..., dir_okay=False, help="Where to write the backup."),
) -> None:
    """Back up the configured database: SQLite online (safe while running), PostgreSQL with pg_dump."""
    try:
        result = backups.backup(make_engine(get_settings().database_url), file)
    except RoomDeskError as err:
        _fail(err.message("en"))
    typer.echo(f"Backed up the {result.kind} database to {result.path} ({result.size:,} bytes).")
    typer.echo("Keep the encryption key (ROOMDESK_SECRET_KEY or data/secret.key) too: stored tokens need it.")


def restore_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A file written by `roomdesk backup`."),
    replace: bool = typer.Option(False, "--replace", help="Replace a database that already holds data."),
) -> None:
    """Restore a backup into the configured database and migrate it to this version."""
    try:
        result = backups.restore(make_engine(get_settings().database_url), file, replace=replace)
    except RoomDeskError as err:
        _fail(err.message("en"))
    typer.echo(f"Restored {result.path} into the {result.kind} database; schema is up to date.")
