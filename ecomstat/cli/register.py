"""`ecomstat register ...`: the business register: import and list it (`import`, `list`),
find and match websites (`candidates`, `discover`, `match`, `evaluate`), the register-staff
worklist (`validate`, `report`) and their decisions that stick (`decide`, `link`, `decisions`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, err_console, progress, state
from ecomstat.errors import BadInput

if TYPE_CHECKING:
    from ecomstat.register.importer import ImportSummary

app = typer.Typer(help="Import and validate the business register.", no_args_is_help=True)


def _emit(result: dict, fmt: OutputFormat) -> None:
    """A summary or decision: one key/value row each, or one JSON object."""
    if fmt is OutputFormat.json:
        emit_json_line(result)
    else:
        emit_rows(["key", "value"], list(result.items()), fmt)


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
    engine = st.engine()  # a wrong --db is its one error line, before any progress line
    err_console.print("probing candidate domains through the url_probe spider ...")
    summary = run(engine, st.settings, prober=probe_with_spider, redo=redo, enterprise_ids=ids)
    if summary.not_mapped:
        # a rehearsal on the sample web probes mapped hosts only; say why guesses went unprobed
        err_console.print(
            f"note: {summary.not_mapped} candidate domains are not in ECOMSTAT_HOST_MAP and were "
            "not probed (a host map confines discovery to its hosts; for the sample web set "
            "ECOMSTAT_CANDIDATE_SUFFIX=.test)", markup=False, highlight=False)
    _emit(asdict(summary), fmt)


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
    _emit(asdict(match_store(st.engine(), settings, scorer)), fmt)


@app.command("validate")
def validate(
    ctx: typer.Context,
    wave: Annotated[Optional[str], typer.Option("--wave", help="The wave whose findings are written (default: the newest crawled wave). See docs/register-decisions.md.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Store validation findings: website status and register fields the web contradicts."""
    from ecomstat.register.validation import validate as run

    _emit(asdict(run(state(ctx).engine(), wave=wave)), fmt)


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
    wave: Annotated[Optional[str], typer.Option("--wave", help="The validated wave shown (default: the newest).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Without --out: table, csv or json.")] = OutputFormat.table,
) -> None:
    """The register-staff worklist: open findings grouped by enterprise, most certain first."""
    from ecomstat.register.report import WorklistFilter, rows, write_report

    flt = WorklistFilter(verdicts=list(verdict or []), fields=list(field or []), nace=list(nace or []),
                         sizes=list(size or []), search=search, sort=sort, include_all=show_all,
                         wave=wave)
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


@app.command("decide")
def decide(
    ctx: typer.Context,
    finding: Annotated[str, typer.Argument(help="A finding_id from `register report`, or ENTERPRISE_ID:FIELD.")],
    accept: Annotated[bool, typer.Option("--accept", help="The web is right: the register is to be corrected.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="The finding is wrong (e.g. register right, website wrong).")] = False,
    done: Annotated[bool, typer.Option("--done", help="Dealt with (e.g. the register was corrected).")] = False,
    note: Annotated[Optional[str], typer.Option("--note", help="Why; kept with the decision.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who decides (default: the OS user).")] = None,
    wave: Annotated[Optional[str], typer.Option("--wave", help="With ENTERPRISE_ID:FIELD: the finding of this validated wave (default: the newest).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Decide a finding; it stays decided until its evidence changes."""
    from ecomstat.register.decisions import decide as run

    chosen = [name for name, flag in (("accept", accept), ("reject", reject), ("done", done)) if flag]
    if len(chosen) != 1:
        raise BadInput("give exactly one of --accept, --reject, --done")
    result = asdict(run(state(ctx).engine(), finding, chosen[0], by=by, note=note, wave=wave))
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


@app.command("history")
def history(
    ctx: typer.Context,
    enterprise: Annotated[Optional[str], typer.Option("--enterprise", help="Only this enterprise.")] = None,
    field: Annotated[Optional[str], typer.Option("--field", help="Only this field.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Findings across validated waves: new, same, changed, or resolved (gone in a later wave)."""
    from ecomstat.register.validate_waves import HISTORY_COLUMNS, finding_history

    found = finding_history(state(ctx).engine(), enterprise_id=enterprise, field=field)
    emit_rows(HISTORY_COLUMNS, (tuple(r.values()) for r in found), fmt)
