"""The `roomdesk` command: the same services as the dashboard, for real installations and scripts."""
from __future__ import annotations

import sys
from datetime import date

import typer

from core import demo
from core.auth import add_user
from core.cli_bookings import conflicts_command, import_app
from core.config import get_settings
from core.db import get_engine, make_engine, session_scope, upgrade
from core.errors import RoomDeskError
from core.goto.sandbox.cli import sandbox_app

app = typer.Typer(help="Room Desk: book shared GoTo Meeting accounts like rooms.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Local user accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import", help="Bring existing data in.")
app.add_typer(sandbox_app, name="sandbox", help="The built-in GoTo sandbox (emulator).")
app.command("conflicts", help="List overbooked slots that overlap a window.")(conflicts_command)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending schema migration to the configured database."""
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo(f"Database is up to date: {engine.url.render_as_string(hide_password=True)}")


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name used to sign in (lower case)."),
    role: str = typer.Option(..., "--role", help="admin, staff or support."),
    group: list[str] = typer.Option([], "--group", help="Group to add the user to (repeatable)."),
    display_name: str = typer.Option("", "--display-name"),
    email: str = typer.Option("", "--email"),
    time_zone: str = typer.Option("Europe/Berlin", "--time-zone"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Create a local user account."""
    if not password_stdin:
        fail("pass the password on standard input with --password-stdin (it never goes on the command line)", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with session_scope(get_engine()) as session:
            user = add_user(session, username=name, password=password, role=role, groups=tuple(group),
                            display_name=display_name, email=email or None, time_zone=time_zone)
            typer.echo(f"Added user {user.username} ({user.role}).")
    except RoomDeskError as err:
        fail(err.message("en"))


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
