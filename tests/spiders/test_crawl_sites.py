"""End to end: `ecomstat crawl sites` on the local test web, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import MiniWeb, site_host, write_lines
from ecomstat.store.warc import read_html, read_response
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun, Page, SiteVisit, Website


def _crawl(db_url: str, *args: str) -> object:
    result = CliRunner().invoke(app, ["--db", db_url, "crawl", "sites", *args])
    return result


def test_crawl_sites_stores_pages_warc_and_outcomes(
    db_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    hosts = [site_host(0), site_host(1), "error500.example.test"]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    urls = write_lines(crawl_env / "urls.txt", [
        f"http://{site_host(0)}/", f"http://{site_host(1)}/", "http://error500.example.test/",
        "http://www.dead.example.test/",  # not in the host map: never resolves
    ])
    engine = make_engine(db_url)
    result = _crawl(db_url, "--urls", str(urls), "--format", "json")
    assert result.exit_code == 0, result.output
    with transaction(engine) as session:
        sites = {w.url: w for w in session.scalars(select(Website))}
        pages = list(session.scalars(select(Page)))
        run = session.scalars(select(CrawlRun)).one()
        visits = {v.website_id: v for v in session.scalars(select(SiteVisit))}
    assert run.status == "finished" and run.sites_done == 4 == run.sites_total
    assert run.outcomes == {"ok": 2, "http-error": 1, "dns-failure": 1}
    assert run.pages == len(pages)
    assert sites["http://www.dead.example.test/"].status == "dead"
    assert sites["http://error500.example.test/"].status == "unreachable"
    assert all(site.last_crawled_at is not None for site in sites.values())

    site0 = sites[f"http://{site_host(0)}/"]
    by_url = {p.url: p for p in pages if p.website_id == site0.id}
    base = f"http://{site_host(0)}"
    # same content under two URLs is stored once; traps, files and other domains never fetched
    assert (f"{base}/about" in by_url) != (f"{base}/about-copy" in by_url)
    assert not any("calendar" in url or url.endswith(".pdf") for url in by_url)
    assert all(url.startswith(base) for url in by_url)
    assert by_url[f"{base}/private/area"].outcome == "robots-denied"  # site 0 disallows /private
    assert max(p.depth for p in by_url.values()) == 2
    assert len({p.content_hash for p in by_url.values() if p.outcome == "ok"}) == \
        len([p for p in by_url.values() if p.outcome == "ok"])
    site1_urls = {p.url for p in pages if p.website_id == sites[f"http://{site_host(1)}/"].id}
    assert f"http://{site_host(1)}/private/area" in site1_urls  # site 1 allows it
    assert {p.outcome for p in pages if p.website_id == site0.id} == {"ok", "robots-denied"}

    imprint = by_url[f"{base}/impressum"]
    assert imprint.title == "Impressum" and "VAT DE100000000" in imprint.text
    assert imprint.language == "en" and imprint.http_status == 200
    raw = read_html(imprint.warc_file, imprint.warc_offset)
    assert b"<title>Impressum</title>" in raw
    record = read_response(imprint.warc_file, imprint.warc_offset)
    assert record.url == f"{base}/impressum" and record.status == 200
    home = by_url[f"{base}/"]
    assert any(link["url"] == "https://www.elsewhere.example/" for link in home.links)
    assert visits[site0.id].state == "done" and visits[site0.id].pages == len(by_url)
    # politeness: every request carried the identifying User-Agent with the contact URL
    engine.dispose()


def test_linked_website_survives_transient_failure_and_max_pages_ranks(
    sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    hosts = [site_host(2), "error500.example.test"]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    engine = make_engine(sqlite_url)
    first = _crawl(sqlite_url, "--urls", str(write_lines(crawl_env / "u.txt", [
        "http://error500.example.test/", f"http://{site_host(2)}/"])), "--max-pages", "4")
    assert first.exit_code == 0, first.output
    with transaction(engine) as session:
        broken = session.scalars(select(Website).where(Website.url.contains("error500"))).one()
        broken.status = "linked"
    again = _crawl(sqlite_url, "--all", "--max-pages", "4")
    assert again.exit_code == 0, again.output
    with transaction(engine) as session:
        broken = session.scalars(select(Website).where(Website.url.contains("error500"))).one()
        assert broken.status == "linked"  # a 500 never demotes a linked website ...
        last_run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        visit = session.scalars(select(SiteVisit).where(
            SiteVisit.run_id == last_run.id, SiteVisit.website_id == broken.id)).one()
        assert visit.outcome == "http-error"  # ... the site visit records it
        site2 = session.scalars(select(Website).where(Website.url.contains("site002"))).one()
        urls = set(session.scalars(select(Page.url).where(Page.website_id == site2.id)))
    # the 4-page budget goes to the home page and the best-ranked links (imprint, contact, shop)
    base = f"http://{site_host(2)}"
    assert urls == {f"{base}/", f"{base}/impressum", f"{base}/contact", f"{base}/products/0"}
    engine.dispose()


def test_bad_input_is_one_line_and_writes_nothing(db_url: str, crawl_env: Path) -> None:
    bad = write_lines(crawl_env / "bad.txt", ["http://ok.example.test/", "ftp://nope/"])
    result = _crawl(db_url, "--urls", str(bad))
    assert result.exit_code == 2
    engine = make_engine(db_url)
    with transaction(engine) as session:
        assert session.scalars(select(Website)).all() == []
        assert session.scalars(select(CrawlRun)).all() == []
    engine.dispose()
    assert _crawl(db_url, "--render", "sometimes", "--all").exit_code == 2
    assert _crawl(db_url, "--resume").exit_code == 2  # nothing to resume


def test_private_address_refused_and_crawl_delay_honoured(
    sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    hosts = [site_host(5), "crawl-delay.example.test"]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    # only the crawl-delay host may live on loopback; site005 maps there too but is not allowed
    monkeypatch.setenv("ECOMSTAT_ALLOW_PRIVATE_HOSTS", "crawl-delay.example.test")
    urls = write_lines(crawl_env / "urls.txt", [f"http://{host}/" for host in hosts])
    result = _crawl(sqlite_url, "--urls", str(urls))
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        site = session.scalars(select(Website).where(Website.url.contains("site005"))).one()
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    assert site.status == "dead" and run.outcomes == {"refused-private": 1, "ok": 1}
    assert not any(host == site_host(5) for host, _path in miniweb.hits)  # never contacted
    assert run.stats["ecomstat/robots/crawl-delay-applied"] >= 1
    times = [t for host, t in miniweb.hit_times if host == "crawl-delay.example.test"]
    page_times = times[2:]  # after robots.txt and the home page
    assert len(page_times) == 3
    assert all(b - a >= 0.9 for a, b in zip(page_times, page_times[1:]))


def _page_set(db_url: str) -> set[tuple]:
    engine = make_engine(db_url)
    with transaction(engine) as session:
        rows = session.execute(select(Website.url, Page.url, Page.content_hash, Page.outcome,
                                      Page.title, Page.depth)
                               .join(Website, Website.id == Page.website_id)).all()
        for warc_file, offset in session.execute(
                select(Page.warc_file, Page.warc_offset).where(Page.outcome == "ok")):
            assert read_html(warc_file, offset).startswith(b"<html")
    engine.dispose()
    assert len(rows) == len(set(rows))  # none stored twice
    return set(rows)


def test_crawl_in_several_processes_equals_one_process(
    db_url: str, sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch
) -> None:
    hosts = [site_host(i) for i in range(10)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    urls = write_lines(crawl_env / "urls.txt", [f"http://{host}/" for host in hosts])
    (crawl_env / "one-process.db").touch()  # commands refuse a missing store
    reference = f"sqlite:///{crawl_env / 'one-process.db'}"
    result = _crawl(reference, "--urls", str(urls), "--processes", "1")
    assert result.exit_code == 0, result.output

    result = _crawl(db_url, "--urls", str(urls), "--processes", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    assert _page_set(db_url) == _page_set(reference)
    engine = make_engine(db_url)
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        pages = list(session.scalars(select(Page)))
        workers = set(session.scalars(select(SiteVisit.worker)))
    engine.dispose()
    assert run.status == "finished" and run.sites_done == 10 == run.sites_total
    assert run.pages == len(pages)
    # each process added its own counters, and each that claimed sites wrote its own WARC file
    # (the processes share one queue of sites: one that starts late may find it empty)
    assert run.stats["ecomstat/sites"] == 10
    assert 1 <= len(workers) <= 3 and None not in workers
    assert len({page.warc_file for page in pages if page.warc_file}) == len(workers)


def test_processes_option_is_checked(sqlite_url: str, crawl_env: Path) -> None:
    result = _crawl(sqlite_url, "--urls", str(write_lines(crawl_env / "urls.txt", [
        f"http://{site_host(0)}/"])), "--processes", "-1")
    assert result.exit_code == 2 and "--processes" in result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        assert session.scalars(select(CrawlRun)).first() is None  # no run left half-made
    engine.dispose()
