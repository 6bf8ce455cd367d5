"""Work moved off the reactor thread: the writer thread (WARC records, store batches).
(Chromium's own requests: tests/spiders/test_render_hostile.py.)"""

from __future__ import annotations

import threading
from types import SimpleNamespace

from ecomstat.spiders.pipelines.writer import BackgroundWriter, writer_for


def test_writer_runs_jobs_in_order_off_the_calling_thread() -> None:
    writer = BackgroundWriter(maxsize=2)  # smaller than the job count: submit must wait
    seen: list[tuple[int, str]] = []
    for n in range(20):
        writer.submit(lambda n=n: seen.append((n, threading.current_thread().name)))
    writer.drain()
    assert [n for n, _ in seen] == list(range(20))
    assert {name for _, name in seen} == {"ecomstat-writer"}


def test_writer_bounds_the_bytes_its_queued_jobs_hold() -> None:
    writer = BackgroundWriter(max_bytes=100)
    gate = threading.Event()
    writer.submit(gate.wait, nbytes=60)  # holds the writer thread and 60 bytes
    writer.submit(lambda: None, nbytes=30)  # fits: 90 of 100
    third = threading.Thread(target=writer.submit, args=(lambda: None, 30))
    third.start()
    third.join(timeout=0.3)
    assert third.is_alive()  # 120 > 100: submit waits for room
    gate.set()
    third.join(timeout=5)
    assert not third.is_alive()
    writer.submit(lambda: None, nbytes=10_000)  # larger than the bound alone: still accepted
    writer.close()


def test_writer_survives_a_failing_job_and_runs_inline_once_closed(caplog) -> None:
    writer = BackgroundWriter()
    seen: list[str] = []
    writer.submit(lambda: 1 / 0)
    writer.submit(lambda: seen.append(threading.current_thread().name))
    writer.close()
    assert seen == ["ecomstat-writer"] and "background write failed" in caplog.text
    writer.submit(lambda: seen.append(threading.current_thread().name))  # after close: inline
    assert seen[-1] == threading.current_thread().name
    writer.close()  # idempotent
    crawler = SimpleNamespace()
    assert writer_for(crawler) is writer_for(crawler)  # one writer per crawl
    writer_for(crawler).close()
