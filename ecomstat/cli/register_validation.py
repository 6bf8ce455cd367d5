"""`ecomstat register candidates | discover | match | validate | report`: URL discovery,
website <-> enterprise matching and the register-staff worklist."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, err_console, state
from ecomstat.cli.register import app


def _summary(obj: object, fmt: OutputFormat) -> None:
    data = asdict(obj)  # type: ignore[call-overload]
    emit_rows(["key", "value"], [(k, v) for k, v in data.items()], fmt) if fmt is not OutputFormat.json \
        else emit_json_line(data)


@app.command("candidates")
def candidates(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with columns id,name,country (+ optional email,city).")],
    fmt: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="json: one object per enterprise; csv/table: one row per candidate.")] = OutputFormat.json,
) -> None:
    """Print candidate website URLs per enterprise (best first, no network)."""
    from ecomstat.register.candidates import candidates_for_file

    def warn(message: str) -> None:  # an unknown country: one line per country, not an abort
        err_console.print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)

    rows = candidates_for_file(file, state(ctx).settings, warn)
    if fmt is OutputFormat.json:
        for row in rows:  # streamed: a large register prints as it goes
            emit_json_line(row)
        return
    emit_rows(("id", "rank", "candidate"), ((row["id"], rank, url) for row in rows
                                            for rank, url in enumerate(row["candidates"], 1)), fmt)


@app.command("discover")
def discover(
    ctx: typer.Context,
    redo: Annotated[bool, typer.Option("--redo", help="Also enterprises that already have a website.")] = False,
    ids: Annotated[Optional[list[str]], typer.Option("--id", help="Only these enterprise ids.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Find websites of enterprises without one: candidates, probed through the crawler."""
    from ecomstat.discovery import probe_with_spider
    from ecomstat.register.discover import discover as run

    st = state(ctx)
    err_console.print("probing candidate domains through the url_probe spider ...")
    summary = run(st.engine(), st.settings, prober=probe_with_spider, redo=redo, enterprise_ids=ids)
    if summary.not_mapped:
        # a rehearsal on the sample web probes mapped hosts only; say why guesses went unprobed
        err_console.print(
            f"note: {summary.not_mapped} candidate domains are not in ECOMSTAT_HOST_MAP and were "
            "not probed (a host map confines discovery to its hosts; for the sample web set "
            "ECOMSTAT_CANDIDATE_SUFFIX=.test)", markup=False, highlight=False)
    _summary(summary, fmt)


@app.command("match")
def match(
    ctx: typer.Context,
    threshold: Annotated[Optional[float], typer.Option(help="Minimum match probability (default ECOMSTAT_MATCH_THRESHOLD).")] = None,
    model: Annotated[Optional[Path], typer.Option(help="Match model JSON (default: the shipped one).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Link crawled websites to enterprises (calibrated match probability, best site each)."""
    from ecomstat.register.match_store import match_store
    from ecomstat.register.scorer import MatchScorer

    st = state(ctx)
    settings = st.settings if threshold is None else st.settings.copy_with(ECOMSTAT_MATCH_THRESHOLD=threshold)
    scorer = MatchScorer.load(model) if model else None
    _summary(match_store(st.engine(), settings, scorer), fmt)


@app.command("validate")
def validate(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Store validation findings: website status and register fields the web contradicts."""
    from ecomstat.register.validation import validate as run

    _summary(run(state(ctx).engine()), fmt)


@app.command("report")
def report(
    ctx: typer.Context,
    out: Annotated[Optional[Path], typer.Option("--out", help="FILE.csv or FILE.html (default: print rows).")] = None,
    verdict: Annotated[Optional[list[str]], typer.Option("--verdict", help="Only these verdicts (repeatable).")] = None,
    field: Annotated[Optional[list[str]], typer.Option("--field", help="Only these fields: website, vat_id, phone, postcode, address, name, legal_form (repeatable).")] = None,
    nace: Annotated[Optional[list[str]], typer.Option("--nace", help="Only these NACE sections (G) or code prefixes (47.9) (repeatable).")] = None,
    size: Annotated[Optional[list[str]], typer.Option("--size", help="Only these size classes: 0-9, 10-49, 50-249, 250+ (repeatable).")] = None,
    search: Annotated[Optional[str], typer.Option("--search", help="Text in the enterprise id or name, or the register or web value.")] = None,
    sort: Annotated[str, typer.Option("--sort", help="priority | confidence | enterprise | name | nace | size (rows stay grouped by enterprise).")] = "priority",
    show_all: Annotated[bool, typer.Option("--all", help="Also decided and confirmed findings.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Without --out: table, csv or json.")] = OutputFormat.table,
) -> None:
    """The register-staff worklist: open findings grouped by enterprise, most certain first."""
    from ecomstat.register.report import WorklistFilter, rows, write_report

    flt = WorklistFilter(verdicts=list(verdict or []), fields=list(field or []), nace=list(nace or []),
                         sizes=list(size or []), search=search, sort=sort, include_all=show_all)
    if out is not None:
        n = write_report(state(ctx).engine(), out, worklist_filter=flt)
        typer.echo(f"wrote {n} findings to {out}")
        return
    flt.check()  # a wrong option before the store is opened
    columns = ("finding_id", "enterprise_id", "name", "field", "verdict", "register_value",
               "web_value", "confidence", "status") if fmt is OutputFormat.table else None
    found = rows(state(ctx).engine(), flt)
    if columns is None:
        from ecomstat.register.report import COLUMNS

        emit_rows(COLUMNS, (tuple(r.values()) for r in found), fmt)
    else:
        emit_rows(columns, ([r[c] for c in columns] for r in found), fmt)


@app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    truth: Annotated[Path, typer.Option("--truth", help="Ground truth CSV (the sample web's truth.csv).")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """URL-finding precision, recall and F1 of the linked websites against a ground truth."""
    from ecomstat.register.evaluate import url_finding_scores

    scores = url_finding_scores(state(ctx).engine(), truth)
    rows = [(group, s["precision"], s["recall"], s["f1"], s["tp"], s["fp"], s["fn"])
            for group, s in scores.items() if group != "errors"]
    emit_rows(["enterprises", "precision", "recall", "f1", "tp", "fp", "fn"], rows, fmt)
