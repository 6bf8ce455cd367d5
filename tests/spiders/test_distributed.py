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
from store import make_engine, transaction, upgrade
from store.models import CrawlRun, Page, SiteVisit

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
    postgres_url: str, redis_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
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
    engine.dispose()
