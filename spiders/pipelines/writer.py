"""One background thread per crawl for the disk and database writes (WARC records, store batches),
so the reactor thread parses and schedules while gzip, fsync and SQLite/PostgreSQL work (which
release the GIL) proceed on the other core.

Jobs run one at a time in submission order, which is what keeps the crash-safety argument of the
synchronous version: a site's rows are written after its pages' WARC records and their fsync, in
one transaction, and a process killed with jobs still queued leaves those sites pending (their
visits are not done), so `--resume` crawls them again. The queue is bounded by job count and by
the bytes its jobs hold (response bodies): a writer that falls behind slows the crawl instead of
piling up bodies in memory. The byte bound is generous on purpose: a store batch's commit and
fsync take tens of milliseconds, and a queue of a few dozen jobs then fills and stalls the
reactor (it did: ~6% of the crawl's time, blocked in `submit`).

    writer = writer_for(crawler)
    writer.submit(job)     # job() runs on the writer thread
    writer.drain()         # wait until everything submitted so far has run
    writer.close()         # drain, then stop the thread (later jobs run inline)
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

QUEUE_JOBS = 2048
QUEUE_BYTES = 64 * 2**20  # response bodies waiting for their WARC record
_STOP = object()


class BackgroundWriter:
    def __init__(self, name: str = "ecomstat-writer", maxsize: int = QUEUE_JOBS,
                 max_bytes: int = QUEUE_BYTES) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        self._max_bytes = max_bytes
        self._queued_bytes = 0
        self._room = threading.Condition()
        self._closed = False
        self.cpu_seconds = 0.0  # the writer thread's own CPU time, known once it has stopped
        self._lock = threading.Lock()
        # a daemon: a second Ctrl-C or a hard exit must not wait for queued writes (those
        # sites stay pending and are crawled again on --resume)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None], nbytes: int = 0) -> None:
        """Run `job` on the writer thread after everything submitted before it; inline once the
        writer is closed. `nbytes`: the memory the job holds until it has run (a response
        body); submit waits while the queued jobs hold more than the byte bound. A job's
        exception is logged there, never raised here: each job handles (and counts) its own
        failures."""
        with self._lock:
            closed = self._closed
        if closed:
            _run_job(job)
            return
        with self._room:
            # one job always fits, however large, or it could never be queued
            while self._queued_bytes and self._queued_bytes + nbytes > self._max_bytes:
                self._room.wait()
            self._queued_bytes += nbytes
        self._queue.put((job, nbytes))

    def drain(self) -> None:
        """Block until every job submitted so far has run."""
        with self._lock:
            closed = self._closed
        if closed:
            return
        done = threading.Event()
        self._queue.put((done.set, 0))
        done.wait()

    def close(self) -> None:
        """Run what is queued, then stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put((_STOP, 0))
        self._thread.join()

    def _run(self) -> None:
        while True:
            job, nbytes = self._queue.get()
            if job is _STOP:
                self.cpu_seconds = time.thread_time()
                return
            _run_job(job)
            if nbytes:
                with self._room:
                    self._queued_bytes -= nbytes
                    self._room.notify_all()


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
