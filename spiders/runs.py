"""Crawl runs in the store: which websites to crawl, run and site-visit bookkeeping, and the
one-transaction write of a finished site (its pages, its visit, its website status).

A site's pages are written in the same transaction that marks its visit done, so a killed crawl
leaves every site either complete or untouched; `--resume` re-crawls the untouched ones.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from ecomstat.errors import BadInput
from ecomstat.urls import canonicalize_url, registered_domain
from ecomstat.spiders import live, outcomes
from ecomstat.store import lock_row, transaction
from ecomstat.store.models import CrawlRun, Page, SiteVisit, Website, utcnow
from ecomstat.store.upsert import upsert
from ecomstat.store.waves import check_wave, default_wave

SELECTIONS = ("all", "missing", "stale", "urls")
# The wave new runs belong to (`crawl sites --wave W`: `in_wave`); unset, store.waves' default.
# A context variable, so the crawl library's signature stays as it is for every caller.
CRAWL_WAVE: ContextVar[str | None] = ContextVar("CRAWL_WAVE", default=None)


@contextmanager
def in_wave(wave: str | None) -> Iterator[None]:
    """Runs created inside belong to `wave` (checked; None: the default rule)."""
    token = CRAWL_WAVE.set(check_wave(wave) if wave is not None else None)
    try:
        yield
    finally:
        CRAWL_WAVE.reset(token)


RESUMABLE = ("running", "interrupted", "failed")


@dataclass
class SiteResult:
    """Everything the crawl learnt about one website, written in one go."""

    website_id: int
    outcome: str
    pages: list[dict[str, Any]] = field(default_factory=list)


def normalise_site_url(url: str) -> str:
    url = url.strip()
    if not url:
        raise BadInput("empty website URL")
    if "://" not in url:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)", url):  # mailto:, tel:, javascript:
            raise BadInput(f"not a web URL: {url!r}")
        url = "http://" + url
    if not url.lower().startswith(("http://", "https://")):
        raise BadInput(f"not a web URL: {url!r}")
    canonical = canonicalize_url(url)
    if not registered_domain(canonical):
        raise BadInput(f"URL without a host: {url!r}")
    return canonical


def read_url_file(path: str | os.PathLike[str]) -> list[str]:
    """One URL a line; blank lines and #-comments skipped. Every line is checked before anything
    is written."""
    file = Path(path)
    if not file.exists():
        raise BadInput(f"URL file {file} does not exist")
    urls: list[str] = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            urls.append(normalise_site_url(line))
        except BadInput as exc:
            raise BadInput(f"{file}:{number}: {exc}") from None
    if not urls:
        raise BadInput(f"URL file {file} lists no URL")
    return urls


def upsert_websites(engine: Engine, urls: Iterable[str], found_by: str = "manual") -> list[int]:
    """Website ids for `urls` (home pages), creating rows for new ones; order kept, no repeats."""
    normalised = list(dict.fromkeys(normalise_site_url(url) for url in urls))
    with transaction(engine) as session:
        upsert(session, Website, [
            {"url": url, "domain": registered_domain(url), "found_by": found_by,
             "status": "candidate", "created_at": utcnow()}
            for url in normalised
        ], keys=["url"], update_columns=[])
        ids: dict[str, int] = {}
        for chunk in _chunks(normalised):
            ids.update(session.execute(select(Website.url, Website.id)
                                       .where(Website.url.in_(chunk))).all())
    return [ids[url] for url in normalised]


LOOKUP_CHUNK = 10_000  # bind parameters per lookup: PostgreSQL refuses more than 65,535


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start:start + LOOKUP_CHUNK]


def select_websites(engine: Engine, selection: str = "all", *, stale_days: float | None = None,
                    urls: Sequence[str] | None = None) -> list[int]:
    """Website ids to crawl. Rejected websites are never crawled."""
    if selection not in SELECTIONS:
        raise BadInput(f"unknown selection {selection!r}; use one of {', '.join(SELECTIONS)}")
    if selection == "urls":
        if not urls:
            raise BadInput("no URLs given")
        ids = upsert_websites(engine, urls)
        with transaction(engine) as session:
            rejected = {website_id for chunk in _chunks(ids) for website_id in session.scalars(
                select(Website.id).where(Website.id.in_(chunk), Website.status == "rejected"))}
        return [i for i in ids if i not in rejected]
    query = select(Website.id).where(Website.status != "rejected").order_by(Website.id)
    if selection == "missing":
        query = query.where(Website.last_crawled_at.is_(None))
    elif selection == "stale":
        if stale_days is None or stale_days < 0:
            raise BadInput("--stale needs a number of days >= 0")
        cutoff = utcnow() - dt.timedelta(days=stale_days)
        query = query.where((Website.last_crawled_at.is_(None)) |
                            (Website.last_crawled_at < cutoff))
    with transaction(engine) as session:
        return list(session.scalars(query))


def create_run(engine: Engine, spider: str, website_ids: Sequence[int],
               settings: dict[str, Any] | None = None, warc_dir: str | None = None) -> int:
    """A crawl_run row plus one pending site_visit per website; CrawlBusy (nothing written) when
    a live run holds any of the sites (`spiders.live`)."""
    with transaction(engine) as session:
        live.serialise_run_starts(session)
        run = CrawlRun(spider=spider, status="running", settings=settings or {},
                       sites_total=len(website_ids), outcomes={}, stats={}, warc_dir=warc_dir,
                       wave=CRAWL_WAVE.get() or default_wave())
        session.add(run)
        session.flush()  # on SQLite, takes the write lock: the check below sees every other start
        run_id = run.id
        live.refuse_if_held(session, website_ids, exclude=run_id,
                            resume_command=live.resume_command(spider))
        live.record_owner(session, run_id)
        for start in range(0, len(website_ids), 1000):
            session.execute(SiteVisit.__table__.insert(), [
                {"run_id": run_id, "website_id": wid, "state": "pending", "pages": 0}
                for wid in website_ids[start:start + 1000]])
    return run_id


def get_run(engine: Engine, run_id: int) -> CrawlRun:
    with transaction(engine) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise BadInput(f"no crawl run {run_id}")
        session.expunge(run)
        return run


def find_resumable_run(engine: Engine, spider: str) -> int | None:
    """The newest run of `spider` that did not finish (killed, interrupted or failed)."""
    with transaction(engine) as session:
        return session.scalar(select(CrawlRun.id).where(
            CrawlRun.spider == spider, CrawlRun.status.in_(RESUMABLE))
            .order_by(CrawlRun.id.desc()).limit(1))


def reopen_run(engine: Engine, run_id: int) -> None:
    """Mark the run running again; sites claimed by its dead processes, and sites of batches
    that gave up, are pending again (nothing of theirs was written: a site's pages are written
    with its visit done)."""
    with transaction(engine) as session:
        lock_run(session, run_id)
        live.refuse_if_live(session, run_id)  # its processes still crawl: no double crawl
        session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
            status="running", finished_at=None, error=None))
        live.record_owner(session, run_id)
        session.execute(update(SiteVisit).where(
            SiteVisit.run_id == run_id, SiteVisit.state.in_(("claimed", "failed")))
            .values(state="pending", finished_at=None))


def pending_sites(engine: Engine, run_id: int) -> list[tuple[int, str]]:
    """(website id, home URL) of the run's sites not crawled yet, in id order."""
    with transaction(engine) as session:
        return [tuple(row) for row in session.execute(
            select(Website.id, Website.url).join(SiteVisit, SiteVisit.website_id == Website.id)
            .where(SiteVisit.run_id == run_id, SiteVisit.state == "pending")
            .order_by(Website.id)).all()]


