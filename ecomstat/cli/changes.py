"""`ecomstat changes --from W1 --to W2`: enterprises whose status changed between two waves, and
the paired change of each indicator (thin shell over `indicators.changes`; docs/waves.md)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, err_console, state

app = typer.Typer()

CHANGE_COLUMNS = ["enterprise_id", "task", "change", "before", "after", "before_url", "after_url",
                  "before_probability", "after_probability", "before_evidence", "after_evidence"]
INDICATOR_COLUMNS = ["indicator", "breakdown_key", "estimate_from", "estimate_to", "difference",
                     "se", "ci_low", "ci_high", "n", "gained", "lost", "method"]


def _rounded(value: object, fmt: OutputFormat) -> object:
    return round(value, 2) if isinstance(value, float) and fmt is OutputFormat.table else value


@app.command("changes")
def changes(
    ctx: typer.Context,
    from_wave: Annotated[str, typer.Option("--from", help="The earlier wave, e.g. 2026Q3.")],
    to_wave: Annotated[str, typer.Option("--to", help="The later wave, e.g. 2026Q4.")],
    task: Annotated[Optional[str], typer.Option("--task", help="Only this: web_sales | marketplace | social_media | website.")] = None,
    indicators: Annotated[bool, typer.Option("--indicators", help="Print the indicator changes (paired, with 95% intervals) instead of the enterprises.")] = False,
    audit_from: Annotated[Optional[str], typer.Option("--audit-from", help="Audit set of the earlier wave (truth as of that wave); with --audit-to, the audited indicators are corrected for classifier error and their interval covers it.")] = None,
    audit_to: Annotated[Optional[str], typer.Option("--audit-to", help="Audit set of the later wave (with --audit-from).")] = None,
    replicates: Annotated[int, typer.Option("--replicates", help="Bootstrap replicates of the corrected changes.")] = 1000,
    random_state: Annotated[Optional[int], typer.Option("--random-state", help="Seed of the corrected changes' bootstrap.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """List enterprises whose status changed between two waves, with the evidence of both, and
    store them (wave_change) with each indicator's change (indicator_change)."""
    from ecomstat.indicators.changes import compare_waves

    result = compare_waves(state(ctx).engine(), from_wave, to_wave, task=task,
                           audit_from=audit_from, audit_to=audit_to,
                           replicates=replicates, random_state=random_state)
    if indicators:
        emit_rows(INDICATOR_COLUMNS, ([_rounded(cell.row()[c], fmt) for c in INDICATOR_COLUMNS]
                                      for cell in result.indicators), fmt)
    else:
        emit_rows(CHANGE_COLUMNS, ([_rounded(change[c], fmt) for c in CHANGE_COLUMNS]
                                   for change in result.changes), fmt)
    counts: dict[str, int] = {}
    for change in result.changes:
        counts[change["change"]] = counts.get(change["change"], 0) + 1
    summary = ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "none"
    err_console.print(
        f"{result.from_wave} -> {result.to_wave}: {len({c['enterprise_id'] for c in result.changes})} "
        f"enterprises changed ({summary}); {result.paired} enterprises in scope in both waves. "
        "Stored in wave_change and indicator_change (`ecomstat export wave_change --out FILE`).",
        highlight=False)
    for cell in result.indicators:
        if cell.breakdown_key == "total" and cell.indicator == "ECOM_WEB_SALES" and not indicators:
            err_console.print(
                f"{cell.indicator}: {cell.estimate_from:.2f}% -> {cell.estimate_to:.2f}% "
                f"({cell.difference:+.2f} pp, 95% CI {cell.ci_low:+.2f} to {cell.ci_high:+.2f}); "
                "all indicators: --indicators", highlight=False)
    if result.indicators and all(cell.method != "paired-corrected" for cell in result.indicators):
        err_console.print("Intervals cover sampling error only, not classifier error: "
                          "--audit-from/--audit-to correct for it (docs/waves.md).", highlight=False)
