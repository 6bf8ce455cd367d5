"""Work moved off the reactor thread: the writer thread (WARC records, store batches) and the
extraction worker process. (Chromium's own requests: tests/spiders/test_render_hostile.py.)"""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

from spiders.extract import extract_page
from spiders.extract_pool import ExtractionPool
from spiders.pipelines.writer import BackgroundWriter, writer_for

PAGES = [
    ("http://a.test/", "<html lang='de'><head><title> Bäckerei  Müller </title>"
     "<script type='application/ld+json'>{\"@type\": \"Organization\", \"name\": \"Müller\"}"
     "</script></head><body><h1>Willkommen</h1><p>Frische Brötchen und Brot jeden Morgen, "
     "seit 1950 in der Altstadt.</p><a href='/impressum'>Impressum</a>"
     "<a href='https://shop.a.test/warenkorb?b=2&a=1#top'>Warenkorb</a></body></html>"),
    ("http://b.test/x/", "<html><body><div itemscope itemtype='https://schema.org/Product'>"
     "<span itemprop='name'>Tea pot</span></div><a href='../y'>y</a></body></html>"),
    ("http://c.test/", ""),
]


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


def test_worker_extraction_equals_in_process_extraction_and_survives_worker_death() -> None:
    async def run() -> tuple[list, list]:
        pool = ExtractionPool()
        try:
            first = await asyncio.gather(*(pool.extract(html, url, max_text_chars=50)
                                           for url, html in PAGES))
            assert pool._process is not None
            pool._process.kill()  # a dead worker: extraction goes on in this process
            pool._process.wait()
            second = await asyncio.wait_for(asyncio.gather(
                *(pool.extract(html, url, max_text_chars=50) for url, html in PAGES)), 60)
            second += [await pool.extract(html, url, max_text_chars=50) for url, html in PAGES]
        finally:
            pool.close()
        return first, second

    first, second = asyncio.run(run())
    assert len(second) == 2 * len(PAGES)
    for (url, html), a, b in zip(PAGES * 2, first * 2, second):
        expected = extract_page(html, url, max_text_chars=50)
        expected.tree = None
        a.tree = b.tree = None
        assert a == expected and b == expected
    assert first[0].language == "de" and first[0].structured_data["json-ld"]
    assert first[1].structured_data["microdata"] and first[0].title == "Bäckerei Müller"
