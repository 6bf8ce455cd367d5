"""Crawl orchestration for the CLI, the scheduler and the Celery worker: choose websites, open (or
resume) a run, crawl it in a subprocess, report progress from the store, close the run.

    summary = crawl_sites(settings, selection="missing", max_pages=10, on_progress=print)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.settings import Settings
from ecomstat.spiders import runner
from ecomstat.spiders.runs import (
    create_run, find_resumable_run, finish_run, get_run, pending_count, read_url_file,
    reopen_run, run_summary, select_websites, upsert_websites,
)
from ecomstat.store import make_engine, upgrade

RENDER_MODES = ("auto", "never", "always")
POLL_SECONDS = 0.5
MAX_AUTO_PROCESSES = 8
SITES_PER_PROCESS = 25  # fewer sites than this per process: start-up would cost more than it gains


class CrawlFailed(EcomstatError):
    """The crawl process ended without finishing its run."""


@dataclass
class Progress:
    run_id: int
    sites_done: int
    sites_total: int
    pages: int
    pages_per_second: float


ProgressCallback = Callable[[Progress], None]


def crawl_settings(settings: Settings, *, max_pages: int | None = None,
                   render: str | None = None) -> dict[str, Any]:
    """ECOMSTAT_* overrides for the crawl process (only what differs from the environment)."""
    overrides: dict[str, Any] = {}
    if max_pages is not None:
        if max_pages < 1:
            raise BadInput("--max-pages must be at least 1")
        overrides["ECOMSTAT_MAX_PAGES"] = max_pages
    if render is not None:
        if render not in RENDER_MODES:
            raise BadInput(f"--render must be one of {', '.join(RENDER_MODES)}, got {render!r}")
        overrides["ECOMSTAT_RENDER"] = render
    # explicit (non-environment) overrides of the caller's Settings go along too
    for name in settings:
        if name in getattr(settings, "_overrides", {}) and name != "ECOMSTAT_DATABASE_URL":
            overrides.setdefault(name, settings[name])
    # every value a crawl process reads, checked here: a bad one stops the command with its
    # own message before a run exists (not as a crawl process's exit code)
    from ecomstat.spiders.settings import scrapy_settings

    scrapy_settings(settings.copy_with(**overrides))
    return overrides


def crawl_sites(
    settings: Settings,
    *,
    selection: str = "all",
    stale_days: float | None = None,
    urls_file: str | None = None,
    urls: Sequence[str] | None = None,
    website_ids: Sequence[int] | None = None,
    max_pages: int | None = None,
    render: str | None = None,
    resume: bool = False,
    spider: str = "enterprise_site",
    distributed: bool = False,
    processes: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Crawl the selected websites (or resume the newest unfinished run) and return the run's
    summary. `processes`: crawl processes on this machine (None: ECOMSTAT_CRAWL_PROCESSES, 0:
    auto). Raises CrawlFailed when a crawl process dies or fails."""
    overrides = crawl_settings(settings, max_pages=max_pages, render=render)
    requested = requested_processes(settings, processes)  # bad input refused before the run
    db_url = settings.database_url
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        if resume:
            run_id = find_resumable_run(engine, spider)
            if run_id is None:
                raise BadInput(f"no unfinished {spider} run to resume")
            reopen_run(engine, run_id)
            overrides = {**(get_run(engine, run_id).settings or {}), **overrides}
        else:
            if website_ids is not None:
                ids = list(website_ids)
            elif urls_file or urls:
                url_list = read_url_file(urls_file) if urls_file else list(urls or [])
                ids = select_websites(engine, "urls", urls=url_list)
            else:
                ids = select_websites(engine, selection, stale_days=stale_days)
            warc_dir = str((Path(str(settings["ECOMSTAT_DATA_DIR"])) / "warc").resolve())
            run_id = create_run(engine, spider, ids, overrides, warc_dir=warc_dir)
        if distributed:
            return run_distributed(engine, settings, run_id, overrides, on_progress)
        count = crawl_process_count(requested, pending_count(engine, run_id))
        return run_crawl_process(engine, settings, run_id, spider, overrides, on_progress, count)
    finally:
        engine.dispose()


