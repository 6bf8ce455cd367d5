"""The crawl processes of `ecomstat crawl sites` share one queue of sites (the run's pending site
visits): slow sites do not pile up in one process because of their ids."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import MiniWeb, site_host, write_lines
from ecomstat.spiders.claims import claim_sites, release_claims, visit_states
from ecomstat.spiders.runs import create_run, reopen_run, upsert_websites
from ecomstat.store import make_engine, transaction, upgrade
from ecomstat.store.models import CrawlRun, Page, SiteVisit

SITES = 16


def test_slow_sites_of_one_parity_are_shared_by_both_processes(
    db_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    hosts = [site_host(i) for i in range(SITES)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    monkeypatch.setenv("ECOMSTAT_CONCURRENT_REQUESTS", "8")
    monkeypatch.setenv("ECOMSTAT_MAX_PAGES", "5")
    engine = make_engine(db_url)
    upgrade(engine)
    urls = [f"http://{host}/" for host in hosts]
    ids = dict(zip(hosts, upsert_websites(engine, urls)))
    # every site with an even id is slow (a JavaScript shop, say): split by id modulo 2, one
    # process would get all of them and the other would idle after a second
    slow = {host for host, website_id in ids.items() if website_id % 2 == 0}
    assert len(slow) == SITES // 2
    miniweb.host_delays = {host: 1.0 for host in slow}

    result = CliRunner().invoke(app, ["--db", db_url, "crawl", "sites", "--processes", "2",
                                      "--urls", str(write_lines(crawl_env / "urls.txt", urls))])
    assert result.exit_code == 0, result.output
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        # which process crawled a site: each crawl process writes its own WARC file
        warc_of_site = dict(session.execute(select(Page.website_id, Page.warc_file)
                                            .where(Page.depth == 0)).all())
        workers = dict(session.execute(select(SiteVisit.website_id, SiteVisit.worker)).all())
    engine.dispose()
    assert run.status == "finished" and run.sites_done == SITES
    assert len(warc_of_site) == SITES and len(set(warc_of_site.values())) == 2
    slow_per_process = Counter(warc_of_site[ids[host]] for host in slow)
    assert len(slow_per_process) == 2, f"one process crawled every slow site: {slow_per_process}"
    # the visits name the process that claimed them: the same split as the WARC files
    assert len(set(workers.values())) == 2 and None not in workers.values()
    by_worker = {(warc_of_site[site], workers[site]) for site in warc_of_site}
    assert len(by_worker) == 2


def test_claims_are_exclusive_and_released(engine) -> None:
    """Two processes never claim one site; a process's fair part is at most ceil(left/share);
    claims of a dead process go back to pending on resume."""
    upgrade(engine)
    ids = upsert_websites(engine, [f"http://{site_host(i)}/" for i in range(10)])
    run_id = create_run(engine, "enterprise_site", ids)
    first = claim_sites(engine, run_id, "a:1", 8, share=2)
    second = claim_sites(engine, run_id, "b:2", 8, share=2)
    assert [i for i, _url in first] == ids[:5] and [i for i, _url in second] == ids[5:8]
    assert claim_sites(engine, run_id, "c:3", 8, website_ids=ids[:6]) == []  # all taken
    assert visit_states(engine, run_id) == {"claimed": 8, "pending": 2}
    assert release_claims(engine, run_id, worker="b:2") == 3
    assert visit_states(engine, run_id) == {"claimed": 5, "pending": 5}
    reopen_run(engine, run_id)  # --resume: no process of the run is alive
    assert visit_states(engine, run_id) == {"pending": 10}
