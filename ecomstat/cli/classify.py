"""`ecomstat classify ...`: label pages (e-commerce presence), stored sites (web sales and website
characteristics) and product titles (COICOP 2018). Libraries: classifiers.ecommerce,
classifiers.characteristics, classifiers.products."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ecomstat.cli.common import (
    OutputFormat,
    emit_json_line,
    emit_rows,
    err_console,
    progress,
    state,
)

app = typer.Typer(help="Classify pages, product titles and stored sites/products.", no_args_is_help=True)

SITE_COLUMNS = ("website_id", "url", "pages", "web_sales", "probability", "marketplace",
                "social_media", "online_booking", "job_ads", "privacy_policy", "languages",
                "platform")

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
ModelOption = Annotated[Optional[str], typer.Option(
    "--model", help="Model name (shipped, in ECOMSTAT_DATA_DIR/models, or in the store) or "
    "model file path.", show_default="default")]
ThresholdOption = Annotated[Optional[float], typer.Option(
    "--threshold", min=0.0, max=1.0, help="Decision threshold.",
    show_default="ECOMSTAT_ECOMMERCE_THRESHOLD (0.5)")]


def _load(ctx: typer.Context, name: str | None, threshold: float | None,
          engine: Any = None) -> Any:
    from ecomstat.classifiers.ecommerce import load_model

    settings = state(ctx).settings
    limit = (threshold if threshold is not None
             else settings.getfloat("ECOMSTAT_ECOMMERCE_THRESHOLD"))
    return load_model(name, data_dir=settings.getpath("ECOMSTAT_DATA_DIR"), engine=engine,
                      threshold=limit)


@app.command("page")
def classify_page(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="HTML files (.html, .html.gz) or URLs.")],
    model: ModelOption = None,
    threshold: ThresholdOption = None,
) -> None:
    """Is each page part of an online shop? One JSON object per input: input, ecommerce,
    probability, evidence."""
    from ecomstat.classifiers.ecommerce.inputs import FetchLimits, check_inputs, classify_inputs

    limits = FetchLimits.from_settings(state(ctx).settings)
    check_inputs(inputs, limits)
    loaded = _load(ctx, model, threshold)
    # printed once all are read: a host refused on the way (a name or a redirect to a
    # private address) ends the command with one line and nothing on stdout
    results = list(classify_inputs(inputs, loaded, limits=limits))
    for result in results:
        emit_json_line(result)
    if any("error" in result for result in results):
        raise typer.Exit(1)


@app.command("sites")
def classify_sites(
    ctx: typer.Context,
    model: ModelOption = None,
    threshold: ThresholdOption = None,
    website: Annotated[Optional[list[int]], typer.Option(
        "--website", help="Only this website id (repeatable).")] = None,
    fmt: FormatOption = OutputFormat.json,
) -> None:
    """Label every website with crawled pages in the store: web sales (page predictions
    aggregated to the site), marketplace, social media, online booking, job ads, privacy
    policy, languages, platform. Re-running replaces the same model's labels."""
    from ecomstat.classifiers.ecommerce.sites import classify_sites as run

    engine = state(ctx).engine()
    loaded = _load(ctx, model, threshold, engine)
    # JSON lines (the default) are written as each site is labelled, so memory stays bounded
    # at any number of sites; a table or CSV is printed whole at the end
    streamed = OutputFormat(fmt) is OutputFormat.json

    def emit(result: Any) -> None:
        emit_rows(SITE_COLUMNS, [[result.row()[c] for c in SITE_COLUMNS]], fmt)

    with progress() as bar:
        task = bar.add_task("classifying sites", total=None, rate="")
        summary = run(engine, loaded, website_ids=website, on_result=emit if streamed else None,
                      progress=lambda done, total: bar.update(task, completed=done,
                                                              total=total))
    if not streamed:
        emit_rows(SITE_COLUMNS, ([r.row()[c] for c in SITE_COLUMNS] for r in summary.results), fmt)
    err_console.print(
        f"{summary.sites} sites, {summary.pages} pages ({summary.pages_from_warc} from WARC), "
        f"{summary.web_sales} with web sales; model {summary.model}@{summary.version}, "
        f"{summary.seconds}s", highlight=False)


# --- product titles and stored products (COICOP 2018) -----------------------------------------

