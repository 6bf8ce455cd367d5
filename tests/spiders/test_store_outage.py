"""A database outage during a crawl: the store pipeline keeps the sites it could not write only up
to ECOMSTAT_STORE_RETRY_BYTES, then stops the crawl with a failed run (instead of crawling on and
holding every unwritten site in memory); --resume, once the database is back, crawls the dropped
sites again and the run finishes with every site."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.spiders import runner
from ecomstat.spiders.runs import get_run
from ecomstat.store import make_engine, transaction, upgrade
from ecomstat.store.models import SiteVisit
from spider_testweb import MiniWeb, site_host


OPEN_RUN = """
import sys
from ecomstat.spiders.runs import create_run, upsert_websites
from ecomstat.store import make_engine
engine = make_engine(sys.argv[1])
print(create_run(engine, "enterprise_site",
                 upsert_websites(engine, [f"http://{host}/" for host in sys.argv[2:]])))
"""


def _claimed(engine: Engine, run_id: int) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(SiteVisit).where(
            SiteVisit.run_id == run_id, SiteVisit.state == "claimed")) or 0


def _set_connections(db_url: str, allowed: bool) -> None:
    """Open or close the database to every client; closing also ends the open sessions."""
    name = db_url.rsplit("/", 1)[1]
    admin = create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"),
                             {"name": name})
    finally:
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_outage_past_the_retry_bound_fails_the_run_and_resume_completes_it(
    empty_pg_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = [site_host(i) for i in range(9)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    monkeypatch.setenv("ECOMSTAT_STORE_RETRY_BYTES", "1000")  # less than one site's pages
    during, after = hosts[:6], hosts[6:]
    during_gate, after_gate = threading.Event(), threading.Event()
    miniweb.gates.update({host: during_gate for host in during})  # answer once the db is gone
    miniweb.gates.update({host: after_gate for host in after})  # answer after the crawl stops

    engine = make_engine(empty_pg_url)
    upgrade(engine)
    # the run is opened by a process that has ended, as a CLI would be after an outage (its
    # owner row, alive on this host, would hold the run)
    opened = subprocess.run([sys.executable, "-c", OPEN_RUN, empty_pg_url, *hosts],
                            capture_output=True, text=True, timeout=120)
    assert opened.returncode == 0, opened.stderr
    run_id = int(opened.stdout)
    log = crawl_env / "crawl.log"
    process = runner.start_spider("enterprise_site", db_url=empty_pg_url, run_id=run_id,
                                  log_file=log)
    try:
        deadline = time.monotonic() + 120
        while _claimed(engine, run_id) < len(hosts) and process.poll() is None:
            assert time.monotonic() < deadline, "the crawl never claimed its sites"
            time.sleep(0.05)
        assert process.poll() is None, log.read_text()[-3000:]
        engine.dispose()
        _set_connections(empty_pg_url, allowed=False)  # the database goes away
        during_gate.set()  # these sites finish now and cannot be written
        code = process.wait(timeout=120)
    finally:
        after_gate.set()
        _set_connections(empty_pg_url, allowed=True)
        if process.poll() is None:
            process.kill()
            process.wait()
    crawl_log = log.read_text()
    # the crawl stops failed (reason store-unavailable, or start_error when the spider, which
    # claims sites from the store too, notices first); without the bound it kept every site
    assert code == runner.EXIT_FAILED, crawl_log[-3000:]
    assert "more than ECOMSTAT_STORE_RETRY_BYTES" in crawl_log, crawl_log[-3000:]

    run = get_run(engine, run_id)
    assert run.status != "finished" and run.sites_done < len(hosts)
    result = CliRunner().invoke(app, ["--db", empty_pg_url, "crawl", "sites", "--resume"])
    assert result.exit_code == 0, result.output
    run = get_run(engine, run_id)
    assert run.status == "finished" and run.sites_done == len(hosts)
    engine.dispose()
