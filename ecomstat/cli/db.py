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
    statement_timeout: Annotated[
        float, typer.Option("--statement-timeout", metavar="SECONDS",
                            help="Longest statement the role's sessions run by default, psql "
                                 "included (0: no limit).")
    ] = 600.0,  # store.readers.DEFAULT_STATEMENT_TIMEOUT_S (not imported: the CLI starts light)
) -> None:
    """PostgreSQL: create or update a login role that can only SELECT the documented views
    and tables; prints the URL to hand to economists (never hand them the owner's). Its
    sessions are read-only, stop a statement after --statement-timeout and an idle open
    transaction after 15 minutes."""
    from ecomstat.errors import BadInput
    from ecomstat.store.readers import (check_role_name, check_statement_timeout, create_reader,
                                        refuse_sqlite)

    st = state(ctx)
    refuse_sqlite(st.settings.database_url)  # before reading a password or opening a file
    check_role_name(role)
    check_statement_timeout(statement_timeout)
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise BadInput("--password-stdin: no password on stdin")
    # The schema must be current (only `db upgrade` migrates): its views are what is granted.
    reader = create_reader(st.engine(), role, password, statement_timeout_s=statement_timeout)
    how = "created" if reader.created else "updated"
    note = "" if reader.password_set else (
        " (password unchanged)" if not reader.created else " (no password: use --password-stdin)")
    limit = (f"statements stop after {reader.statement_timeout_s:g} s"
             if reader.statement_timeout_s else "no statement time limit")
    typer.echo(f"reader role {reader.role} {how}: SELECT on {len(reader.views)} views and "
               f"{len(reader.tables)} tables only, {limit}{note}")
    typer.echo(f"hand economists this URL: {reader.url}")