def _new_status(current: str, outcome: str) -> str:
    if outcome in outcomes.PERMANENT_FAILURES:
        return outcomes.PERMANENT_FAILURES[outcome]
    if outcome in outcomes.TRANSIENT_FAILURES:
        if current in ("linked", "verified", "parked"):
            return current  # a transient failure never demotes; the site visit records it
        return outcomes.TRANSIENT_FAILURES[outcome]
    if outcome == outcomes.OK and current in ("dead", "unreachable"):
        return "candidate"  # it came back; matching decides again
    return current


def write_sites(engine: Engine, run_id: int, sites: Sequence[SiteResult]) -> None:
    """Store finished sites: pages (one per URL; identical content once per site), visits done,
    website status and last_crawled_at, the run's progress counters. One transaction, one
    executemany per table (a statement per site cost more than the pages' own upsert)."""
    if not sites:
        return
    now = utcnow()
    with transaction(engine) as session:
        lock_run(session, run_id)  # the run's counters below are read, then written
        statuses = dict(session.execute(select(Website.id, Website.status).where(
            Website.id.in_([site.website_id for site in sites]))).all())
        page_rows: list[dict[str, Any]] = []
        visits: list[dict[str, Any]] = []
        websites: list[dict[str, Any]] = []
        for site in sites:
            rows = dedupe_pages(site.pages)
            for row in rows:
                row.update(website_id=site.website_id, run_id=run_id)
            page_rows.extend(rows)
            visits.append({"run_id": run_id, "website_id": site.website_id, "state": "done",
                           "outcome": site.outcome, "pages": len(rows), "finished_at": now})
            current = statuses.get(site.website_id, "candidate")
            websites.append({"b_id": site.website_id, "b_crawled": now,
                             "b_status": _new_status(current, site.outcome)})
        upsert(session, SiteVisit, visits, keys=["run_id", "website_id"])
        table = Website.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            status=bindparam("b_status"), last_crawled_at=bindparam("b_crawled")), websites)
        for start in range(0, len(page_rows), 200):
            upsert(session, Page, page_rows[start:start + 200], keys=["website_id", "url"])
        done, pages = session.execute(
            select(func.count(SiteVisit.id), func.coalesce(func.sum(SiteVisit.pages), 0))
            .where(SiteVisit.run_id == run_id, SiteVisit.state == "done")).one()
        session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
            sites_done=done, pages=pages))


