"""`ecomstat db ...`: schema management."""

import sys
from typing import Annotated

import typer

from ecomstat.cli.common import state

app = typer.Typer(help="Create or upgrade the database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create the schema or bring it up to date (Alembic migrations)."""
    from ecomstat.store import current_revision, upgrade

    engine = state(ctx).engine(check_schema=False, create=True)  # the command that makes a store
    before = current_revision(engine)
    after = upgrade(engine, revision)
    typer.echo(f"database {engine.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {after}")


@app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the newest one available."""
    from ecomstat.store import current_revision, head_revision

    engine = state(ctx).engine(check_schema=False)  # a missing SQLite file is refused, not created
    typer.echo(f"current: {current_revision(engine) or 'empty'}  head: {head_revision()}")


@app.command("create-reader")
def db_create_reader(
    ctx: typer.Context,
    role: Annotated[str, typer.Argument(help="Name of the reader role, e.g. economists.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the role's password from stdin.")
    ] = False,
) -> None:
    """PostgreSQL: create or update a login role that can only SELECT the documented views
    and tables; prints the URL to hand to economists (never hand them the owner's)."""
    from ecomstat.errors import BadInput
    from ecomstat.store.readers import check_role_name, create_reader, refuse_sqlite

    st = state(ctx)
    refuse_sqlite(st.settings.database_url)  # before reading a password or opening a file
    check_role_name(role)
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise BadInput("--password-stdin: no password on stdin")
    # The schema must be current (only `db upgrade` migrates): its views are what is granted.
    reader = create_reader(st.engine(), role, password)
    how = "created" if reader.created else "updated"
    note = "" if reader.password_set else (
        " (password unchanged)" if not reader.created else " (no password: use --password-stdin)")
    typer.echo(f"reader role {reader.role} {how}: SELECT on {len(reader.views)} views and "
               f"{len(reader.tables)} tables only{note}")
    typer.echo(f"hand economists this URL: {reader.url}")
