"""`ecomstat waves list|record|drift`: the waves (periods of data collection) in the store, their
per-enterprise record and the drift of classifier scores and signal rates between two (thin
shell over `store.waves` and `classifiers.drift`; docs/waves.md)."""

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
    needed after matching or status changes made after the classification), and its score and
    signal profile for `waves drift`."""
    from ecomstat.classifiers.drift_profile import record_profile
    from ecomstat.errors import BadInput
    from ecomstat.store.waves import record_wave

    recorded = record_wave(state(ctx).engine(), wave)
    if recorded is None:
        err_console.print("nothing to record: no crawl run yet (`ecomstat crawl sites`)",
                          highlight=False)
        raise typer.Exit(1)
    err_console.print(f"recorded wave {recorded[0]}: {recorded[1]} enterprises", highlight=False)
    try:  # its score and signal profile too (drift), while the store holds the wave
        profiled = record_profile(state(ctx).engine(), recorded[0])
    except BadInput as exc:
        err_console.print(f"no drift profile: {exc}", highlight=False)
        return
    if profiled is not None:
        err_console.print(f"profiled wave {profiled[0]}: {profiled[1]} (group, metric) cells",
                          highlight=False)


@app.command("drift")
def drift_command(
    ctx: typer.Context,
    from_wave: Annotated[Optional[str], typer.Option(
        "--from", help="The earlier wave (default: the profiled wave before --to).")] = None,
    to_wave: Annotated[Optional[str], typer.Option(
        "--to", help="The later wave (default: the newest profiled).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Drift of classifier scores and signal rates between two waves, overall and per language
    and platform: population stability index, flagged rows first (moderate >= 0.1, major >
    0.25; groups under ECOMSTAT_DRIFT_MIN_GROUP units are too small to judge). Stored in
    wave_drift."""
    from ecomstat.classifiers.drift import COLUMNS, DriftRule, compute_drift, summarize

    settings = state(ctx).settings
    rows = compute_drift(state(ctx).engine(), from_wave, to_wave,
                         rule=DriftRule.from_settings(settings))
    emit_rows(COLUMNS, (row.row() for row in rows), fmt)
    summary = summarize(rows)
    if summary is not None:
        err_console.print(summary.line(), highlight=False)
