"""`ecomstat user ...`: users of the web application (`ecomstat serve`) and their roles.

Passwords are read from stdin, never from the command line (argv is visible to every user of
the machine in `ps` and lands in shell histories): on a terminal twice without echo, from a
pipe one line.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, state

app = typer.Typer(help="Users of the web application (ecomstat serve) and their roles.", no_args_is_help=True)

ROLE_HELP = "economist | register | operator | admin (cumulative: each may do what the ones before may)"


def read_password(prompt: str = "Password") -> str:
    """The new password: on a terminal typed twice without echo; from a pipe its first line."""
    from ecomstat.errors import BadInput

    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass(f"{prompt}: ")
        second = getpass.getpass(f"{prompt} (again): ")
        if first != second:
            raise BadInput("the two passwords differ")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line[:-1] if line.endswith("\n") else line


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "economist",
) -> None:
    """Add a user; the password is read from stdin (typed twice on a terminal)."""
    from ecomstat.web.users import add_user, parse_role

    st = state(ctx)
    engine = st.engine()
    parse_role(role)  # a wrong role is refused before the password is asked for
    user = add_user(engine, name, role, read_password(), st.settings)
    typer.echo(f"added {user.name} ({user.role.name})")


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """List the users, their roles and when they last signed in."""
    from ecomstat.web.users import list_users

    rows = [(u.name, u.role.name, u.created_at, u.last_login_at) for u in list_users(state(ctx).engine())]
    emit_rows(["name", "role", "created_at", "last_login_at"], rows, fmt)


@app.command("set-role")
def set_role(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = ...,  # type: ignore[assignment]
) -> None:
    """Change a user's role (effective at their next request)."""
    from ecomstat.web.users import set_role as set_user_role

    user = set_user_role(state(ctx).engine(), name, role)
    typer.echo(f"{user.name} is now {user.role.name}")


@app.command("password")
def password(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
) -> None:
    """Set a new password (read from stdin) and end the user's sessions."""
    from ecomstat.web.users import get_user, set_password, UserNotFound

    st = state(ctx)
    engine = st.engine()
    if get_user(engine, name) is None:  # before asking for a password
        raise UserNotFound(f"no user named {name!r}")
    set_password(engine, name, read_password("New password"), st.settings)
    typer.echo(f"password of {name} changed; their sessions were ended")


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name.")],
) -> None:
    """Remove a user and end their sessions (the last admin cannot be removed)."""
    from ecomstat.web.users import remove_user

    remove_user(state(ctx).engine(), name)
    typer.echo(f"removed {name}")
