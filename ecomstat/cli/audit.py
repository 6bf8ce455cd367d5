"""`ecomstat audit import`: the labelled audit sample for misclassification correction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, state

app = typer.Typer(help="Manage labelled audit samples.", no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with enterprise_id,web_sales[,marketplace,social_media,website].")],
    name: Annotated[Optional[str], typer.Option("--name", help="Audit set name (default: file stem).")] = None,
    strata: Annotated[Optional[Path], typer.Option("--strata", help="CSV stratum,size: sizes of the audit's strata (with a stratum column).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Import an audit sample (all or nothing; unknown enterprise ids or bad values: exit 2).

    Design: simple random by default; a `stratum` column with sizes (`stratum_size` column or
    --strata), or an `inclusion_probability` or `weight` column per audited enterprise."""
    from ecomstat.indicators.audit import import_audit

    result = import_audit(state(ctx).engine(), file, name, strata)
    emit_rows(
        ["audit_set", "enterprises", "labels", "design", "sha256"],
        [[result.audit_set, result.enterprises, result.labels, result.design, result.sha256]],
        fmt,
    )
