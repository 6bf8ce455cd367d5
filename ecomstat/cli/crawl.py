"""`ecomstat crawl ...`: crawl enterprise websites and online shops (thin shell over
`spiders.crawl`); `crawl list` and `crawl show RUN`: crawl runs with the live figures their
processes write while they run (`spiders.live`); what Ctrl-C on a crawl prints."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, progress, state
from ecomstat.settings import Settings

app = typer.Typer(help="Crawl enterprise websites and online-shop listings.", no_args_is_help=True)

SUMMARY_COLUMNS = ("run_id", "spider", "wave", "status", "sites_done", "sites_total", "pages", "outcomes",
                   "warc_dir")
LIST_COLUMNS = ("run_id", "spider", "state", "started_at", "campaign_run", "sites_done",
                "sites_total", "sites_pending", "sites_failed", "pages", "pages_fetched",
                "pages_per_second", "render_share", "memory_mb", "processes")


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
    exit_interrupted(kwargs["settings"], call.__name__, seen[0] if seen else None,
                     distributed=bool(kwargs.get("distributed")))


def resume_hint(settings: Settings, command: str, *, distributed: bool = False) -> str:
    """The exact command that continues an interrupted crawl (the database URL included, its
    password masked)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url).render_as_string(hide_password=True)
    parts = ["ecomstat", "--db", url, "crawl", command, "--resume"]
    if distributed:
        parts.append("--distributed")
    return shlex.join(parts)


def exit_interrupted(settings: Settings, call_name: str, run_id: int | None, *,
                     distributed: bool = False) -> NoReturn:
    """Ctrl-C (or SIGTERM) ended a crawl: say which run and how to continue it; exit 130."""
    command = "shops" if call_name == "crawl_shops" else "sites"
    run = f"crawl run {run_id}" if run_id is not None else "the crawl run"
    sys.stderr.write(f"\n{run} interrupted; sites already crawled are stored. Resume it with: "
                     f"{resume_hint(settings, command, distributed=distributed)}\n")
    sys.stderr.flush()
    raise typer.Exit(130)


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
    wave: Annotated[Optional[str], typer.Option("--wave", help="The wave (period of data collection, e.g. 2026Q4 or 2026-12) the run belongs to (default: the calendar quarter, UTC). See docs/waves.md.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Summary output format.")] = OutputFormat.table,
) -> None:
    """Collect product listings (name, price, currency, availability, brand, GTIN, breadcrumb)."""
    from ecomstat.errors import BadInput
    from ecomstat.spiders.crawl import crawl_shops

    if not resume and not shop_urls and urls is None:
        raise BadInput("give shop URLs or --urls FILE")
    if resume and wave is not None:
        raise BadInput("--resume continues the previous run in its own wave; drop --wave")
    from ecomstat.spiders.runs import in_wave

    st = state(ctx)
    st.engine()
    with in_wave(wave):
        summary = _run_with_progress(
            crawl_shops, settings=st.settings, urls=shop_urls or None,
            urls_file=str(urls) if urls else None, max_pages=max_pages, render=render, resume=resume)
    _emit(summary, fmt)


@app.command("list")
def crawl_list_command(
    ctx: typer.Context,
    running: Annotated[bool, typer.Option("--running", help="Only runs going on now (live heartbeat).")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Newest runs shown.")] = 20,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Crawl runs, newest first, with their figures (live while a run goes on). State
    `stalled`: left running by a crawl that was killed; continue it with --resume."""
    from ecomstat.spiders.live import list_runs

    runs = list_runs(state(ctx).engine(), running=running, limit=limit)
    rows = [[figures.summary()[c] for c in LIST_COLUMNS] for figures in runs]
    emit_rows(LIST_COLUMNS, rows, fmt)


@app.command("show")
def crawl_show_command(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="Crawl run id (see `ecomstat crawl list`).")],
    sites: Annotated[int, typer.Option("--sites", help="Sites with errors listed.")] = 20,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """One crawl run: sites done/pending/failed, pages, pages/s, outcomes (sites, pages, HTTP
    statuses), render share, memory of its crawl processes, errors per site."""
    from ecomstat.spiders.live import show_run

    figures, detail = show_run(state(ctx).engine(), run_id, error_sites=sites)
    summary = figures.summary()
    if fmt is OutputFormat.json:
        emit_json_line({**summary, **detail})
        return
    rows: list[list[Any]] = [[key, value] for key, value in summary.items()]
    for name in ("site_outcomes", "page_outcomes", "http_status"):
        text = ", ".join(f"{k}={v}" for k, v in sorted(detail[name].items()))
        rows.append([name, text or "-"])
    rows += [[f"process {p['worker']}", f"{p['role']}, "
              f"{'live' if p['live'] else 'closed' if p['closed'] else 'dead'}, "
              f"{p['memory_mb']} MB, beat {p['heartbeat_at']}"] for p in detail["workers"]]
    emit_rows(["figure", "value"], rows, fmt)
    if detail["errors_per_site"]:
        columns = ["website_id", "url", "site_outcome", "failed_pages"]
        emit_rows(columns, [[e[c] for c in columns] for e in detail["errors_per_site"]], fmt)
