"""The site visits of a run are its queue of sites. A crawl process claims the next pending sites
when it has room for them (`claim_sites`), so the processes of one crawl share the work however
slow some sites are (a JavaScript shop takes many times longer than a plain site), and a site is
crawled by one process at a time (per-site politeness).

States of a visit: pending -> claimed (by the process "host:pid" in `worker`) -> done, written
with the site's pages in one transaction (`spiders.runs.write_sites`). A claimed site whose
process died goes back to pending (`release_claims`): on `--resume` for a local crawl, and when a
distributed batch is delivered again. A batch that failed too often leaves its sites `failed`
(`fail_sites`); `--resume` crawls them again.

Claims are taken under the run row's write lock (`spiders.runs.lock_run`, the same lock the
store writes take): a row lock on PostgreSQL, the database write lock on SQLite, so two
processes never claim the same site and nothing is read before the lock is held.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Collection, Sequence

from sqlalchemy import Engine, func, select, update

from ecomstat.spiders.runs import UNFINISHED, lock_run, unfinished_count
from ecomstat.store import transaction
from ecomstat.store.models import CrawlRun, SiteVisit, Website, utcnow


def worker_name() -> str:
    """This process, as recorded in the visits it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim_sites(engine: Engine, run_id: int, worker: str, limit: int, *, share: int = 1,
                website_ids: Collection[int] | None = None) -> list[tuple[int, str]]:
    """Claim up to `limit` pending sites of the run (lowest ids first) for `worker`; returns
    their (website id, home URL). `share`: how many processes draw from the queue; one claim
    takes at most its fair part of what is left, so the last sites are not all taken by one.
    `website_ids`: only these sites (a distributed batch)."""
    if limit < 1:
        return []
    with transaction(engine) as session:
        lock_run(session, run_id)
        pending = (SiteVisit.run_id == run_id) & (SiteVisit.state == "pending")
        if website_ids is not None:
            pending = pending & SiteVisit.website_id.in_(list(website_ids))
        if share > 1:
            left = session.scalar(select(func.count(SiteVisit.id)).where(pending)) or 0
            limit = min(limit, max(1, -(-left // share)))
        rows = session.execute(select(SiteVisit.id, SiteVisit.website_id).where(pending)
                               .order_by(SiteVisit.website_id).limit(limit)).all()
        if not rows:
            return []
        session.execute(update(SiteVisit).where(SiteVisit.id.in_([row[0] for row in rows]))
                        .values(state="claimed", worker=worker))
        ids = [row[1] for row in rows]
        urls = dict(session.execute(select(Website.id, Website.url)
                                    .where(Website.id.in_(ids))).all())
    return [(website_id, urls[website_id]) for website_id in ids]


def release_claims(engine: Engine, run_id: int, *, worker: str | None = None,
                   website_ids: Collection[int] | None = None) -> int:
    """Claimed, unfinished sites back to pending (all of the run's, or `worker`'s, or those of
    `website_ids`); how many."""
    condition = (SiteVisit.run_id == run_id) & (SiteVisit.state == "claimed")
    if worker is not None:
        condition = condition & (SiteVisit.worker == worker)
    if website_ids is not None:
        condition = condition & SiteVisit.website_id.in_(list(website_ids))
    with transaction(engine) as session:
        lock_run(session, run_id)
        return int(session.execute(update(SiteVisit).where(condition)
                                   .values(state="pending")).rowcount or 0)


def fail_sites(engine: Engine, run_id: int, website_ids: Collection[int], reason: str) -> int:
    """The unfinished sites of `website_ids` are given up: state failed, the reason added to the
    run's error, the run closed (failed) when no site is left to crawl. How many sites."""
    with transaction(engine) as session:
        lock_run(session, run_id)
        failed = int(session.execute(update(SiteVisit).where(
            SiteVisit.run_id == run_id, SiteVisit.state.in_(UNFINISHED),
            SiteVisit.website_id.in_(list(website_ids))).values(
            state="failed", finished_at=utcnow())).rowcount or 0)
        run = session.get(CrawlRun, run_id)
        if run is not None and failed:
            run.error = "; ".join(part for part in (run.error, reason) if part)[:2000]
            left = session.scalar(unfinished_count(run_id)) or 0
            if not left:
                run.status, run.finished_at = "failed", utcnow()
    return failed


def visit_states(engine: Engine, run_id: int) -> Counter[str]:
    """How many of the run's sites are in each state."""
    with transaction(engine) as session:
        return Counter(dict(session.execute(
            select(SiteVisit.state, func.count(SiteVisit.id))
            .where(SiteVisit.run_id == run_id).group_by(SiteVisit.state)).all()))


def unfinished_sites(engine: Engine, run_id: int,
                     website_ids: Sequence[int] | None = None) -> list[tuple[int, str, str | None]]:
    """(website id, state, worker) of the run's sites still pending or claimed."""
    query = select(SiteVisit.website_id, SiteVisit.state, SiteVisit.worker).where(
        SiteVisit.run_id == run_id, SiteVisit.state.in_(UNFINISHED))
    if website_ids is not None:
        query = query.where(SiteVisit.website_id.in_(list(website_ids)))
    with transaction(engine) as session:
        return [tuple(row) for row in session.execute(query.order_by(SiteVisit.website_id))]


def describe_unfinished(rows: Sequence[tuple[int, str, str | None]]) -> str:
    """"3 pending, 2 claimed by host:41 (sites 4, 7, 9, ...)" for a report."""
    states = Counter(state for _id, state, _worker in rows)
    workers = sorted({worker for _id, state, worker in rows if state == "claimed" and worker})
    parts = [f"{count} {state}" for state, count in sorted(states.items())]
    text = ", ".join(parts) + (f" by {', '.join(workers)}" if workers else "")
    ids = [str(row[0]) for row in rows]
    return f"{text} (sites {', '.join(ids[:8])}{', ...' if len(ids) > 8 else ''})"
