"""`ecomstat report --out DIR`: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ecomstat.cli.common import state

app = typer.Typer()


@app.command("report")
def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory (index.html).")],
    period: Annotated[Optional[str], typer.Option(help="Only this period (default: latest).")] = None,
    method: Annotated[Optional[str], typer.Option(help="Adoption method to chart (default: best available).")] = None,
    survey: Annotated[Optional[Path], typer.Option(help="Survey estimates CSV to compare with (see `indicators compare`).")] = None,
) -> None:
    """Write a self-contained HTML report: adoption with CIs, coverage, classifier quality, crawls."""
    from ecomstat.indicators.report import write_report

    path = write_report(state(ctx).engine(), out, period=period, method=method, survey=survey)
    typer.echo(f"wrote {path}")
