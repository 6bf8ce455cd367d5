"""`ecomstat register decide | link | decisions`: register staff's decisions that stick."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, state
from ecomstat.cli.register import app
from ecomstat.errors import BadInput


@app.command("decide")
def decide(
    ctx: typer.Context,
    finding: Annotated[str, typer.Argument(help="A finding_id from `register report`, or ENTERPRISE_ID:FIELD.")],
    accept: Annotated[bool, typer.Option("--accept", help="The web is right: the register is to be corrected.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="The finding is wrong (e.g. register right, website wrong).")] = False,
    done: Annotated[bool, typer.Option("--done", help="Dealt with (e.g. the register was corrected).")] = False,
    note: Annotated[Optional[str], typer.Option("--note", help="Why; kept with the decision.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who decides (default: the OS user).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Decide a finding; it stays decided until its evidence changes."""
    from ecomstat.register.decisions import decide as run

    chosen = [name for name, flag in (("accept", accept), ("reject", reject), ("done", done)) if flag]
    if len(chosen) != 1:
        raise BadInput("give exactly one of --accept, --reject, --done")
    result = asdict(run(state(ctx).engine(), finding, chosen[0], by=by, note=note))
    _emit(result, fmt)


@app.command("link")
def link(
    ctx: typer.Context,
    enterprise_id: Annotated[str, typer.Argument(help="The enterprise's register id.")],
    url: Annotated[str, typer.Argument(help="Its website, e.g. https://www.example.com/")],
    note: Annotated[Optional[str], typer.Option("--note", help="Why; kept with the link.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who links (default: the OS user).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Link a website to an enterprise by hand (`register match` never changes it)."""
    from ecomstat.register.decisions import link as run

    _emit(asdict(run(state(ctx).engine(), enterprise_id, url, by=by, note=note)), fmt)


@app.command("decisions")
def decisions(
    ctx: typer.Context,
    enterprise: Annotated[Optional[str], typer.Option("--enterprise", help="Only this enterprise.")] = None,
    field: Annotated[Optional[str], typer.Option("--field", help="Only this field (website for links).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """List decisions and manual links, newest first (holds: still in force)."""
    from ecomstat.register.decisions import DECISION_COLUMNS, list_decisions

    found = list_decisions(state(ctx).engine(), enterprise_id=enterprise, field=field)
    emit_rows(DECISION_COLUMNS, (tuple(r.values()) for r in found), fmt)


def _emit(result: dict, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        emit_json_line(result)
    else:
        emit_rows(["key", "value"], list(result.items()), fmt)
