"""Distributed crawling over Celery: the unit of work is a batch of sites of one run, so a site is
crawled by one worker at a time and per-site politeness holds across machines.

Each batch is crawled in a subprocess (`spiders.runner`) that dies with its worker. Messages are
acknowledged late (after the batch), one at a time (prefetch 1), and rejected back to the queue
if the worker process is lost; with the Redis broker a message held by a worker killed outright
becomes visible again after ECOMSTAT_BATCH_VISIBILITY_TIMEOUT seconds. Redelivery is harmless:
a batch crawls only its sites still pending, and a site's pages are written together with its
visit in one transaction, so nothing is lost or stored twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from celery import Celery

from ecomstat.errors import BadInput
from ecomstat.settings import Settings, get_settings
from spiders import runner

TASK_NAME = "ecomstat.crawl_batch"


def make_celery(settings: Settings | None = None) -> Celery:
    s = settings or get_settings()
    broker = str(s["ECOMSTAT_BROKER_URL"])
    app = Celery("ecomstat", broker=broker)
    visibility = s.getint("ECOMSTAT_BATCH_VISIBILITY_TIMEOUT")
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=str(s["ECOMSTAT_CRAWL_QUEUE"]),
        # a dead worker's unacked batch is swept back onto the queue after `visibility` s
        broker_transport_options={"visibility_timeout": visibility,
                                  "unacked_restore_interval": max(1, min(10, visibility // 4)),
                                  "unacked_restore_throttle": 1},
        broker_connection_retry_on_startup=True,
        task_serializer="json", accept_content=["json"], result_backend=None,
        task_ignore_result=True, worker_hijack_root_logger=False,
    )
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)(crawl_batch)
    return app


def crawl_batch(task: Any, run_id: int, website_ids: Sequence[int], db_url: str,
                settings: dict[str, Any], log_file: str | None = None) -> int:
    """Crawl one batch (the sites of `website_ids` still pending in run `run_id`)."""
    process = runner.start_spider(
        "enterprise_site", db_url=db_url, run_id=run_id, settings=settings,
        spider_args={"website_ids": ",".join(str(i) for i in website_ids)},
        log_file=log_file, die_with_parent=True)
    code = process.wait()
    if code not in (runner.EXIT_OK,):
        raise RuntimeError(f"batch of run {run_id} ended with exit code {code}")
    return len(website_ids)


def enqueue_run(settings: Settings, run_id: int, website_ids: Sequence[int],
                overrides: dict[str, Any], log_dir: str | None = None) -> int:
    """Put the run's sites on the queue in batches of ECOMSTAT_BATCH_SIZE; returns the count."""
    size = settings.getint("ECOMSTAT_BATCH_SIZE")
    if size < 1:
        raise BadInput("ECOMSTAT_BATCH_SIZE must be at least 1")
    app = make_celery(settings)
    batches = [list(website_ids[i:i + size]) for i in range(0, len(website_ids), size)]
    for number, batch in enumerate(batches):
        log_file = f"{log_dir}/run-{run_id}-batch-{number}.log" if log_dir else None
        app.send_task(TASK_NAME, args=[run_id, batch, settings.database_url, overrides, log_file])
    return len(batches)


def run_worker(settings: Settings, *, hostname: str | None = None) -> None:
    """Run a Celery worker in this process until it is stopped. The solo pool crawls one batch at
    a time in the worker process itself (start more workers for more parallel batches), so the
    batch's crawl subprocess dies with the worker."""
    app = make_celery(settings)
    argv = ["worker", "--loglevel=INFO", "--pool=solo",
            "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)


def wait_for_run(engine: Any, run_id: int, on_progress: Any = None,
                 timeout: float | None = None) -> None:
    """Poll the store until every site of the run is done (workers do the crawling)."""
    from spiders.crawl import Progress
    from spiders.runs import get_run

    started = time.monotonic()
    first: int | None = None
    while True:
        run = get_run(engine, run_id)
        first = run.pages if first is None else first
        if on_progress is not None:
            elapsed = max(time.monotonic() - started, 1e-6)
            on_progress(Progress(run_id, run.sites_done, run.sites_total, run.pages,
                                 (run.pages - first) / elapsed))
        if run.sites_done >= run.sites_total:
            return
        if timeout is not None and time.monotonic() - started > timeout:
            raise TimeoutError(f"run {run_id} not done after {timeout} s")
        time.sleep(1.0)
