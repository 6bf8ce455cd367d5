"""Run any spider of this project in a subprocess (Twisted's reactor cannot restart, so one crawl
is one process), with settings overrides and a run id.

    proc = start_spider("enterprise_site", db_url=url, run_id=7, settings={"ECOMSTAT_MAX_PAGES": 5})
    returncode = proc.wait()

or `run_spider(...)` to start and wait. The scheduler, the CLI, the Celery worker and the URL-probe
spider all go through here. Settings named `ECOMSTAT_*` go through `ecomstat.settings`; any other
name is passed to Scrapy as is (e.g. `LOG_LEVEL`, `CLOSESPIDER_TIMEOUT`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecomstat.errors import BadInput

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 3


def spider_command(
    spider: str,
    *,
    db_url: str,
    run_id: int | None = None,
    settings: Mapping[str, Any] | None = None,
    spider_args: Mapping[str, Any] | None = None,
) -> list[str]:
    """The argv of `python -m spiders.run ...` for these arguments."""
    if not spider or not spider.replace("_", "").isalnum():
        raise BadInput(f"invalid spider name {spider!r}")
    command = [sys.executable, "-m", "ecomstat.spiders.run", spider, "--db", db_url]
    if run_id is not None:
        command += ["--run-id", str(int(run_id))]
    if settings:
        command += ["--settings-json", json.dumps(dict(settings), default=str)]
    for name, value in (spider_args or {}).items():
        command += ["-a", f"{name}={value}"]
    return command


def start_spider(
    spider: str,
    *,
    db_url: str,
    run_id: int | None = None,
    settings: Mapping[str, Any] | None = None,
    spider_args: Mapping[str, Any] | None = None,
    log_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    die_with_parent: bool = False,
) -> subprocess.Popen[bytes]:
    """Start the crawl process and return it (the caller polls or waits). Its log goes to
    `log_file` (appended) or is discarded: a pipe nobody reads would block a long crawl.
    `die_with_parent` (Linux): the crawl gets SIGKILL when the starting process dies, so a
    killed Celery worker leaves no orphan crawling its batch while the batch is redelivered."""
    command = spider_command(spider, db_url=db_url, run_id=run_id, settings=settings,
                             spider_args=spider_args)
    child_env = dict(os.environ if env is None else env)
    # a crawl is I/O-bound: BLAS worker threads only fight the reactor for the CPU
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        child_env.setdefault(name, "1")
    # the child imports this checkout's packages even when started from elsewhere
    root = str(Path(sys.modules["ecomstat"].__file__ or "").resolve().parents[1])  # holds ecomstat/
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, child_env.get("PYTHONPATH", "")) if p)
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        log = open(log_file, "ab")
    else:
        log = open(os.devnull, "wb")
    try:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env,
                                cwd=cwd, start_new_session=True,
                                preexec_fn=_die_with_parent if die_with_parent else None)
    finally:
        log.close()  # the child holds its own descriptor


def _die_with_parent() -> None:
    import ctypes
    import signal

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run_spider(spider: str, *, timeout: float | None = None, **kwargs: Any) -> int:
    """Start the crawl process, wait for it, return its exit code (0 finished, 3 interrupted,
    2 bad input, 1 failed)."""
    process = start_spider(spider, **kwargs)
    try:
        return process.wait(timeout=timeout)
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        raise
