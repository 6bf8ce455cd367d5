"""Page extraction in a worker process (ECOMSTAT_EXTRACT_WORKER=true; the default, false, extracts
in the crawl process).

Parsing, visible text, language and structured data cost about a quarter of the crawl process's
CPU per page, all of it on the reactor thread, which Scrapy needs for everything else. A worker
process (`spiders.extract_worker`) runs the same `extract_page` on another core; the reactor
thread pickles the decoded HTML into a pipe and reads the result back when the event loop says
it is there. No helper threads: concurrent.futures' process pool adds two per crawl, and their
wake-ups per page cost the reactor thread more (GIL hand-overs) than extraction itself.

It pays only when one crawl process is CPU-bound and a core is idle: it cuts the reactor thread's
CPU per page by about a quarter but adds ~10% CPU in all (pickling, a second interpreter, ~95 MB).
On the shared 2-core bench machine (load 3-5) it was slower than extracting in-process, hence off
by default; several crawl processes on one machine (Celery workers) use the cores anyway.

    pool = ExtractionPool()                                     # starts the worker
    content = await pool.extract(html, url, max_text_chars=20000)  # PageContent, tree=None
    pool.close()                                                # ends and reaps it

Requests are pipelined and answered in order. If the worker fails on a page, or dies, the crawl
process extracts in-process (once the worker is gone, for every page after).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any

from spiders.extract import PageContent, extract_page, warm_up
from spiders.extract_worker import HEADER

logger = logging.getLogger(__name__)


class WorkerGone(Exception):
    """The extraction worker ended or could not be reached."""


class _Answers(asyncio.Protocol):
    """Reads the worker's length-prefixed answers and resolves the waiting futures in order."""

    def __init__(self, pending: deque[asyncio.Future[Any]]) -> None:
        self.pending = pending
        self.buffer = bytearray()
        self.lost = False

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self.buffer)
            end = HEADER.size + size
            if len(self.buffer) < end:
                return
            answer = pickle.loads(self.buffer[HEADER.size:end])
            del self.buffer[:end]
            future = self.pending.popleft()
            if not future.done():
                future.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True  # no answer will come: later requests must not wait for one
        while self.pending:
            future = self.pending.popleft()
            if not future.done():
                future.set_exception(WorkerGone("the extraction worker ended"))


class ExtractionPool:
    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        # started now: its imports and language model load while the crawl starts up
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "spiders.extract_worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env)
        self._pending: deque[asyncio.Future[Any]] = deque()
        self._requests: asyncio.WriteTransport | None = None
        self._answers: asyncio.ReadTransport | None = None
        self._reader: _Answers | None = None
        self._connecting: asyncio.Future[None] | None = None
        self._gone = False

    async def extract(self, html: str, url: str, *, max_text_chars: int) -> PageContent:
        if not self._gone:
            try:
                status, value = await self._ask((html, url, max_text_chars))
                if status == "ok":
                    return value
                logger.debug("extraction worker failed on %s: %s", url, value)
            except (WorkerGone, OSError) as exc:
                self._give_up(exc)
        return extract_page(html, url, max_text_chars=max_text_chars)

    async def _ask(self, request: tuple[str, str, int]) -> tuple[str, Any]:
        await self._connect()
        if self._requests is None or self._requests.is_closing() or \
                self._reader is None or self._reader.lost:
            raise WorkerGone("the pipes to the extraction worker are closed")
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(future)
        self._requests.write(HEADER.pack(len(payload)) + payload)
        return await future

    async def _connect(self) -> None:
        """Attach the worker's pipes to the running event loop (once)."""
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._attach())
        await asyncio.shield(self._connecting)

    async def _attach(self) -> None:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise WorkerGone("the extraction worker is closed")
        loop = asyncio.get_running_loop()
        self._requests, _ = await loop.connect_write_pipe(asyncio.Protocol, process.stdin)
        self._answers, self._reader = await loop.connect_read_pipe(
            lambda: _Answers(self._pending), process.stdout)

    def _give_up(self, exc: Exception) -> None:
        if not self._gone:
            logger.warning("extraction worker unavailable (%s); extracting in the crawl "
                           "process from now on", exc)
            self._gone = True
            warm_up()

    def close(self) -> int | None:
        """End the worker (end of input) and reap it, so its CPU time counts as the crawl's.
        Returns the worker's peak resident memory in bytes, where /proc tells it."""
        process, self._process = self._process, None
        if process is None:
            return None
        peak = _peak_rss(process.pid)
        if self._requests is not None and not self._requests.is_closing():
            # close the pipe now (the transport would close it on a later loop turn, and the
            # loop does not turn while we wait here); every request has been answered
            self._requests.abort()
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._answers is not None:
            self._answers.close()
        elif process.stdout is not None:
            process.stdout.close()
        return peak


def _peak_rss(pid: int) -> int | None:
    """VmHWM of a live process (Linux); None elsewhere."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