def requested_processes(settings: Settings, processes: int | None) -> int:
    """--processes, else ECOMSTAT_CRAWL_PROCESSES; 0 means auto."""
    count = processes if processes is not None else settings.getint("ECOMSTAT_CRAWL_PROCESSES")
    if count < 0:
        raise BadInput(f"--processes must be 0 (auto) or more, got {count}")
    return count


def crawl_process_count(requested: int, sites: int) -> int:
    """How many crawl processes share `sites` sites: `requested`, where 0 means one per CPU, at
    most MAX_AUTO_PROCESSES and at least SITES_PER_PROCESS sites each. Scrapy does its work on
    one core, so on a multi-core machine the only way to use the others is more processes;
    a site is claimed by one process at a time, so per-site politeness holds."""
    count = requested
    if count == 0:
        count = min(os.cpu_count() or 1, MAX_AUTO_PROCESSES, sites // SITES_PER_PROCESS)
    return max(1, min(count, sites))


def process_overrides(overrides: dict[str, Any], settings: Settings,
                      processes: int) -> dict[str, Any]:
    """A share of the crawl's total concurrency for each of `processes` processes."""
    if processes == 1:
        return overrides
    total = int(overrides.get("ECOMSTAT_CONCURRENT_REQUESTS")
                or settings.getint("ECOMSTAT_CONCURRENT_REQUESTS"))
    return {**overrides, "ECOMSTAT_CONCURRENT_REQUESTS": max(1, -(-total // processes))}


def run_crawl_process(engine: Any, settings: Settings, run_id: int, spider: str,
                      overrides: dict[str, Any], on_progress: ProgressCallback | None,
                      processes: int = 1) -> dict[str, Any]:
    """Crawl the run's pending sites in `processes` subprocesses and wait for all of them. The
    processes draw sites from one queue, the run's pending visits (`spiders.claims`), as each
    has room: a process slowed by JavaScript shops takes fewer sites instead of holding a fixed
    share of them while the others idle."""
    data_dir = Path(str(settings["ECOMSTAT_DATA_DIR"]))
    log_file = data_dir / "logs" / f"run-{run_id}.log"
    shared = process_overrides(overrides, settings, processes)
    # die_with_parent: a crawl whose parent is killed (scheduler grace ran out, SIGKILL) stops
    # too, instead of crawling on unwatched; its sites stay pending for --resume
    children = [runner.start_spider(
        spider, db_url=settings.database_url, run_id=run_id, settings=shared, log_file=log_file,
        spider_args={"shard": f"{index}/{processes}"} if processes > 1 else None,
        die_with_parent=True) for index in range(processes)]
    started = time.monotonic()
    first_pages: int | None = None
    try:
        with _sigterm_interrupts():
            while any(child.poll() is None for child in children):
                time.sleep(POLL_SECONDS)
                if on_progress is not None:
                    run = get_run(engine, run_id)
                    first_pages = run.pages if first_pages is None else first_pages
                    elapsed = max(time.monotonic() - started, 1e-6)
                    on_progress(Progress(run_id, run.sites_done, run.sites_total, run.pages,
                                         (run.pages - first_pages) / elapsed))
    except KeyboardInterrupt:
        _interrupt(children)
        _close_if_open(engine, run_id, "interrupted", "interrupted by the user")
        raise
    if on_progress is not None:
        run = get_run(engine, run_id)
        on_progress(Progress(run_id, run.sites_done, run.sites_total, run.pages, 0.0))
    return _close_crawl(engine, run_id, [child.returncode for child in children], log_file)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (the scheduler stopping, a service manager) ends the crawl like Ctrl-C: the
    crawl processes close gracefully and the run is marked interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)  # Scrapy closes gracefully: run 'interrupted'
    for child in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _close_crawl(engine: Any, run_id: int, codes: Sequence[int], log_file: Path) -> dict[str, Any]:
    """The run's summary once its processes have exited; CrawlFailed unless it finished."""
    failed = [code for code in codes if code != runner.EXIT_OK]
    if failed:
        interrupted = all(code in (runner.EXIT_INTERRUPTED, -9, -15) for code in failed)
        _close_if_open(engine, run_id, "interrupted" if interrupted else "failed",
                       f"crawl process exited with code {failed[0]}; log: {log_file}")
        summary = run_summary(engine, run_id)
        raise CrawlFailed(f"crawl run {run_id} {summary['status']} (exit code {failed[0]}); "
                          f"resume it with --resume; log: {log_file}")
    left = pending_count(engine, run_id)
    if left:  # every process ended well, yet sites are unwritten (e.g. a store write failed)
        _close_if_open(engine, run_id, "failed",
                       f"{left} sites were not stored; see the crawl log {log_file}")
    summary = run_summary(engine, run_id)
    if summary["status"] != "finished":
        raise CrawlFailed(f"crawl run {run_id} {summary['status']}: {summary['error']}; "
                          f"resume it with --resume; log: {log_file}")
    return summary


def run_distributed(engine: Any, settings: Settings, run_id: int, overrides: dict[str, Any],
                    on_progress: ProgressCallback | None) -> dict[str, Any]:
    """Queue the run's pending sites as Celery batches and wait until workers have crawled them;
    CrawlFailed when a batch gave up, DistributedStalled when nothing moved for
    ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT seconds (the run is then marked interrupted)."""
    from ecomstat.spiders.claims import visit_states
    from ecomstat.spiders.distributed import DistributedStalled, enqueue_run, wait_for_run
    from ecomstat.spiders.runs import pending_sites

    stall_timeout = settings.getfloat("ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT")
    if stall_timeout <= 0:
        raise BadInput(f"ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT must be above 0, got {stall_timeout}")
    ids = [website_id for website_id, _url in pending_sites(engine, run_id)]
    log_dir = str((Path(str(settings["ECOMSTAT_DATA_DIR"])) / "logs").resolve())
    batches = enqueue_run(settings, run_id, ids, overrides, log_dir=log_dir)
    try:
        wait_for_run(engine, run_id, batches, on_progress, stall_timeout=stall_timeout)
    except DistributedStalled as exc:
        _close_if_open(engine, run_id, "interrupted", str(exc))
        raise
    failed = visit_states(engine, run_id).get("failed", 0)
    if failed:
        _close_if_open(engine, run_id, "failed", f"{failed} sites failed")
        run = get_run(engine, run_id)
        raise CrawlFailed(f"crawl run {run_id} failed: {failed} sites not crawled: {run.error}; "
                          f"resume it with --resume --distributed")
    _close_if_open(engine, run_id, "finished", "")
    return run_summary(engine, run_id)


def _close_if_open(engine: Any, run_id: int, status: str, error: str) -> None:
    if get_run(engine, run_id).status == "running":
        finish_run(engine, run_id, status, error=error or None)


def crawl_shops(
    settings: Settings,
    *,
    urls: Sequence[str] | None = None,
    urls_file: str | None = None,
    max_pages: int | None = None,
    render: str | None = None,
    resume: bool = False,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Collect product listings from the given shops (`shop_listing` spider)."""
    overrides: dict[str, Any] = {}
    if max_pages is not None:
        if max_pages < 1:
            raise BadInput("--max-pages must be at least 1")
        overrides["ECOMSTAT_MAX_SHOP_PAGES"] = max_pages
    base = crawl_settings(settings, render=render)
    base.update(overrides)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        if resume:
            run_id = find_resumable_run(engine, "shop_listing")
            if run_id is None:
                raise BadInput("no unfinished shop_listing run to resume")
            reopen_run(engine, run_id)
            base = {**(get_run(engine, run_id).settings or {}), **base}
        else:
            url_list = read_url_file(urls_file) if urls_file else list(urls or [])
            if not url_list:
                raise BadInput("give shop URLs or --urls FILE")
            ids = upsert_websites(engine, url_list)
            warc_dir = str((Path(str(settings["ECOMSTAT_DATA_DIR"])) / "warc").resolve())
            run_id = create_run(engine, "shop_listing", ids, base, warc_dir=warc_dir)
        return run_crawl_process(engine, settings, run_id, "shop_listing", base, on_progress)
    finally:
        engine.dispose()
