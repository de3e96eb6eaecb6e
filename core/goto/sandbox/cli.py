"""`roomdesk sandbox`: serve the GoTo sandbox, add accounts, print tokens."""

from __future__ import annotations

from pathlib import Path

import typer

from core.goto.sandbox.admin import add_account, issue_token
from core.goto.sandbox.server import serve
from core.goto.sandbox.store import DEFAULT_PASSWORD

sandbox_app = typer.Typer(invoke_without_command=True, help="The built-in GoTo sandbox (emulator).")
account_app = typer.Typer(help="Sandbox GoTo accounts.", no_args_is_help=True)
sandbox_app.add_typer(account_app, name="account")


def _data_dir() -> Path:
    from core.kernel.config import get_settings  # the app's one reading of ROOMDESK_DATA_DIR

    return get_settings().data_dir


@sandbox_app.callback()
def sandbox(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
) -> None:
    """Without a subcommand: serve the sandbox (state in ROOMDESK_DATA_DIR/sandbox.db) until Ctrl+C."""
    if ctx.invoked_subcommand is None:
        serve(_data_dir(), host, port)


@account_app.command("add")
def account_add(
    email: str = typer.Argument(..., help="The account's e-mail (its GoTo user name)."),
    first_name: str = typer.Option("", "--first-name"),
    last_name: str = typer.Option("", "--last-name"),
    password: str = typer.Option(DEFAULT_PASSWORD, "--password", help="For the sign-in page."),
) -> None:
    """Add a sandbox account, or update its names and password."""
    try:
        account = add_account(_data_dir(), email, first_name, last_name, password)
    except ValueError as err:
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"Sandbox account {account.email} is ready.")


@sandbox_app.command("token")
def token(email: str = typer.Argument(..., help="An existing sandbox account.")) -> None:
    """Print a fresh access token (valid one hour) for the account, and nothing else."""
    try:
        typer.echo(issue_token(_data_dir(), email))
    except LookupError as err:
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(1) from err
