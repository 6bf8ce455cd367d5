"""`ecomstat db ...`: schema management."""

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
    from store import current_revision, make_engine, upgrade

    url = state(ctx).settings.database_url
    engine = make_engine(url)
    before = current_revision(engine)
    after = upgrade(engine, revision)
    typer.echo(f"database {engine.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {after}")


@app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the newest one available."""
    from store import current_revision, head_revision, make_engine

    engine = make_engine(state(ctx).settings.database_url)
    typer.echo(f"current: {current_revision(engine) or 'empty'}  head: {head_revision()}")
