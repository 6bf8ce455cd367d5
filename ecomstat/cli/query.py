"""`ecomstat query` and `ecomstat export`: read-only access for economists."""

from pathlib import Path
from typing import Annotated

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, state
from ecomstat.store.formats import ExportFormat

app = typer.Typer()


@app.command("query")
def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="A SELECT statement.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Run one read-only SELECT against the results database: the statement is parsed first and
    anything else is refused before it runs; ECOMSTAT_QUERY_TIMEOUT limits its time."""
    from ecomstat.store.query import query_timeout, readonly_rows

    settings = state(ctx).settings
    with readonly_rows(settings.database_url, sql, timeout=query_timeout(settings)) as (
            columns, rows):
        emit_rows(columns, rows, fmt)


@app.command("export")
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Table or view, e.g. v_indicator.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.csv,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")] = ...,  # type: ignore[assignment]
) -> None:
    """Export a table or view to CSV, JSON lines or Parquet."""
    from ecomstat.store.query import export_relation

    st = state(ctx)
    st.engine()  # make sure the schema exists
    count = export_relation(st.settings.database_url, name, fmt, out)
    typer.echo(f"wrote {count} rows of {name} to {out}")
