"""CLI pieces for people and groups: `roomdesk user list|add|deactivate|reset-password`, `roomdesk group list|add|members`.

The same services as the People and Groups pages, run by the server's operator (actor: the command line).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from core.access import auth, people
from core.admin.password_links import issue_reset_link
from core.kernel.db import get_engine, session_scope
from core.kernel.errors import RoomDeskError

user_app = typer.Typer(help="Local user accounts.", no_args_is_help=True)
group_app = typer.Typer(help="Groups of users (room rights, authorized groups).", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@user_app.command("list")
def user_list(
    search: str = typer.Option("", "--search", help="Part of the user name, display name or e-mail."),
    role: str = typer.Option("", "--role", help="Only this role: admin, staff or support."),
    group: str = typer.Option("", "--group", help="Only members of this group."),
    active: bool | None = typer.Option(None, "--active/--inactive", help="Only active or only deactivated users."),
) -> None:
    """List users: user name, role, status, groups, display name, e-mail."""
    with session_scope(get_engine()) as session:
        found = people.list_people(
            session, actor=None, search=search, role=role or None, group=group or None, active=active
        )
    for p in found:
        status = "active" if p.user.active else "inactive"
        typer.echo(
            f"{p.user.username:<16} {p.user.role:<8} {status:<9} {','.join(p.groups) or '-':<24} "
            f"{p.user.display_name} <{p.user.email or '-'}>"
        )
    typer.echo(f"{len(found)} user(s).")


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
        _fail("pass the password on standard input with --password-stdin (it never goes on the command line)", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with session_scope(get_engine()) as session:
            user = auth.add_user(
                session,
                username=name,
                password=password,
                role=role,
                groups=tuple(group),
                display_name=display_name,
                email=email or None,
                time_zone=time_zone,
            )
            typer.echo(f"Added user {user.username} ({user.role}).")
    except RoomDeskError as err:
        _fail(err.message("en"))


@user_app.command("deactivate")
def user_deactivate(
    name: str = typer.Argument(..., help="User name."),
    undo: bool = typer.Option(False, "--reactivate", help="Reactivate the user instead."),
) -> None:
    """Deactivate a user: no sign-in, gone from pickers, history kept; every session ends."""
    try:
        with session_scope(get_engine()) as session:
            user = people.set_active(session, actor=None, user_id=people.find_user(session, name).id, active=undo)  # type: ignore[arg-type]
            typer.echo(f"{'Reactivated' if undo else 'Deactivated'} user {user.username}.")
    except RoomDeskError as err:
        _fail(err.message("en"))


@user_app.command("reset-password")
def user_reset_password(
    name: str = typer.Argument(..., help="User name."),
    base_url: str = typer.Option(
        "http://localhost:8501", "--base-url", help="Dashboard address, when no system address is set in Settings."
    ),
) -> None:
    """Print a one-time set-password link (24 hours; mailed too when SMTP is configured)."""
    engine = get_engine()
    try:
        with session_scope(engine) as session:
            user_id = people.find_user(session, name).id
        link = issue_reset_link(engine, actor=None, user_id=user_id, base_url=base_url)  # type: ignore[arg-type]
    except RoomDeskError as err:
        _fail(err.message("en"))
    typer.echo(link.url)
    typer.echo(f"Valid once, until {link.valid_until:%Y-%m-%d %H:%M} UTC.")
    if link.mailed_to:
        typer.echo(f"Sent to {link.mailed_to}.")


@group_app.command("list")
def group_list() -> None:
    """List groups: name, what they are used for, members."""
    with session_scope(get_engine()) as session:
        groups = people.list_groups(session, actor=None)
    for g in groups:
        uses = (["built-in"] if g.group.builtin else []) + (["authorized"] if g.authorized else [])
        uses += [f"{g.room_rights} room right(s)"] if g.room_rights else []
        typer.echo(f"{g.group.name:<20} {', '.join(uses) or '-':<36} {', '.join(g.members) or '-'}")


@group_app.command("add")
def group_add(name: str = typer.Argument(..., help="Name of the new group.")) -> None:
    """Create a group."""
    try:
        with session_scope(get_engine()) as session:
            group = people.add_group(session, actor=None, name=name)
            typer.echo(f"Added group {group.name}.")
    except RoomDeskError as err:
        _fail(err.message("en"))


@group_app.command("members")
def group_members(
    name: str = typer.Argument(..., help="Group name."),
    add: list[str] = typer.Option([], "--add", help="User name to add (repeatable)."),
    remove: list[str] = typer.Option([], "--remove", help="User name to remove (repeatable)."),
) -> None:
    """Show a group's members, or change them with --add / --remove."""
    try:
        with session_scope(get_engine()) as session:
            group = people.find_group(session, name)
            view = next(g for g in people.list_groups(session, actor=None) if g.group.id == group.id)
            members = set(view.members)
            if add or remove:
                members = (members | {n.strip().lower() for n in add}) - {n.strip().lower() for n in remove}
                ids = [people.find_user(session, n).id for n in sorted(members)]
                people.set_members(session, actor=None, group_id=group.id, user_ids=ids)  # type: ignore[arg-type]
    except RoomDeskError as err:
        _fail(err.message("en"))
    for member in sorted(members):
        typer.echo(member)
    typer.echo(f"{len(members)} member(s) in {group.name}.")
