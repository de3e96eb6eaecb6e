"""CLI pieces for bookings: `roomdesk import bookings FILE.csv` and `roomdesk conflicts --from --to`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from core.admin.importing import import_bookings
from core.conflicts.sweep import overbookings_in_window
from core.kernel.db import get_engine, session_scope
from core.kernel.errors import ImportRejected, RoomDeskError

SHOW_PROGRESS_FROM = 5_000  # rows; smaller files finish before a bar would be worth drawing

import_app = typer.Typer(help="Bring existing data in.", no_args_is_help=True)


@import_app.callback()
def _import_group() -> None:
    """Bring existing data in."""  # a callback keeps `import` a group even with a single command


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@import_app.command("bookings")
def import_bookings_command(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="CSV file: room, goto_account, subject, start, end, organizer (ISO-8601 times with UTC offset).",
    ),
    create_rooms: bool = typer.Option(False, "--create-rooms", help="Create rooms the file names but Room Desk lacks."),
    no_meetings: bool = typer.Option(
        False, "--no-meetings", help="Book the rooms only; create no GoTo meetings for linked rooms."
    ),
) -> None:
    """Import bookings from a CSV file: all of it, or nothing when any row is bad."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("import", total=None)

        def progress(done: int, total: int) -> None:
            if total >= SHOW_PROGRESS_FROM:
                bar.update(task, completed=done, total=total)

        try:
            with session_scope(get_engine()) as session:
                result = import_bookings(
                    session, source=file, create_rooms=create_rooms, progress=progress, plan_meetings=not no_meetings
                )
        except ImportRejected as err:
            bar.stop()
            typer.echo(f"Error: {file}: {err.message('en').splitlines()[0]}", err=True)
            for line, text in err.problems:
                typer.echo(f"line {line}: {text}", err=True)
            raise typer.Exit(1) from None
        except RoomDeskError as err:
            _fail(err.message("en"))
    names = ", ".join(result.room_names[:5]) + (", …" if result.rooms_created > 5 else "")
    created = f", created {result.rooms_created} room(s): {names}" if result.rooms_created else ""
    planned = (
        f"; {result.meetings_planned} GoTo meeting(s) will be created by `roomdesk worker`"
        if result.meetings_planned
        else ""
    )
    typer.echo(f"Imported {result.rows} booking(s) from {file.name}{created}{planned}.")


def parse_moment(text: str, option: str) -> datetime:
    """An ISO-8601 date or time for a CLI option; without an offset it means UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())
        except ValueError:
            raise typer.BadParameter(
                f"“{text}” is not an ISO-8601 date or time, e.g. 2026-12-07T09:00+01:00", param_hint=f"'{option}'"
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(stamp: pd.Timestamp) -> str:
    return stamp.to_pydatetime().isoformat()


def slots_as_json(slots: pd.DataFrame) -> list[dict[str, Any]]:
    """The slots as the --json output promises: room, start, end, concurrency, subjects."""
    return [
        {
            "room": s.room,
            "start": _iso(s.start),
            "end": _iso(s.end),
            "concurrency": int(s.concurrency),
            "subjects": list(s.subjects),
        }
        for s in slots.itertuples()
    ]


def _table(slots: pd.DataFrame) -> str:
    rows = [("Room", "Start (UTC)", "End (UTC)", "At once", "Appointments")]
    rows += [
        (s.room, f"{s.start:%Y-%m-%d %H:%M}", f"{s.end:%Y-%m-%d %H:%M}", str(s.concurrency), " · ".join(s.subjects))
        for s in slots.itertuples()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(r[:4], widths)), r[4]]).rstrip() for r in rows)


def conflicts_command(
    from_: str = typer.Option(..., "--from", help="Window start, ISO-8601 (2026-12-07 or 2026-12-07T00:00+01:00)."),
    to: str = typer.Option(..., "--to", help="Window end (exclusive), ISO-8601."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """List every overbooked slot that overlaps [--from, --to), each reported whole."""
    start, end = parse_moment(from_, "--from"), parse_moment(to, "--to")
    if end <= start:
        raise typer.BadParameter("must be after --from", param_hint="'--to'")
    with session_scope(get_engine()) as session:
        slots = overbookings_in_window(session, start=start, end=end)
    if json_:
        typer.echo(json.dumps(slots_as_json(slots), ensure_ascii=False, indent=2))
    elif slots.empty:
        typer.echo(f"No overbooked slots between {start.isoformat()} and {end.isoformat()}.")
    else:
        typer.echo(_table(slots))
        typer.echo(f"{len(slots)} overbooked slot(s).")
