"""Distributed crawling over Celery: the unit of work is a batch of sites of one run, so a site is
crawled by one worker at a time and per-site politeness holds across machines.

Each batch is crawled in a subprocess (`spiders.runner`) that dies with its worker. Messages are
acknowledged late (after the batch), one at a time (prefetch 1), and rejected back to the queue
if the worker process is lost; with the Redis broker a message held by a worker killed outright
becomes visible again after ECOMSTAT_BATCH_VISIBILITY_TIMEOUT seconds. A batch whose crawl
process failed or was killed while its worker lived on (exit code not 0, or sites of the batch
not stored) is queued again up to ECOMSTAT_BATCH_RETRIES times, then its unfinished sites are
marked failed with the reason (the run's error) and the run fails; `--resume` crawls them again.
Redelivery is harmless: a batch crawls only its sites still pending, and a site's pages are
written together with its visit in one transaction, so nothing is lost or stored twice.

`crawl sites --distributed` waits for the run, but not forever: when the run's sites make no
progress for ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT seconds (no worker running, every worker stuck)
it names the batches not done, marks the run interrupted and exits with code 1.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from celery import Celery

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.settings import Settings, get_settings
from ecomstat.spiders import runner
from ecomstat.spiders.claims import (
    describe_unfinished, fail_sites, release_claims, unfinished_sites, visit_states,
)
from ecomstat.spiders.runs import UNFINISHED
from ecomstat.store import make_engine

TASK_NAME = "ecomstat.crawl_batch"
POLL_SECONDS = 1.0

logger = logging.getLogger(__name__)


class BatchFailed(EcomstatError):
    """A batch's crawl process ended without storing every site of the batch."""


class DistributedStalled(EcomstatError):
    """The sites of a distributed run made no progress for the stall timeout."""


def make_celery(settings: Settings | None = None) -> Celery:
    s = settings or get_settings()
    broker = str(s["ECOMSTAT_BROKER_URL"])
    app = Celery("ecomstat", broker=broker)
    visibility = s.getint("ECOMSTAT_BATCH_VISIBILITY_TIMEOUT")
    retries = s.getint("ECOMSTAT_BATCH_RETRIES")
    if retries < 0:
        raise BadInput(f"ECOMSTAT_BATCH_RETRIES must be 0 or more, got {retries}")
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
        ecomstat_batch_retries=retries,
    )
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)(crawl_batch)
    return app


def crawl_batch(task: Any, run_id: int, website_ids: Sequence[int], db_url: str,
                settings: dict[str, Any], log_file: str | None = None) -> int:
    """Crawl one batch (the sites of `website_ids` still pending in run `run_id`); returns how
    many sites it stored. A crawl that did not store them all is retried (a new message; this
    one is acknowledged), at most ECOMSTAT_BATCH_RETRIES times, then its sites are failed."""
    engine = make_engine(db_url)
    try:
        # a batch is held by one worker at a time (late acks; the message comes back only once
        # its worker is gone), so claims on its sites are leftovers of a crawl that died
        release_claims(engine, run_id, website_ids=website_ids)
        process = runner.start_spider(
            "enterprise_site", db_url=db_url, run_id=run_id, settings=settings,
            spider_args={"website_ids": ",".join(str(i) for i in website_ids)},
            log_file=log_file, die_with_parent=True)
        code = process.wait()
        left = unfinished_sites(engine, run_id, website_ids)
        if not left:
            if code != runner.EXIT_OK:
                logger.warning("batch of run %s: crawl exit code %s, every site stored",
                               run_id, code)
            return len(website_ids)
        release_claims(engine, run_id, website_ids=website_ids)
        reason = (f"batch of run {run_id} with sites {website_ids[0]}..{website_ids[-1]}: crawl "
                  f"process exit code {code}, {len(left)} of {len(website_ids)} sites not stored"
                  + (f" (log: {log_file})" if log_file else ""))
        limit = int(task.app.conf.get("ecomstat_batch_retries") or 0)
        attempt = int(task.request.retries or 0)
        if attempt < limit:
            logger.warning("%s; queued again (retry %d of %d)", reason, attempt + 1, limit)
            raise task.retry(exc=BatchFailed(reason), countdown=0, max_retries=limit)
        logger.error("%s; failed after %d attempts", reason, attempt + 1)
        fail_sites(engine, run_id, website_ids, f"{reason}; failed after {attempt + 1} attempts")
        return len(website_ids) - len(left)
    finally:
        engine.dispose()


def enqueue_run(settings: Settings, run_id: int, website_ids: Sequence[int],
                overrides: dict[str, Any], log_dir: str | None = None) -> list[list[int]]:
    """Put the run's sites on the queue in batches of ECOMSTAT_BATCH_SIZE; returns the batches."""
    size = settings.getint("ECOMSTAT_BATCH_SIZE")
    if size < 1:
        raise BadInput("ECOMSTAT_BATCH_SIZE must be at least 1")
    app = make_celery(settings)
    batches = [list(website_ids[i:i + size]) for i in range(0, len(website_ids), size)]
    for number, batch in enumerate(batches):
        log_file = f"{log_dir}/run-{run_id}-batch-{number}.log" if log_dir else None
        app.send_task(TASK_NAME, args=[run_id, batch, settings.database_url, overrides, log_file])
    return batches


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


def wait_for_run(engine: Any, run_id: int, batches: Sequence[Sequence[int]],
                 on_progress: Any = None, *, stall_timeout: float) -> None:
    """Poll the store until no site of the run is pending or claimed (workers do the crawling).
    DistributedStalled when the sites' states and the run's page count have not changed for
    `stall_timeout` seconds."""
    from ecomstat.spiders.crawl import Progress
    from ecomstat.spiders.runs import get_run

    if stall_timeout <= 0:
        raise BadInput(f"ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT must be above 0, got {stall_timeout}")
    started = last_change = time.monotonic()
    first: int | None = None
    last: tuple[Any, ...] | None = None
    while True:
        run = get_run(engine, run_id)
        states = visit_states(engine, run_id)
        first = run.pages if first is None else first
        now = time.monotonic()
        if on_progress is not None:
            on_progress(Progress(run_id, run.sites_done, run.sites_total, run.pages,
                                 (run.pages - first) / max(now - started, 1e-6)))
        if not any(states.get(state) for state in UNFINISHED):
            return
        signature = (tuple(sorted(states.items())), run.pages)
        if signature != last:
            last, last_change = signature, now
        elif now - last_change >= stall_timeout:
            raise DistributedStalled(stalled_message(engine, run_id, batches, stall_timeout))
        time.sleep(POLL_SECONDS)


def stalled_message(engine: Any, run_id: int, batches: Sequence[Sequence[int]],
                    stall_timeout: float) -> str:
    """Which batches are not done, for the one-line error of a stalled run."""
    left = {row[0]: row for row in unfinished_sites(engine, run_id)}
    stuck = []
    for number, batch in enumerate(batches):
        rows = [left[website_id] for website_id in batch if website_id in left]
        if rows:
            stuck.append(f"batch {number}: {describe_unfinished(rows)}")
    listed = "; ".join(stuck[:5]) + (f"; and {len(stuck) - 5} more" if len(stuck) > 5 else "")
    return (f"distributed run {run_id} made no progress for {stall_timeout:g} s "
            f"(ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT); {len(stuck)} of {len(batches)} batches not "
            f"done: {listed}. Is an `ecomstat worker` running on this queue? The run is marked "
            f"interrupted: `crawl sites --resume --distributed` queues its sites again")
