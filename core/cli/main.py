"""The `roomdesk` command: the same services as the dashboard, for real installations and scripts."""

from __future__ import annotations

from datetime import date

import typer

from core.admin import demo
from core.cli.bookings import conflicts_command, import_app
from core.cli.goto import goto_app
from core.cli.ops import backup_command, restore_command, status_command
from core.cli.people import group_app, user_app
from core.cli.usage import usage_command
from core.goto.sandbox.cli import sandbox_app
from core.kernel.config import get_settings
from core.kernel.db import get_engine, make_engine, session_scope, upgrade
from core.kernel.logs import configure_logging

app = typer.Typer(help="Room Desk: book shared GoTo Meeting accounts like rooms.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
app.add_typer(import_app, name="import", help="Bring existing data in.")
app.add_typer(goto_app, name="goto")
app.add_typer(sandbox_app, name="sandbox", help="The built-in GoTo sandbox (emulator).")
app.command("conflicts", help="List overbooked slots that overlap a window.")(conflicts_command)
app.command("usage", help="How the accounts were really used: booked against held, per room and period.")(usage_command)
app.command("status", help="Worker heartbeat and meeting jobs; exit code 1 when unhealthy.")(status_command)
app.command("backup", help="Back up the database to FILE (safe while Room Desk runs).")(backup_command)
app.command("restore", help="Restore a backup FILE into the configured database.")(restore_command)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending schema migration to the configured database."""
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo(f"Database is up to date: {engine.url.render_as_string(hide_password=True)}")


@app.command("demo")
def demo_command(reset: bool = typer.Option(False, "--reset", help="Delete ALL data, then seed the demo.")) -> None:
    """Seed the demo organisation (into an empty database, or after --reset)."""
    with session_scope(get_engine()) as session:
        if reset:
            demo.clear_all(session)
        elif not demo.is_empty(session):
            fail("the database is not empty; use --reset to replace everything with the demo", 1)
        demo.seed_demo(session, today=date.today())
    typer.echo("Demo organisation seeded. Sign in as:")
    for username, role, password in demo.credentials():
        typer.echo(f"  {username:<8} {role:<8} {password}")


keys_app = typer.Typer(help="Encryption keys of stored secrets.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def keys_rotate(
    reencrypt: bool = typer.Option(
        False, "--reencrypt", help="Keys come from ROOMDESK_SECRET_KEY: re-encrypt under its first key."
    ),
) -> None:
    """Re-encrypt every stored token under a new key and retire the old one."""
    from core.admin import keys
    from core.kernel import crypto

    settings, engine = get_settings(), get_engine()
    if reencrypt:
        count = keys.reencrypt(engine, crypto.cipher(settings))
    else:
        try:
            count = keys.rotate_keys(engine, settings)
        except keys.RotationRefused as err:
            fail(str(err), 2)
    typer.echo(f"Re-encrypted {count} secret(s) under the new key.")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new key (for ROOMDESK_SECRET_KEY)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@app.command("worker")
def worker(
    once: bool = typer.Option(False, "--once", help="One pass, then exit."),
    interval: float = typer.Option(60.0, "--interval", help="Seconds between passes."),
) -> None:
    """Background jobs: refresh GoTo tokens that expire within 10 minutes, create/update/delete meetings."""
    from core.admin import worker as jobs
    from core.goto.connect import connect_goto

    settings, engine = get_settings(), get_engine()
    connection = connect_goto(engine, settings)
    try:
        for report in jobs.run(engine, connection, once=once, interval=interval):
            typer.echo(report)
    finally:
        if connection.sandbox:
            connection.sandbox.stop()


series_app = typer.Typer(help="Recurring series.", no_args_is_help=True)
app.add_typer(series_app, name="series")


@series_app.command("cleanup")
def series_cleanup_command() -> None:
    """Remove used meeting links from series whose first occurrence is over (the worker does it too)."""
    from core.series.cleanup import clean_up_series

    with session_scope(get_engine()) as session:
        cleaned = clean_up_series(session, actor=None)
    for item in cleaned:
        typer.echo(
            f"cleaned up  series {item.series_id} “{item.subject}” (first occurrence "
            f"{item.first_start:%Y-%m-%d %H:%M} UTC; meeting {item.meeting_id or '-'})"
        )
    typer.echo(f"{len(cleaned)} series cleaned up." if cleaned else "No series needs cleaning up.")


@app.command("reconcile")
def reconcile_command(
    repair: bool = typer.Option(
        True, "--repair/--report-only", help="Plan new meetings for appointments whose meeting GoTo lost."
    ),
) -> None:
    """Report meetings that exist at GoTo but not in Room Desk, and appointments whose meeting GoTo lost."""
    from core.goto import bulk_work
    from core.goto.connect import connect_goto
    from core.meetings.reconcile import reconcile

    settings, engine = get_settings(), get_engine()
    connection = connect_goto(engine, settings)
    try:
        with bulk_work():
            report = reconcile(engine, connection.client, repair=repair)
        if repair and report.repaired:
            from core.meetings import jobs as meetings

            meetings.run_due(engine, connection.client)
    finally:
        if connection.sandbox:
            connection.sandbox.stop()
    for room, meeting_id, subject in report.unknown_at_goto:
        typer.echo(f"only at GoTo   {room}: meeting {meeting_id} “{subject}” (left alone: Room Desk did not make it)")
    for room, appointment_id, subject in report.missing_at_goto:
        typer.echo(
            f"lost at GoTo   {room}: appointment {appointment_id} “{subject}”"
            + (" (new meeting planned)" if repair else "")
        )
    for room, error in report.unreachable:
        typer.echo(f"not checked    {room}: {error}")
    typer.echo(
        f"{len(report.unknown_at_goto)} only at GoTo, {len(report.missing_at_goto)} lost at GoTo, "
        f"{report.repaired} repaired, {len(report.unreachable)} room(s) not reachable."
    )


def main() -> None:
    configure_logging()
    app()


if __name__ == "__main__":
    main()
