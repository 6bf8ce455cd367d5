"""Distributed crawl at scale (issue 15, item 5): `crawl sites --distributed` over N sites with
W Celery workers on this machine, PostgreSQL and Redis as in CI; one worker is killed with
SIGKILL in the middle of a batch once a share of the sites is done. Checks, by counting in the
store: every site visited exactly once and `done`, no visit pending or claimed, no page stored
twice, every site with the same page count as an undisturbed site.

    python bench/bench_distributed.py --sites 20000 --workers 2 [--max-pages 2] [--kill-at 0.3]
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/test] [--broker redis://127.0.0.1:6379/0]

The web is the spider tests' MiniWeb (tests/spiders/spider_testweb.py: generated enterprise
sites on one local threaded server reached through a host map), so nothing leaves the machine.
A fresh database is created next to the one given (and dropped afterwards) so the counts are
this run's. Prints JSON: wall time, pages/s, per-worker peak RSS, deliveries, the checks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "spiders"))  # the MiniWeb of the spider tests

from spider_testweb import MiniWeb, site_host  # noqa: E402

from ecomstat.store import make_engine, transaction, upgrade  # noqa: E402
from ecomstat.store.models import CrawlRun, Page, SiteVisit  # noqa: E402


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants, MiB (0 when gone)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"ecomstat_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _checks(db_url: str, sites: int) -> dict[str, object]:
    engine = make_engine(db_url)
    try:
        with transaction(engine) as session:
            run = session.scalars(select(CrawlRun)).one()
            states = dict(session.execute(select(SiteVisit.state, func.count())
                                          .group_by(SiteVisit.state)).all())
            visits_per_site = session.execute(
                select(func.count()).select_from(
                    select(SiteVisit.website_id).group_by(SiteVisit.website_id)
                    .having(func.count() > 1).subquery())).scalar_one()
            duplicate_pages = session.execute(
                select(func.count()).select_from(
                    select(Page.website_id, Page.url).group_by(Page.website_id, Page.url)
                    .having(func.count() > 1).subquery())).scalar_one()
            per_site = (select(func.count().label("n")).select_from(Page)
                        .group_by(Page.website_id).subquery())
            page_counts = dict(session.execute(
                select(per_site.c.n, func.count()).group_by(per_site.c.n)).all())
        return {"run_status": run.status, "sites_done": run.sites_done, "pages": run.pages,
                "visit_states": states, "sites_visited_more_than_once": visits_per_site,
                "pages_stored_twice": duplicate_pages,
                "sites_by_page_count": {str(k): v for k, v in sorted(page_counts.items())},
                "ok": (run.status == "finished" and run.sites_done == sites
                       and states == {"done": sites} and visits_per_site == 0
                       and duplicate_pages == 0 and len(page_counts) == 1)}
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-pages", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--kill-at", type=float, default=0.3,
                        help="kill worker 0 once this share of the sites is done")
    parser.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    db_url, name = _fresh_database(args.db)
    web = MiniWeb()
    threading.Thread(target=web.serve_forever, daemon=True).start()
    workdir = Path(tempfile.mkdtemp(prefix="ecomstat-bench-distributed-"))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(make_engine(db_url))
        hosts = [site_host(i) for i in range(args.sites)]
        (workdir / "urls.txt").write_text("".join(f"http://{h}/\n" for h in hosts))
        env = dict(os.environ,
                   ECOMSTAT_HOST_MAP=str(web.host_map(workdir / "hosts.txt", hosts)),
                   ECOMSTAT_ALLOW_PRIVATE_HOSTS=".test,127.0.0.1,localhost",
                   ECOMSTAT_DATA_DIR=str(workdir / "data"), ECOMSTAT_DOWNLOAD_DELAY="0",
                   ECOMSTAT_AUTOTHROTTLE="false", ECOMSTAT_RENDER="never",
                   ECOMSTAT_MAX_PAGES=str(args.max_pages), ECOMSTAT_BROKER_URL=args.broker,
                   ECOMSTAT_CRAWL_QUEUE=f"ecomstat-bench-{uuid.uuid4().hex[:8]}",
                   ECOMSTAT_BATCH_SIZE=str(args.batch_size),
                   ECOMSTAT_BATCH_VISIBILITY_TIMEOUT="30",
                   ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT="300",
                   ECOMSTAT_CONTACT_URL="https://stats.example/crawler")
        for n in range(args.workers):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "ecomstat", "--db", db_url, "worker", "--hostname",
                 f"bench{n}@local"], stdout=open(workdir / f"worker{n}.log", "wb"),
                stderr=subprocess.STDOUT, env=env))
        peak = [0.0] * args.workers
        killed: dict[str, object] = {}
        started = time.monotonic()
        crawl = subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", db_url, "crawl",
                                  "sites", "--distributed", "--urls", str(workdir / "urls.txt"),
                                  "--format", "json"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        engine = make_engine(db_url)
        while crawl.poll() is None:
            for n, worker in enumerate(workers):
                peak[n] = max(peak[n], _rss_mib(worker.pid))
            if not killed:
                with transaction(engine) as session:
                    done = session.scalar(select(func.coalesce(func.max(CrawlRun.sites_done), 0)))
                if done >= args.kill_at * args.sites and _children(workers[0].pid):
                    workers[0].send_signal(signal.SIGKILL)
                    killed = {"worker": 0, "sites_done_at_kill": done,
                              "seconds": round(time.monotonic() - started, 1)}
            time.sleep(0.5)  # a sampling interval, not a wait for an event
        elapsed = time.monotonic() - started
        engine.dispose()
        output, errors = crawl.communicate()
        checks = _checks(db_url, args.sites)
        logs = [(workdir / f"worker{n}.log").read_text(errors="replace") for n in range(args.workers)]
        batches = -(-args.sites // args.batch_size)
        report = {
            "sites": args.sites, "workers": args.workers, "max_pages": args.max_pages,
            "batch_size": args.batch_size, "batches": batches,
            "deliveries": sum(log.count("] received") for log in logs),
            "crawl_exit_code": crawl.returncode, "crawl_stderr_tail": errors[-300:],
            "wall_s": round(elapsed, 1), "pages_per_s": round(checks["pages"] / elapsed, 1),
            "killed": killed, "worker_peak_rss_mib": [round(p) for p in peak],
            "cli_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            **checks,
        }
        print(json.dumps(report, indent=2, default=str))
        return 0 if checks["ok"] and crawl.returncode == 0 and killed else 1
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
        web.shutdown()
        _drop_database(args.db, name)


if __name__ == "__main__":
    sys.exit(main())
