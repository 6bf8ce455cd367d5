"""`ecomstat waves list|record`: the waves (periods of data collection) in the store and their
per-enterprise record (thin shell over `store.waves`; docs/waves.md)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, err_console, state

app = typer.Typer(help="Waves: periods of data collection (docs/waves.md).", no_args_is_help=True)

COLUMNS = ["wave", "runs", "first_started", "last_finished", "enterprises_recorded", "recorded_at"]


@app.command("list")
def list_command(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Every wave with its crawl runs and the enterprises recorded for it, oldest first."""
    from ecomstat.store.waves import list_waves

    emit_rows(COLUMNS, (info.row() for info in list_waves(state(ctx).engine())), fmt)


@app.command("record")
def record_command(
    ctx: typer.Context,
    wave: Annotated[Optional[str], typer.Argument(help="The wave (default: the newest crawled).")] = None,
) -> None:
    """Record the wave per enterprise from v_enterprise_web again (`classify sites` does it;
    needed after matching or status changes made after the classification)."""
    from ecomstat.store.waves import record_wave

    recorded = record_wave(state(ctx).engine(), wave)
    if recorded is None:
        err_console.print("nothing to record: no crawl run yet (`ecomstat crawl sites`)",
                          highlight=False)
        raise typer.Exit(1)
    err_console.print(f"recorded wave {recorded[0]}: {recorded[1]} enterprises", highlight=False)
