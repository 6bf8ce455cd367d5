"""`ecomstat classify page` and `ecomstat classify sites`: e-commerce presence and website
characteristics (library: classifiers.ecommerce, classifiers.characteristics)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any, Optional

import typer

from ecomstat.cli.classify import app
from ecomstat.cli.common import (
    OutputFormat,
    emit_json_line,
    emit_rows,
    err_console,
    fail,
    progress,
    state,
)
from ecomstat.errors import EcomstatError

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


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Library errors become one line and their exit code (2 = bad input), also when the app
    runs without the console-script wrapper (tests, other Python callers)."""
    try:
        yield
    except EcomstatError as exc:
        fail(str(exc), exc.exit_code)


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

    with one_line_errors():
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

    with one_line_errors():
        engine = state(ctx).engine()
        loaded = _load(ctx, model, threshold, engine)
        with progress() as bar:
            task = bar.add_task("classifying sites", total=None, rate="")
            summary = run(engine, loaded, website_ids=website,
                          progress=lambda done, total: bar.update(task, completed=done,
                                                                  total=total))
    emit_rows(SITE_COLUMNS, ([r.row()[c] for c in SITE_COLUMNS] for r in summary.results), fmt)
    err_console.print(
        f"{summary.sites} sites, {summary.pages} pages ({summary.pages_from_warc} from WARC), "
        f"{summary.web_sales} with web sales; model {summary.model}@{summary.version}, "
        f"{summary.seconds}s", highlight=False)
