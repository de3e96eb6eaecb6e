"""`roomdesk goto check`: the self-test an admin runs before linking the first room to real GoTo."""

from __future__ import annotations

import typer

from core.kernel.config import get_settings
from core.kernel.db import get_engine

goto_app = typer.Typer(help="The connection to GoTo.", no_args_is_help=True)
MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


@goto_app.command("check")
def check_command() -> None:
    """Check the OAuth client, the redirect URL and GoTo's token endpoint; exit code 1 when linking cannot work."""
    from core.admin.goto_check import check_goto
    from core.goto.connect import connect_goto

    settings, engine = get_settings(), get_engine()
    connection = connect_goto(engine, settings)  # real GoTo when both credentials are set, else the sandbox
    try:
        checks = check_goto(engine, settings, connection.client.config)
    finally:
        if connection.sandbox:
            connection.sandbox.stop()
    for check in checks:
        typer.echo(f"{MARK[check.status]}  {check.name}: {check.message}")
    failed = [c.name for c in checks if not c.ok]
    typer.echo(f"Not ready: fix {', '.join(failed)}." if failed else "Ready to link rooms.")
    if failed:
        raise typer.Exit(1)