PAGE_COLUMNS = ("url", "final_url", "http_status", "outcome", "fetched_at", "content_type",
                "content_hash", "rendered", "depth", "title", "language", "text", "links",
                "structured_data", "warc_file", "warc_offset")


def dedupe_pages(pages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per URL and per content hash (the shallowest, then alphabetically first URL wins,
    so the choice does not depend on the order responses arrived in)."""
    ordered = sorted(pages, key=lambda page: (page.get("depth", 0), page["url"]))
    seen_urls: set[str] = set()
    seen_hashes: set[str] = set()
    rows: list[dict[str, Any]] = []
    for page in ordered:
        digest = page.get("content_hash")
        if page["url"] in seen_urls or (digest and digest in seen_hashes):
            continue
        seen_urls.add(page["url"])
        if digest:
            seen_hashes.add(digest)
        rows.append({name: page.get(name) for name in PAGE_COLUMNS})
    return rows


def finish_run(engine: Engine, run_id: int, status: str, *, stats: dict[str, Any] | None = None,
               error: str | None = None) -> None:
    """Close a run: status, end time, outcome counts per site (from its site visits)."""
    with transaction(engine) as session:
        lock_run(session, run_id)
        _record_end(session, run_id, status, stats, error)


def finish_batch(engine: Engine, run_id: int, *, stats: dict[str, Any] | None = None) -> None:
    """A batch of a distributed run (or a local crawl process's share) ended: add its stats;
    close the run when no site is left. One transaction under the run's lock, so of processes
    ending together exactly the last one closes the run."""
    with transaction(engine) as session:
        lock_run(session, run_id)
        pending = session.scalar(unfinished_count(run_id)) or 0
        failed = session.scalar(select(func.count(SiteVisit.id)).where(
            SiteVisit.run_id == run_id, SiteVisit.state == "failed")) or 0
        status = "running" if pending else "failed" if failed else "finished"
        _record_end(session, run_id, status, stats, None)


def _record_end(session: Session, run_id: int, status: str, stats: dict[str, Any] | None,
                error: str | None) -> None:
    counts = Counter(dict(session.execute(
        select(SiteVisit.outcome, func.count(SiteVisit.id))
        .where(SiteVisit.run_id == run_id, SiteVisit.state == "done")
        .group_by(SiteVisit.outcome)).all()))
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise BadInput(f"no crawl run {run_id}")
    run.status = status
    run.finished_at = None if status == "running" else utcnow()
    run.outcomes = {key: value for key, value in counts.items() if key}
    if stats is not None:
        run.stats = merge_stats(run.stats or {}, stats)
    if error is not None:
        run.error = error[:2000]


def merge_stats(merged: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """A run's stats after one more of its processes: `ecomstat/` counters add up (resumed and
    parallel processes), `peak_` figures keep the largest, the rest is replaced."""
    merged = dict(merged)
    for key, value in stats.items():
        previous = merged.get(key)
        numbers = isinstance(value, (int, float)) and isinstance(previous, (int, float))
        if numbers and key.startswith("ecomstat/"):
            merged[key] = previous + value
        elif numbers and key.startswith("peak_"):
            merged[key] = max(previous, value)
        else:
            merged[key] = value
    return merged


def lock_run(session: Session, run_id: int) -> None:
    """Take the run row's write lock (`store.lock_row`): the processes of one crawl (local
    shards, Celery workers) finish sites and batches at the same time."""
    lock_row(session, CrawlRun.sites_done, run_id)


def pending_count(engine: Engine, run_id: int) -> int:
    with transaction(engine) as session:
        return int(session.scalar(unfinished_count(run_id)) or 0)


UNFINISHED = ("pending", "claimed")  # visit states of a site not crawled yet


def unfinished_count(run_id: int) -> Any:
    """SELECT count of the run's sites not crawled yet (pending, or claimed by a process)."""
    return select(func.count(SiteVisit.id)).where(
        SiteVisit.run_id == run_id, SiteVisit.state.in_(UNFINISHED))


def run_summary(engine: Engine, run_id: int) -> dict[str, Any]:
    run = get_run(engine, run_id)
    return {
        "run_id": run.id, "spider": run.spider, "wave": run.wave, "status": run.status,
        "started_at": run.started_at, "finished_at": run.finished_at,
        "sites_total": run.sites_total, "sites_done": run.sites_done, "pages": run.pages,
        "outcomes": run.outcomes or {}, "warc_dir": run.warc_dir, "error": run.error,
    }
