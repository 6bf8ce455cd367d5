"""Crawl operations (issue 17, item 5): a run's live figures while it goes on, a second crawl
over sites a live run holds refused in one line, a killed crawl that blocks nothing, and Ctrl-C
printing the command that resumes the run."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.spiders import live
from ecomstat.spiders.runs import create_run, get_run, reopen_run, upsert_websites
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRunProcess, utcnow
from scheduler_kit import wait_until  # the scheduler tests' event wait
from spider_testweb import MiniWeb, site_host

runner = CliRunner()
SITES = 4
DEAD_HOST = "www.gone.example.test"  # mapped, but the test web answers 502 for it


def crawl_json(db_url: str, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["--db", db_url, "crawl", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def setup_web(miniweb: MiniWeb, crawl_env: Path, monkeypatch: Any) -> tuple[Path, threading.Event]:
    """SITES good sites and a dead one; the last good site is held until the test opens its
    gate, so the crawl cannot end before the test has looked at it."""
    hosts = [site_host(i) for i in range(SITES)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt",
                                                                  hosts + [DEAD_HOST])))
    monkeypatch.setenv("ECOMSTAT_LIVE_STATS_SECONDS", "0.2")  # beats every 0.2 s, dead after 0.6
    # the held site must not time out (crawl_env's 5 s, retried once) while the test looks at
    # the run: on a busy machine the checks took longer, the crawl finished and Ctrl-C came late
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "240")
    gate = miniweb.gates[hosts[-1]] = threading.Event()
    urls = crawl_env / "urls.txt"
    urls.write_text("".join(f"http://{host}/\n" for host in hosts + [DEAD_HOST]))
    return urls, gate


def start_crawl(db_url: str, urls: Path, **env: str) -> subprocess.Popen[str]:
    """The crawl CLI as started from a terminal, its output in files beside the URL list
    (cli.out, cli.err: a pipe nobody reads while the test waits could fill up)."""
    with open(urls.with_name("cli.out"), "w") as out, open(urls.with_name("cli.err"), "w") as err, \
            _ctrl_c_reaches_children():
        return subprocess.Popen(
            [sys.executable, "-m", "ecomstat", "--db", db_url, "crawl", "sites", "--urls",
             str(urls), "--processes", "1"], stdout=out, stderr=err, text=True,
            env={**os.environ, **env})


@contextlib.contextmanager
def _ctrl_c_reaches_children() -> Iterator[None]:
    """Children started inside get Ctrl-C's default action, as from a terminal. A suite run in
    the background (`bash suite_under_load.sh &`: a non-interactive shell's background job)
    ignores SIGINT, and an ignored signal stays ignored across exec: the CLI never saw the
    test's Ctrl-C. A handled signal is reset to the default on exec."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ends(*files: Path) -> str:
    """The last lines of each file, for a failure message."""
    return " | ".join(f"{f.name}: " + " / ".join(f.read_text(errors="replace").splitlines()[-5:])
                      for f in files if f.exists())


def test_live_figures_refusal_and_ctrl_c(sqlite_url: str, miniweb: MiniWeb, crawl_env: Path,
                                         monkeypatch: Any) -> None:
    urls, gate = setup_web(miniweb, crawl_env, monkeypatch)
    cli = start_crawl(sqlite_url, urls, ECOMSTAT_CAMPAIGN_RUN_ID="77")
    try:
        # while the run goes on (its last site is held): live figures from its crawl process
        # (written on its timer, not only when sites are stored)
        expected_pages = 10 * (SITES - 1)  # home, imprint, contact, about, 6 products per site
        [row] = wait_until(lambda: [r for r in crawl_json(sqlite_url, "list", "--running")
                                    if r["pages_fetched"] >= expected_pages], 120,
                           "live figures of the running crawl")
        assert row["run_id"] == 1 and row["state"] == "running" and row["campaign_run"] == 77
        assert row["sites_total"] == SITES + 1 and row["sites_pending"] >= 1
        assert row["memory_mb"] > 10 and row["processes"] == 1 and row["render_share"] == 0
        [shown] = crawl_json(sqlite_url, "show", "1")
        assert shown["state"] == "running" and shown["page_outcomes"]["ok"] >= expected_pages
        assert shown["http_status"]["200"] >= expected_pages
        assert {p["role"] for p in shown["workers"] if p["live"]} == {"owner", "crawler"}

        # a second crawl over the same sites is refused, in one line naming the live run
        second = runner.invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls)])
        assert second.exit_code == 1
        [line] = second.output.strip().splitlines()
        assert re.search(r"crawl run 1 is running and holds \d of these sites", line)
        assert "`ecomstat crawl show 1`" in line and "`ecomstat crawl sites --resume`" in line

        # Ctrl-C: the run is interrupted and the exact command that resumes it is printed.
        # Scrapy's graceful close waits for the held download: open the gate once the crawl
        # process has the signal (its log says so), not before (it could finish first); or
        # once the CLI has ended (it kills a crawl process that is not closed within 60 s)
        cli.send_signal(signal.SIGINT)
        log = crawl_env / "data" / "logs" / "run-1.log"
        try:
            wait_until(lambda: cli.poll() is not None or "shutting down gracefully" in
                       log.read_text(errors="replace"), 180, "the crawl process to receive Ctrl-C")
        except AssertionError as exc:  # say where the CLI and the crawl process stood
            raise AssertionError(f"{exc}; {_ends(urls.with_name('cli.err'), log)}") from None
        gate.set()
        cli.wait(timeout=120)
    finally:
        gate.set()
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    err = urls.with_name("cli.err").read_text()
    assert cli.returncode == 130, err
    assert f"Resume it with: ecomstat --db {sqlite_url} crawl sites --resume" in err
    engine = make_engine(sqlite_url)
    assert get_run(engine, 1).status == "interrupted"
    engine.dispose()
    assert crawl_json(sqlite_url, "list", "--running") == []
    resumed = runner.invoke(app, ["--db", sqlite_url, "crawl", "sites", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    [done] = crawl_json(sqlite_url, "list")
    assert done["state"] == "finished" and done["sites_done"] == SITES + 1
    assert done["pages_per_second"] == 0 and done["processes"] == 0  # nothing runs any more
    [shown] = crawl_json(sqlite_url, "show", "1")
    assert shown["site_outcomes"]["ok"] == SITES and shown["http_status"]["502"] >= 1
    errors = {e["url"]: e for e in shown["errors_per_site"]}
    assert errors[f"http://{DEAD_HOST}/"]["site_outcome"] != "ok"  # its home page failed
    # the good sites are listed for their failed pages (the PDF brochure, the calendar trap)
    assert all(e["failed_pages"] > 0 for url, e in errors.items() if e["site_outcome"] == "ok")


def test_a_killed_crawl_blocks_nothing(sqlite_url: str, miniweb: MiniWeb, crawl_env: Path,
                                       monkeypatch: Any) -> None:
    urls, gate = setup_web(miniweb, crawl_env, monkeypatch)
    cli = start_crawl(sqlite_url, urls)
    try:
        wait_until(lambda: crawl_json(sqlite_url, "list", "--running"), 120, "the crawl to beat")
        cli.kill()  # SIGKILL: its crawl processes die with it (die_with_parent), unannounced
        cli.wait()
    finally:
        gate.set()
    # the run stays `running` in the store, but nothing beats: stalled, and it holds no site
    [row] = wait_until(lambda: [r for r in crawl_json(sqlite_url, "list")
                                if r["state"] == "stalled"], 30, "the killed run to be stalled")
    assert row["run_id"] == 1
    engine = make_engine(sqlite_url)
    assert get_run(engine, 1).status == "running"
    engine.dispose()
    again = runner.invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls)])
    assert again.exit_code == 0, again.output


