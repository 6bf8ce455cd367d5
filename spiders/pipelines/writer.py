"""One background thread per crawl for the disk and database writes (WARC records, store batches),
so the reactor thread parses and schedules while gzip, fsync and SQLite/PostgreSQL work (which
release the GIL) proceed on the other core.

Jobs run one at a time in submission order, which is what keeps the crash-safety argument of the
synchronous version: a site's rows are written after its pages' WARC records and their fsync, in
one transaction, and a process killed with jobs still queued leaves those sites pending (their
visits are not done), so `--resume` crawls them again. The queue is bounded: a writer that falls
behind slows the crawl instead of piling up response bodies in memory.

    writer = writer_for(crawler)
    writer.submit(job)     # job() runs on the writer thread
    writer.drain()         # wait until everything submitted so far has run
    writer.close()         # drain, then stop the thread (later jobs run inline)
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

QUEUE_JOBS = 64  # ~64 response bodies at most waiting for their WARC record
_STOP = object()


class BackgroundWriter:
    def __init__(self, name: str = "ecomstat-writer", maxsize: int = QUEUE_JOBS) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        self._closed = False
        self._lock = threading.Lock()
        # a daemon: a second Ctrl-C or a hard exit must not wait for queued writes (those
        # sites stay pending and are crawled again on --resume)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        """Run `job` on the writer thread after everything submitted before it; inline once the
        writer is closed. A job's exception is logged there, never raised here: each job
        handles (and counts) its own failures."""
        with self._lock:
            closed = self._closed
        if closed:
            _run_job(job)
        else:
            self._queue.put(job)

    def drain(self) -> None:
        """Block until every job submitted so far has run."""
        with self._lock:
            closed = self._closed
        if closed:
            return
        done = threading.Event()
        self._queue.put(done.set)
        done.wait()

    def close(self) -> None:
        """Run what is queued, then stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            _run_job(job)


def _run_job(job: Callable[[], None]) -> None:
    try:
        job()
    except Exception:  # a failed job must not kill the thread that runs the next ones
        logger.exception("background write failed")


def writer_for(crawler: Any) -> BackgroundWriter:
    """The crawl's writer, created on first use (the WARC and store pipelines share it, so
    their jobs keep one order)."""
    writer = getattr(crawler, "_ecomstat_writer", None)
    if writer is None:
        writer = BackgroundWriter()
        crawler._ecomstat_writer = writer
    return writer
