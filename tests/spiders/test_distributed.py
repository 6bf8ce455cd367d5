"""Distributed crawl: two Celery workers on the local Redis and PostgreSQL; one is SIGKILLed in
the middle of a batch; the run still completes with every page once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import MiniWeb, site_host, write_lines
from ecomstat.store import make_engine, transaction, upgrade
from ecomstat.store.models import CrawlRun, Page, SiteVisit

SITES = 12


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_one_killed_every_site_once(
    postgres_url: str, pg_engine, redis_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    engine = pg_engine  # emptied afterwards: the next test counts its own run
    hosts = [site_host(i) for i in range(SITES)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    monkeypatch.setenv("ECOMSTAT_BROKER_URL", redis_url)
    monkeypatch.setenv("ECOMSTAT_CRAWL_QUEUE", f"ecomstat-test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("ECOMSTAT_BATCH_SIZE", "2")
    monkeypatch.setenv("ECOMSTAT_BATCH_VISIBILITY_TIMEOUT", "20")
    miniweb.delay = 0.05
    workers = [subprocess.Popen(
        [sys.executable, "-m", "ecomstat", "--db", postgres_url, "worker", "--hostname",
         f"w{n}@test"], stdout=open(crawl_env / f"worker{n}.log", "wb"),
        stderr=subprocess.STDOUT, env=dict(os.environ)) for n in range(2)]
    killed: list[int] = []

    def kill_one_worker_mid_batch() -> None:
        """SIGKILL worker 0 while the crawl process of its batch runs (mid-batch)."""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with transaction(engine) as session:
                run_id = session.scalar(select(CrawlRun.id))
            if run_id is not None and _children(workers[0].pid):
                time.sleep(1.0)  # well inside the batch: its crawl process is starting up
                if not _children(workers[0].pid):
                    continue
                workers[0].send_signal(signal.SIGKILL)
                killed.append(run_id)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker_mid_batch, daemon=True)
    killer.start()
    try:
        urls = write_lines(crawl_env / "urls.txt", [f"http://{host}/" for host in hosts])
        result = CliRunner().invoke(app, ["--db", postgres_url, "crawl", "sites", "--distributed",
                                          "--urls", str(urls), "--format", "json"])
        killer.join(timeout=5)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
    assert result.exit_code == 0, result.output
    assert killed, "no worker was killed"
    # the killed worker's batch was delivered again (more deliveries than batches)
    logs = [(crawl_env / f"worker{n}.log").read_text() for n in range(2)]
    assert sum(log.count("] received") for log in logs) > SITES // 2
    assert "succeeded" not in logs[0].split("] received")[-1]  # killed inside its last batch
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.status == "finished" and run.sites_done == SITES
        visits = session.scalars(select(SiteVisit)).all()
        assert len(visits) == SITES and {v.state for v in visits} == {"done"}
        duplicates = session.execute(select(Page.website_id, Page.url, func.count()).group_by(
            Page.website_id, Page.url).having(func.count() > 1)).all()
        assert duplicates == []
        per_site = dict(session.execute(select(Page.website_id, func.count())
                                        .group_by(Page.website_id)).all())
    # every site has all its pages: the same count as a site crawled undisturbed
    assert len(per_site) == SITES and len(set(per_site.values())) == 1


def _distributed_env(crawl_env: Path, miniweb: MiniWeb, redis_url: str, sites: int,
                     **settings: str) -> tuple[dict[str, str], Path]:
    """Environment of a worker and of `crawl sites --distributed` on a queue of their own, and
    the URL file of `sites` sites."""
    hosts = [site_host(i) for i in range(sites)]
    env = dict(os.environ, ECOMSTAT_HOST_MAP=str(miniweb.host_map(crawl_env / "hosts.txt", hosts)),
               ECOMSTAT_BROKER_URL=redis_url,
               ECOMSTAT_CRAWL_QUEUE=f"ecomstat-test-{uuid.uuid4().hex[:8]}",
               **{"ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT": "120", **settings})
    return env, write_lines(crawl_env / "urls.txt", [f"http://{host}/" for host in hosts])


def _start_worker(db_url: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", db_url, "worker",
                             "--hostname", f"w-{uuid.uuid4().hex[:6]}@test"],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env)


def _kill_crawl_of(worker: subprocess.Popen[bytes], miniweb: MiniWeb) -> int:
    """SIGKILL the crawl subprocess of the worker's batch (only it: the worker lives on) once it
    is fetching pages; its pid."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        children = _children(worker.pid)
        if children and miniweb.hits:
            os.kill(children[0], signal.SIGKILL)
            return children[0]
        assert worker.poll() is None, "the worker died"
        time.sleep(0.02)
    raise AssertionError("the worker's crawl never started fetching")


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _crawl_cli(db_url: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", db_url, "crawl", "sites",
                             "--distributed", "--format", "json", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_killed_crawl_process_batch_is_delivered_again(
    postgres_url: str, pg_engine, redis_url: str, miniweb: MiniWeb, crawl_env: Path
) -> None:
    """Only the crawl subprocess of a batch is killed; the worker lives on: the batch is not
    acknowledged as done but queued again, and the run completes with every page once."""
    sites = 4
    env, urls = _distributed_env(crawl_env, miniweb, redis_url, sites, ECOMSTAT_BATCH_SIZE="2")
    miniweb.delay = 0.1
    worker = _start_worker(postgres_url, env, crawl_env / "worker.log")
    try:
        cli = _crawl_cli(postgres_url, env, "--urls", str(urls))
        _kill_crawl_of(worker, miniweb)
        try:
            out, err = cli.communicate(timeout=240)  # before the fix: waited forever
        finally:
            cli.kill()
    finally:
        _stop(worker)
    assert cli.returncode == 0, err
    assert "queued again (retry 1 of 2)" in (crawl_env / "worker.log").read_text()
    with transaction(pg_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.status == "finished" and run.sites_done == sites
        assert {v.state for v in session.scalars(select(SiteVisit))} == {"done"}
        duplicates = session.execute(select(Page.website_id, Page.url, func.count()).group_by(
            Page.website_id, Page.url).having(func.count() > 1)).all()
        assert duplicates == []
        per_site = dict(session.execute(select(Page.website_id, func.count())
                                        .group_by(Page.website_id)).all())
    assert len(per_site) == sites and len(set(per_site.values())) == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_batch_failing_every_attempt_fails_the_run_then_resume_completes_it(
    postgres_url: str, pg_engine, redis_url: str, miniweb: MiniWeb, crawl_env: Path
) -> None:
    """With ECOMSTAT_BATCH_RETRIES=0 a killed crawl fails its batch at once: the sites are
    marked failed with the reason, `--distributed` exits 1 naming it, `--resume` crawls them."""
    env, urls = _distributed_env(crawl_env, miniweb, redis_url, 2, ECOMSTAT_BATCH_RETRIES="0")
    miniweb.delay = 0.1
    worker = _start_worker(postgres_url, env, crawl_env / "worker.log")
    try:
        cli = _crawl_cli(postgres_url, env, "--urls", str(urls))
        killed = _kill_crawl_of(worker, miniweb)
        try:
            out, err = cli.communicate(timeout=240)
        finally:
            cli.kill()
        assert cli.returncode == 1, err
        assert err.startswith("error: crawl run 1 failed") and "exit code -9" in err, err
        assert err.count("\n") == 1
        with transaction(pg_engine) as session:
            run = session.scalars(select(CrawlRun)).one()
            assert run.status == "failed" and "failed after 1 attempts" in run.error
            assert {v.state for v in session.scalars(select(SiteVisit))} == {"failed"}
            assert session.scalar(select(func.count(Page.id))) == 0
        assert killed not in _children(worker.pid)

        cli = _crawl_cli(postgres_url, env, "--resume")
        try:
            out, err = cli.communicate(timeout=240)
        finally:
            cli.kill()
    finally:
        _stop(worker)
    assert cli.returncode == 0, err
    with transaction(pg_engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.status == "finished" and run.sites_done == 2
        assert {v.state for v in session.scalars(select(SiteVisit))} == {"done"}


@pytest.mark.redis
def test_distributed_without_progress_exits_naming_the_stuck_batches(
    sqlite_url: str, redis_url: str, miniweb: MiniWeb, crawl_env: Path
) -> None:
    """No worker takes the batches: `--distributed` does not wait forever but exits 1 after
    ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT seconds without progress, the run interrupted."""
    env, urls = _distributed_env(crawl_env, miniweb, redis_url, 3, ECOMSTAT_BATCH_SIZE="2",
                                 ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT="2")
    engine = make_engine(sqlite_url)
    upgrade(engine)
    cli = _crawl_cli(sqlite_url, env, "--urls", str(urls))
    try:
        out, err = cli.communicate(timeout=120)  # before the fix: waited forever
    finally:
        cli.kill()
    assert cli.returncode == 1, err
    assert err.count("\n") == 1 and "made no progress for 2 s" in err
    assert "2 of 2 batches not done: batch 0: 2 pending (sites 1, 2); batch 1: 1 pending" in err
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    assert run.status == "interrupted" and "no progress" in run.error