def test_liveness_follows_the_heartbeat(engine: Engine) -> None:
    """A crawl process elsewhere beats: its run holds its sites until the beats stop (an
    injected clock, no waiting); a run whose owner is this live process always holds them."""
    ids = upsert_websites(engine, ["http://a.example/", "http://b.example/"])
    run_id = create_run(engine, "enterprise_site", ids[:1])
    with transaction(engine) as session:  # the owner is another machine's process
        owner = session.query(CrawlRunProcess).filter_by(run_id=run_id).one()
        owner.host, owner.worker = "elsewhere", "elsewhere:1/owner"
        session.add(CrawlRunProcess(run_id=run_id, worker="elsewhere:2", role="crawler",
                                    host="elsewhere", pid=2, heartbeat_at=utcnow()))
    stale = live.stale_seconds()
    now = utcnow()
    with transaction(engine) as session:
        assert live.live_run_ids(session, now=now) == [run_id]
        assert live.live_run_ids(session, now=now + dt.timedelta(seconds=stale + 1)) == []
    listed = runner.invoke(app, ["--db", str(engine.url), "crawl", "list", "--running",
                                 "--format", "json"])
    assert [json.loads(line)["run_id"] for line in listed.output.splitlines()] == [run_id]
    try:
        create_run(engine, "enterprise_site", ids)
    except live.CrawlBusy as exc:
        assert f"crawl run {run_id} is running and holds 1 of these sites" in str(exc)
    else:
        raise AssertionError("a crawl over a live run's site was not refused")
    other = create_run(engine, "enterprise_site", ids[1:])  # other sites: fine
    try:  # --resume while its crawl process still beats: its claimed sites would be crawled twice
        reopen_run(engine, run_id)
    except live.CrawlBusy as exc:
        assert f"crawl run {run_id} is still running" in str(exc)
    else:
        raise AssertionError("a resume of a live run was not refused")
    # the beats stop (the process was killed): past the stale age the sites are free again
    with transaction(engine) as session:
        old = utcnow() - dt.timedelta(seconds=stale + 1)
        for row in session.query(CrawlRunProcess).filter_by(run_id=run_id):
            row.heartbeat_at = old
    assert create_run(engine, "enterprise_site", ids[:1]) > other
    reopen_run(engine, run_id)  # and it can be resumed