MODEL_HELP = "Model name (trained with `model train products`) or model file; default: shipped."
THRESHOLD_HELP = (
    "Flag items below this confidence for manual coding [ECOMSTAT_PRODUCT_REVIEW_THRESHOLD]."
)
FILE_HELP = (
    "One title per line, or a CSV with a `title` column (optional `breadcrumb`, `description`)."
)
JSON_LINES_HELP = "json (one object per line), csv or table."
ENCODING_HELP = "Text encoding of the file (default: UTF-8, else detected)."
BACKOFF_HELP = "When the subclass is unsure, answer with the deepest parent code that is sure."


def _threshold(ctx: typer.Context, value: float | None) -> float:
    if value is None:
        value = state(ctx).settings.getfloat("ECOMSTAT_PRODUCT_REVIEW_THRESHOLD")
    if not 0.0 <= value <= 1.0:
        from ecomstat.errors import BadInput

        raise BadInput(f"the review threshold must be between 0 and 1, got {value}")
    return value


def _engine_if_store_exists(ctx: typer.Context):  # noqa: ANN202 - Engine | None
    """The store, only to look up model names there; a missing SQLite file is no error for
    classifying titles from a file."""
    from ecomstat.store import is_sqlite

    url = state(ctx).settings.database_url
    if is_sqlite(url):
        from sqlalchemy.engine import make_url

        from ecomstat.store import normalise_url

        database = make_url(normalise_url(url)).database
        if not database or not Path(database).exists():
            return None
    return state(ctx).engine()


@app.command("titles")
def classify_titles(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=FILE_HELP)],
    model: Annotated[Optional[str], typer.Option("--model", help=MODEL_HELP)] = None,
    threshold: Annotated[Optional[float], typer.Option(help=THRESHOLD_HELP)] = None,
    backoff: Annotated[bool, typer.Option("--backoff", help=BACKOFF_HELP)] = False,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help=ENCODING_HELP)] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help=JSON_LINES_HELP)
    ] = OutputFormat.json,
) -> None:
    """Product titles -> COICOP 2018 code, confidence and a needs_review flag."""
    from ecomstat.classifiers.products import classify_listings, load_model, read_listings

    settings = state(ctx).settings
    limit = _threshold(ctx, threshold)
    listings = read_listings(file, encoding)
    loaded = load_model(model, data_dir=settings.getpath("ECOMSTAT_DATA_DIR"),
                        engine=_engine_if_store_exists(ctx))
    records = classify_listings(loaded, listings, threshold=limit, backoff=backoff)
    if fmt is OutputFormat.json:
        for record in records:
            emit_json_line(record)
        return
    columns = ["title", "category", "confidence", "needs_review"]
    emit_rows(columns, ([r[c] for c in columns] for r in records), fmt)


@app.command("products")
def classify_products(
    ctx: typer.Context,
    model: Annotated[Optional[str], typer.Option("--model", help=MODEL_HELP)] = None,
    threshold: Annotated[Optional[float], typer.Option(help=THRESHOLD_HELP)] = None,
    backoff: Annotated[bool, typer.Option("--backoff", help=BACKOFF_HELP)] = False,
    each: Annotated[bool, typer.Option(
        "--each", help="Print one row per product (product_id, title, category, confidence, "
        "needs_review) instead of the summary.")] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help=JSON_LINES_HELP)
    ] = OutputFormat.table,
) -> None:
    """Label every product in the store with a COICOP 2018 code (classification rows,
    task 'coicop'); re-running updates the same rows. Prints a summary, or with --each one
    row (JSON object) per product."""
    from ecomstat.classifiers.products import classify_store_products, load_model

    settings = state(ctx).settings
    limit = _threshold(ctx, threshold)
    engine = state(ctx).engine()
    loaded = load_model(model, data_dir=settings.getpath("ECOMSTAT_DATA_DIR"), engine=engine)
    result = classify_store_products(engine, loaded, threshold=limit, backoff=backoff,
                                     keep_rows=each)
    if each:
        names = ["product_id", "title", "category", "confidence", "needs_review"]
        emit_rows(names, ([r[c] for c in names] for r in result.rows), fmt)
        return
    columns = ["model", "model_version", "products", "inserted", "updated", "needs_review"]
    row = [loaded.name, result.model_version, result.products, result.inserted, result.updated,
           result.needs_review]
    emit_rows(columns, [row], fmt)
