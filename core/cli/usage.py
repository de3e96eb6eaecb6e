"""`roomdesk usage --from --to [--by day|week|month] [--csv|--json]`: how the accounts were really used."""

from __future__ import annotations

import json
from typing import Any

import typer

from core.cli.bookings import parse_moment
from core.kernel.db import get_engine, session_scope
from core.kernel.errors import RoomDeskError
from core.reporting.usage import COLUMNS, PERIODS, UsageReport, compute_usage

_HEADINGS = {
    "room": "Room",
    "period": "Period",
    "bookings": "Bookings",
    "hours_booked": "Booked h",
    "sessions": "Sessions",
    "hours_held": "Held h",
    "no_shows": "No-shows",
    "unbooked_use": "Unbooked",
    "overruns": "Overruns",
    "attendees": "Attendees",
}


def peak_sentence(report: UsageReport) -> str:
    """The one line an admin deciding about accounts wants."""
    when = f" (first at {report.peak_at:%Y-%m-%d %H:%M} UTC)" if report.peak_at else ""
    return (
        f"You held at most {report.peak_sessions} meeting(s) at once{when}; you have {report.accounts} account(s). "
        f"At most {report.peak_booked} booking(s) overlapped."
    )


def as_json(report: UsageReport) -> dict[str, Any]:
    """The --json document: window, rows, totals, notable events and the peak."""
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "by": report.by,
        "rows": report.rows.to_dict("records"),
        "totals": report.totals,
        "peak_sessions": report.peak_sessions,
        "peak_at": report.peak_at.isoformat() if report.peak_at else None,
        "peak_booked": report.peak_booked,
        "accounts": report.accounts,
        "events": [
            {**e, "start": e["start"].isoformat(), "end": e["end"].isoformat()}
            for e in report.events.to_dict("records")
        ],
    }


def _table(report: UsageReport) -> str:
    rows = [[_HEADINGS[c] for c in COLUMNS]]
    rows += [[str(r[c]) for c in COLUMNS] for r in report.rows.to_dict("records")]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))).rstrip()
        for r in rows
    )


def usage_command(
    from_: str = typer.Option(..., "--from", help="Window start, ISO-8601 (2026-12-07 or 2026-12-07T00:00+01:00)."),
    to: str = typer.Option(..., "--to", help="Window end (exclusive), ISO-8601."),
    by: str = typer.Option("day", "--by", help="Group per day, week or month."),
    zone: str = typer.Option("UTC", "--zone", help="Time zone whose days, weeks and months count (IANA)."),
    csv: bool = typer.Option(False, "--csv", help="Print the rows as CSV."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Per room and period: hours booked and held, no-shows, unbooked use, overruns, attendees; the real peak."""
    start, end = parse_moment(from_, "--from"), parse_moment(to, "--to")
    if end <= start:
        raise typer.BadParameter("must be after --from", param_hint="'--to'")
    if by not in PERIODS:
        raise typer.BadParameter(f"one of {', '.join(PERIODS)}", param_hint="'--by'")
    if csv and json_:
        raise typer.BadParameter("choose --csv or --json, not both", param_hint="'--csv'")
    try:
        with session_scope(get_engine()) as session:
            report = compute_usage(session, start=start, end=end, zone=zone, by=by)
    except (RoomDeskError, KeyError) as err:
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(1) from err
    if json_:
        typer.echo(json.dumps(as_json(report), ensure_ascii=False, indent=2))
    elif csv:
        typer.echo(report.rows.to_csv(index=False), nl=False)
    elif report.rows.empty:
        typer.echo(f"No bookings or sessions between {start.isoformat()} and {end.isoformat()}.")
    else:
        typer.echo(_table(report))
        typer.echo(peak_sentence(report))
