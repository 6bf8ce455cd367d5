"""`ecomstat classify titles`, `ecomstat classify products`, `ecomstat model train products`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ecomstat.cli.classify import app
from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, err_console, state
from ecomstat.cli.model import train_app

MODEL_HELP = "Model name (trained with `model train products`) or model file; default: shipped."
THRESHOLD_HELP = (
    "Flag items below this confidence for manual coding [ECOMSTAT_PRODUCT_REVIEW_THRESHOLD]."
)
FILE_HELP = (
    "One title per line, or a CSV with a `title` column (optional `breadcrumb`, `description`)."
)
LABELS_HELP = (
    "CSV with title,category columns (COICOP codes at any level; optional breadcrumb, "
    "description)."
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


@train_app.command("products")
def train_products(
    ctx: typer.Context,
    labels: Annotated[Path, typer.Option("--labels", help=LABELS_HELP)],
    name: Annotated[str, typer.Option("--name", help="Model name, used later with --model NAME.")],
    encoding: Annotated[Optional[str], typer.Option("--encoding", help=ENCODING_HELP)] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help=JSON_LINES_HELP)
    ] = OutputFormat.table,
) -> None:
    """Train a product-category model on an office's own labelled titles."""
    from ecomstat.classifiers.products import train_from_csv

    settings = state(ctx).settings
    engine = state(ctx).engine()
    err_console.print(f"training products model {name!r} on {labels} ...", highlight=False)
    loaded = train_from_csv(labels, name, data_dir=settings.getpath("ECOMSTAT_DATA_DIR"),
                            engine=engine, encoding=encoding)
    metrics = loaded.metrics
    columns = ["name", "version", "path", "n_train", "n_classes", "holdout_accuracy",
               "holdout_macro_f1", "train_seconds"]
    row = [loaded.name, loaded.version, str(loaded.path), *(metrics.get(c) for c in columns[3:])]
    emit_rows(columns, [row], fmt)
