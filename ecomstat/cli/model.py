"""`ecomstat model ...`: list, show, evaluate and train models (`model train ecommerce`,
`model train products`). Library: classifiers.catalog, classifiers.ecommerce,
classifiers.products."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ecomstat.cli.common import (
    OutputFormat,
    emit_json_line,
    emit_rows,
    err_console,
    fail,
    progress,
    state,
)

app = typer.Typer(help="List, show, train and evaluate models.", no_args_is_help=True)
train_app = typer.Typer(help="Train a model: `ecomstat model train KIND ...`.", no_args_is_help=True)
app.add_typer(train_app, name="train")

PRODUCT_LABELS_HELP = (
    "CSV with title,category columns (COICOP codes at any level; optional breadcrumb, "
    "description)."
)
ENCODING_HELP = "Text encoding of the file (default: UTF-8, else detected)."
JSON_LINES_HELP = "json (one object per line), csv or table."

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
LabelsOption = Annotated[Path, typer.Option(
    "--labels", help="CSV with columns file,ecommerce (1/0) and optional url,site.")]
EvalLabelsOption = Annotated[Path, typer.Option(
    "--labels", help="Labelled pages (CSV file,ecommerce[,url,site]) for an e-commerce model, "
    "or labelled titles (CSV title,category) for a products model.")]
PagesDirOption = Annotated[Optional[Path], typer.Option(
    "--pages-dir", help="Folder the `file` column is relative to (default: the CSV's folder).")]


def _data_dir(ctx: typer.Context) -> Path:
    return state(ctx).settings.getpath("ECOMSTAT_DATA_DIR")


@app.command("list")
def list_models(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Models shipped with ecomstat, in the data dir, and recorded in the store."""
    from ecomstat.classifiers.catalog import list_models as run

    rows = run(_data_dir(ctx), state(ctx).engine())
    columns = ("kind", "name", "version", "source", "metrics", "path")
    emit_rows(columns, ([r[c] for c in columns] for r in rows), fmt)


@app.command("show")
def show_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name (e.g. default) or model file.")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="ecommerce or products.")] = None,
) -> None:
    """The model card: version, training-data hash, metrics, parameters (JSON)."""
    from ecomstat.classifiers.catalog import show_model as run

    card = run(name, _data_dir(ctx), kind)
    typer.echo(json.dumps(card, indent=2, ensure_ascii=False))


@app.command("evaluate")
def evaluate_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name or file.")],
    labels: EvalLabelsOption,
    pages_dir: PagesDirOption = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", min=0.0, max=1.0)] = None,
    kind: Annotated[Optional[str], typer.Option(
        "--kind", help="ecommerce or products (default: products when the labels file has "
        "title,category columns)")] = None,
) -> None:
    """Score a model on labelled data (no refitting), one JSON object: an e-commerce model on
    labelled pages (precision, recall, F1, ROC AUC, Brier), a products model on a
    title,category CSV (accuracy, macro-F1, share flagged for review)."""
    from ecomstat.classifiers.ecommerce import load_model
    from ecomstat.classifiers.ecommerce.evaluate import evaluate_on
    from ecomstat.classifiers.products.evaluate import is_titles_csv

    settings = state(ctx).settings
    if kind not in (None, "ecommerce", "products"):
        fail(f"unknown model kind {kind!r}: use ecommerce or products", 2)
    if kind == "products" or (kind is None and is_titles_csv(labels)):
        _evaluate_products(ctx, name, labels, threshold)
        return
    limit = (threshold if threshold is not None
             else settings.getfloat("ECOMSTAT_ECOMMERCE_THRESHOLD"))
    model = load_model(name, data_dir=_data_dir(ctx), threshold=limit)
    scores = evaluate_on(model, labels, pages_dir)
    emit_json_line(scores)


def _evaluate_products(ctx: typer.Context, name: str, labels: Path,
                       threshold: float | None) -> None:
    from ecomstat.classifiers.products import load_model
    from ecomstat.classifiers.products.evaluate import evaluate_on

    settings = state(ctx).settings
    limit = (threshold if threshold is not None
             else settings.getfloat("ECOMSTAT_PRODUCT_REVIEW_THRESHOLD"))
    loaded = load_model(name, data_dir=_data_dir(ctx), engine=state(ctx).engine())
    scores = evaluate_on(loaded, labels, threshold=limit)
    emit_json_line(scores)


@train_app.command("ecommerce")
def train_ecommerce(
    ctx: typer.Context,
    labels: LabelsOption,
    name: Annotated[str, typer.Option("--name", help="Model name.")],
    pages_dir: PagesDirOption = None,
    evaluate: Annotated[bool, typer.Option(
        "--evaluate/--no-evaluate", help="Cross-validate by site before fitting.")] = True,
) -> None:
    """Train an e-commerce model on your own labelled pages; writes
    ECOMSTAT_DATA_DIR/models/ecommerce-NAME.json and records it in the store."""
    from ecomstat.classifiers.ecommerce.registry import check_name, load_model, register, user_path
    from ecomstat.classifiers.ecommerce.training import train_model

    check_name(name)
    out = user_path(_data_dir(ctx), name)
    with progress() as bar:
        task = bar.add_task("reading pages", total=None, rate="")
        document = train_model(labels, pages_dir, name, out, evaluate=evaluate,
                               progress=lambda d, t: bar.update(task, completed=d, total=t))
    model_id = register(state(ctx).engine(), load_model(str(out)))
    emit_json_line({"name": name, "version": document["version"], "model_id": model_id,
                    "path": str(out), "metrics": document["metrics"]})


@train_app.command("products")
def train_products(
    ctx: typer.Context,
    labels: Annotated[Path, typer.Option("--labels", help=PRODUCT_LABELS_HELP)],
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
