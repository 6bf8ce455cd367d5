"""`ecomstat crawl ...`: crawl enterprise websites and online shops (thin shell over
`spiders.crawl`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_rows, progress, state

app = typer.Typer(help="Crawl enterprise websites and online-shop listings.", no_args_is_help=True)

SUMMARY_COLUMNS = ("run_id", "spider", "wave", "status", "sites_done", "sites_total", "pages", "outcomes",
                   "warc_dir")


def _run_with_progress(call: Any, **kwargs: Any) -> dict[str, Any]:
    seen: list[int] = []
    with progress() as bar:
        task = bar.add_task("crawling sites", total=None, rate="")

        def update(p: Any) -> None:
            seen[:] = [p.run_id]
            bar.update(task, completed=p.sites_done, total=p.sites_total or None,
                       description=f"run {p.run_id}: {p.pages} pages",
                       rate=f"{p.pages_per_second:.1f} pages/s")

        try:
            return call(on_progress=update, **kwargs)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM: the run was closed as interrupted
            pass
    from ecomstat.cli.crawl_ops import exit_interrupted

    exit_interrupted(kwargs["settings"], call.__name__, seen[0] if seen else None,
                     distributed=bool(kwargs.get("distributed")))


def _emit(summary: dict[str, Any], fmt: OutputFormat) -> None:
    emit_rows(SUMMARY_COLUMNS, [[summary.get(c) for c in SUMMARY_COLUMNS]], fmt)


@app.command("sites")
def crawl_sites_command(
    ctx: typer.Context,
    all_sites: Annotated[bool, typer.Option("--all", help="Every website not rejected (default).")] = False,
    missing: Annotated[bool, typer.Option("--missing", help="Websites never crawled.")] = False,
    stale: Annotated[Optional[float], typer.Option("--stale", metavar="DAYS", help="Websites not crawled for DAYS days.")] = None,
    urls: Annotated[Optional[Path], typer.Option("--urls", help="File of URLs (one a line); adds them as websites.")] = None,
    max_pages: Annotated[Optional[int], typer.Option("--max-pages", help="Pages per site (default ECOMSTAT_MAX_PAGES=25).")] = None,
    render: Annotated[Optional[str], typer.Option("--render", help="JavaScript rendering: auto|never|always.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Resume the newest unfinished run.")] = False,
    distributed: Annotated[bool, typer.Option("--distributed", help="Queue site batches on Celery (ECOMSTAT_BROKER_URL) for `ecomstat worker`s and wait.")] = False,
    processes: Annotated[Optional[int], typer.Option("--processes", help="Crawl processes on this machine, each its share of the sites (default ECOMSTAT_CRAWL_PROCESSES=0: one per CPU, at most 8, 25+ sites each).")] = None,
    wave: Annotated[Optional[str], typer.Option("--wave", help="The wave (period of data collection, e.g. 2026Q4 or 2026-12) the run belongs to (default: the calendar quarter, UTC). See docs/waves.md.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Summary output format.")] = OutputFormat.table,
) -> None:
    """Crawl enterprise websites (home page + up to --max-pages pages each) into the store."""
    from ecomstat.errors import BadInput
    from ecomstat.spiders.crawl import crawl_sites

    chosen = [name for name, on in (("all", all_sites), ("missing", missing),
                                    ("stale", stale is not None), ("urls", urls is not None)) if on]
    if len(chosen) > 1:
        raise BadInput(f"choose one of --all, --missing, --stale, --urls (got {', '.join(chosen)})")
    if resume and chosen:
        raise BadInput("--resume continues the previous run's selection; drop " + chosen[0])
    if resume and wave is not None:
        raise BadInput("--resume continues the previous run in its own wave; drop --wave")
    from ecomstat.spiders.runs import in_wave

    st = state(ctx)
    st.engine()  # schema up to date before the crawl process starts
    with in_wave(wave):
        summary = _run_with_progress(
            crawl_sites, settings=st.settings, selection=chosen[0] if chosen else "all",
            stale_days=stale, urls_file=str(urls) if urls else None, max_pages=max_pages,
            render=render, resume=resume, distributed=distributed, processes=processes)
    _emit(summary, fmt)



@app.command("shops")
def crawl_shops_command(
    ctx: typer.Context,
    shop_urls: Annotated[Optional[list[str]], typer.Argument(help="Shop URLs.")] = None,
    urls: Annotated[Optional[Path], typer.Option("--urls", help="File of shop URLs, one a line.")] = None,
    max_pages: Annotated[Optional[int], typer.Option("--max-pages", help="Listing pages per shop (default ECOMSTAT_MAX_SHOP_PAGES=10).")] = None,
    render: Annotated[Optional[str], typer.Option("--render", help="JavaScript rendering: auto|never|always.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Resume the newest unfinished shop run.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Summary output format.")] = OutputFormat.table,
) -> None:
    """Collect product listings (name, price, currency, availability, brand, GTIN, breadcrumb)."""
    from ecomstat.errors import BadInput
    from ecomstat.spiders.crawl import crawl_shops

    if not resume and not shop_urls and urls is None:
        raise BadInput("give shop URLs or --urls FILE")
    st = state(ctx)
    st.engine()
    summary = _run_with_progress(
        crawl_shops, settings=st.settings, urls=shop_urls or None,
        urls_file=str(urls) if urls else None, max_pages=max_pages, render=render, resume=resume)
    _emit(summary, fmt)


import ecomstat.cli.crawl_ops  # noqa: E402,F401  (crawl list/show: runs with live figures)
