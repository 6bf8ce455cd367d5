"""A crawl killed with SIGKILL and resumed ends with exactly the pages of an uninterrupted crawl:
none lost, none stored twice, every page's WARC record readable."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import MiniWeb, site_host
from ecomstat.spiders import runner
from ecomstat.spiders.runs import create_run, get_run, upsert_websites
from ecomstat.store.warc import read_html
from ecomstat.store import make_engine, transaction, upgrade
from ecomstat.store.models import CrawlRun, Page, Website

SITES = 16


def _pages(db_url: str) -> set[tuple[str | None, ...]]:
    engine = make_engine(db_url)
    with transaction(engine) as session:
        rows = session.execute(select(
            Website.url, Page.url, Page.content_hash, Page.outcome, Page.title, Page.language,
            Page.text, func.json_extract(Page.links, "$"))
            .join(Website, Website.id == Page.website_id)).all()
        count = session.scalar(select(func.count(Page.id)))
        for warc_file, offset in session.execute(
                select(Page.warc_file, Page.warc_offset).where(Page.outcome == "ok")):
            assert read_html(warc_file, offset).startswith(b"<html")
    engine.dispose()
    assert count == len(rows)
    return {tuple(row) for row in rows}


def _new_run(db_url: str, urls: list[str]) -> int:
    engine = make_engine(db_url)
    upgrade(engine)
    run_id = create_run(engine, "enterprise_site", upsert_websites(engine, urls))
    engine.dispose()
    return run_id


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted_run(
    sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    hosts = [site_host(i) for i in range(SITES)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    urls = [f"http://{host}/" for host in hosts]
    # long enough a crawl to kill it in the middle, and sites that end one after another (with
    # one delay for all, every site ends at about the same moment, in the same store batch)
    miniweb.host_delays = {host: 0.01 * (index + 1) for index, host in enumerate(hosts)}

    # the uninterrupted reference, in a SQLite file of its own
    reference_url = f"sqlite:///{crawl_env / 'reference.db'}"
    run_id = _new_run(reference_url, urls)
    assert runner.run_spider("enterprise_site", db_url=reference_url, run_id=run_id,
                             timeout=300) == runner.EXIT_OK
    expected = _pages(reference_url)

    db_url = sqlite_url  # the distributed test kills and completes a crawl on PostgreSQL
    run_id = _new_run(db_url, urls)
    # the last site answers only once the crawl has been killed: it cannot finish before
    held = miniweb.gates[hosts[-1]] = threading.Event()
    engine = make_engine(db_url)
    process = runner.start_spider("enterprise_site", db_url=db_url, run_id=run_id,
                                  log_file=crawl_env / "killed.log")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        done = get_run(engine, run_id).sites_done
        if done >= 3 or process.poll() is not None:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the crawl ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    held.set()
    killed = get_run(engine, run_id)
    assert killed.status == "running" and 0 < killed.sites_done < SITES

    result = CliRunner().invoke(app, ["--db", db_url, "crawl", "sites", "--resume"])
    assert result.exit_code == 0, result.output
    with transaction(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert run.status == "finished" and run.sites_done == SITES
        assert session.scalar(select(func.count(CrawlRun.id))) == 1  # resumed, not a new run
    engine.dispose()
    assert _pages(db_url) == expected


@pytest.mark.slow
def test_sigterm_to_the_cli_interrupts_every_crawl_process(
    sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    """The scheduler stops a crawl step with SIGTERM: the run is marked interrupted, its crawl
    processes stop (none crawls on unwatched), and --resume completes it."""
    import subprocess
    import sys

    hosts = [site_host(i) for i in range(SITES)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    miniweb.host_delays = {host: 0.05 for host in hosts}
    urls = crawl_env / "urls.txt"
    urls.write_text("".join(f"http://{host}/\n" for host in hosts))
    cli = subprocess.Popen([sys.executable, "-m", "ecomstat", "--db", sqlite_url, "crawl", "sites",
                            "--urls", str(urls), "--processes", "2"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    engine = make_engine(sqlite_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and cli.poll() is None:
        try:
            if get_run(engine, 1).pages > 0:
                break
        except Exception:  # the run row does not exist yet
            pass
        time.sleep(0.05)
    assert cli.poll() is None, "the crawl ended before it could be stopped"
    cli.send_signal(signal.SIGTERM)
    assert cli.wait(timeout=90) != 0
    run = get_run(engine, 1)
    assert run.status == "interrupted" and run.sites_done < SITES
    pages = run.pages
    time.sleep(1.5)
    assert get_run(engine, 1).pages == pages  # no crawl process is still writing

    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--resume"])
    assert result.exit_code == 0, result.output
    run = get_run(engine, 1)
    assert run.status == "finished" and run.sites_done == SITES
    engine.dispose()


def test_finished_sites_are_written_while_another_site_holds_the_crawl(
    sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    """Sites that have finished are in the store within seconds even when no other item comes
    (a third site's responses are held): a kill then would not send them back to pending. Two
    fast sites end close together: the second one's end came within a second of the write of
    the first, and nothing wrote it while the held site kept the spider busy (not idle)."""
    hosts = [site_host(0), site_host(1), site_host(2)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    held = miniweb.gates[hosts[2]] = threading.Event()
    run_id = _new_run(sqlite_url, [f"http://{host}/" for host in hosts])
    engine = make_engine(sqlite_url)
    process = runner.start_spider("enterprise_site", db_url=sqlite_url, run_id=run_id,
                                  log_file=crawl_env / "held.log")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if get_run(engine, run_id).sites_done >= 2:
                break
            time.sleep(0.05)
        written = get_run(engine, run_id).sites_done
        assert process.poll() is None, "the crawl ended although a site was held"
        assert written == 2, f"{written} of the 2 finished sites written while the third was held"
    finally:
        held.set()
        assert process.wait(timeout=120) == runner.EXIT_OK
    assert get_run(engine, run_id).sites_done == 3
    engine.dispose()
