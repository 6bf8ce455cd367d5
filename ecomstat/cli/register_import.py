"""`ecomstat register import` and `ecomstat register list`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, progress, state
from ecomstat.cli.register import app

if TYPE_CHECKING:
    from ecomstat.register.importer import ImportSummary


def _print_summary(summary: ImportSummary) -> None:
    typer.echo(
        f"imported {summary.file} as register snapshot {summary.snapshot!r} "
        f"(id {summary.snapshot_id}): {summary.rows} rows, {summary.inserted} inserted, "
        f"{summary.updated} updated, {summary.unchanged} unchanged; "
        f"{summary.websites_added} websites added"
    )
    if summary.not_in_file:
        typer.echo(
            f"{summary.not_in_file} enterprises not in this file (kept, with their old snapshot)"
        )
    if summary.ignored_columns:
        typer.echo(f"ignored columns: {', '.join(summary.ignored_columns)}")
    typer.echo(
        f"read as {summary.encoding}, delimiter {summary.delimiter!r}, in {summary.seconds:.1f} s"
    )


@app.command("import")
def register_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The register CSV file.")],
    mapping: Annotated[
        Optional[Path], typer.Option("--mapping", help="TOML column mapping for other headers.")
    ] = None,
    snapshot: Annotated[
        Optional[str],
        typer.Option("--snapshot", help="Snapshot label (default: file name + UTC timestamp)."),
    ] = None,
    delimiter: Annotated[
        Optional[str], typer.Option("--delimiter", help="Field delimiter (default: sniffed).")
    ] = None,
    encoding: Annotated[
        Optional[str],
        typer.Option("--encoding", help="File encoding (default: UTF-8 with or without BOM, "
                     "else cp1252)."),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Validate a register CSV and import it as a new snapshot (all or nothing)."""
    from ecomstat.register.importer import import_register

    engine = state(ctx).engine(create=True)  # importing the register may start a new store
    with progress(transient=True) as bar:
        task = bar.add_task(f"importing {file.name}", total=None, rate="")

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = import_register(
            engine, file, mapping=mapping, snapshot=snapshot, delimiter=delimiter,
            encoding=encoding, on_progress=advance,
        )
    if fmt is OutputFormat.table:
        _print_summary(summary)
    elif fmt is OutputFormat.json:
        emit_json_line(summary.as_dict())
    else:
        data = summary.as_dict()
        emit_rows(list(data), [list(data.values())], fmt)


@app.command("list")
def register_list(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    limit: Annotated[int, typer.Option("--limit", help="At most N enterprises; 0 = all.")] = 50,
    country: Annotated[
        Optional[str], typer.Option("--country", help="Only this ISO country code.")
    ] = None,
    nace_section: Annotated[
        Optional[str], typer.Option("--nace-section", help="Only this NACE section letter.")
    ] = None,
) -> None:
    """List enterprises of the register (ordered by id)."""
    from ecomstat.register.listing import list_enterprises

    columns, rows = list_enterprises(
        state(ctx).engine(), country=country, nace_section=nace_section, limit=limit
    )
    emit_rows(columns, rows, fmt)
