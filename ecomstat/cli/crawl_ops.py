"""`ecomstat crawl list` and `ecomstat crawl show RUN`: crawl runs with the live figures their
processes write while they run (`spiders.live`); what Ctrl-C on a crawl prints."""

from __future__ import annotations

import shlex
import sys
from typing import Annotated, Any, NoReturn

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows, state
from ecomstat.cli.crawl import app
from ecomstat.settings import Settings

LIST_COLUMNS = ("run_id", "spider", "state", "started_at", "campaign_run", "sites_done",
                "sites_total", "sites_pending", "sites_failed", "pages", "pages_fetched",
                "pages_per_second", "render_share", "memory_mb", "processes")


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
