"""Crawl runs that can be watched: the processes working on a run write a heartbeat and their
figures to `crawl_run_process` (the owner when it opens or resumes the run, each crawl process
every ECOMSTAT_LIVE_STATS_SECONDS through `LiveStats`), and `crawl list` / `crawl show` read them
while the run goes on.

A run is *live* when it is `running` and either one of its processes beat within
ECOMSTAT_HEARTBEAT_MISSES intervals or its owner process is alive on this host (the owner does
not beat while its crawl processes start up). A run left `running` by a killed crawl is not
live: it holds no sites, and a new crawl over them goes ahead.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from ecomstat.errors import EcomstatError
from ecomstat.settings import Settings, get_settings
from ecomstat.store import transaction
from ecomstat.store.models import CrawlRun, CrawlRunProcess, Page, SiteVisit, Website, utcnow
from ecomstat.store.upsert import upsert

HOST = socket.gethostname()
# the scheduler passes its run's id to the steps it starts, so a crawl knows who started it
CAMPAIGN_RUN_ENV = "ECOMSTAT_CAMPAIGN_RUN_ID"


class CrawlBusy(EcomstatError):
    """Sites asked for are held by a live crawl run."""


def worker() -> str:
    return f"{HOST}:{os.getpid()}"[:100]


def stale_seconds(settings: Settings | None = None) -> float:
    """Age after which a heartbeat is missed too often: the process is dead."""
    settings = settings or get_settings()
    return (settings.getfloat("ECOMSTAT_LIVE_STATS_SECONDS")
            * settings.getint("ECOMSTAT_HEARTBEAT_MISSES"))


def aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite returns naive datetimes
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def record_owner(session: Session, run_id: int) -> None:
    """This process opens (or resumes) the run: its heartbeat row, with the scheduler's run."""
    campaign_run = os.environ.get(CAMPAIGN_RUN_ENV, "")
    now = utcnow()
    upsert(session, CrawlRunProcess, [{
        # a row of its own even when this process also crawls (a spider that opened its run)
        "run_id": run_id, "worker": f"{worker()}/owner", "role": "owner", "host": HOST,
        "pid": os.getpid(),
        "started_at": now, "heartbeat_at": now, "closed_at": None,
        "campaign_run_id": int(campaign_run) if campaign_run.isdigit() else None,
    }], keys=["run_id", "worker"])


def beat(engine: Engine, run_id: int, *, stats: dict[str, Any], rss_bytes: int | None,
         pages_per_second: float | None, closed: bool = False) -> None:
    """A crawl process's heartbeat and figures (idempotent upsert on run and process)."""
    now = utcnow()
    with transaction(engine) as session:
        upsert(session, CrawlRunProcess, [{
            "run_id": run_id, "worker": worker(), "role": "crawler", "host": HOST,
            "pid": os.getpid(), "heartbeat_at": now, "closed_at": now if closed else None,
            "rss_bytes": rss_bytes, "pages_per_second": 0.0 if closed else pages_per_second,
            "stats": stats,
        }], keys=["run_id", "worker"], update_columns=[
            "heartbeat_at", "closed_at", "rss_bytes", "pages_per_second", "stats"])


def process_is_live(row: CrawlRunProcess, now: dt.datetime, stale: float) -> bool:
    if row.closed_at is not None:
        return False
    if row.host == HOST and not pid_alive(row.pid):
        return False
    if row.role == "owner" and row.host == HOST:
        return True  # alive (checked above): it may be waiting for its crawl processes to start
    beat_at = aware(row.heartbeat_at)
    return beat_at is not None and (now - beat_at).total_seconds() < stale


def live_run_ids(session: Session, *, now: dt.datetime | None = None,
                 stale: float | None = None, exclude: int | None = None) -> list[int]:
    """Running runs with a live process, oldest first."""
    now = now or utcnow()
    stale = stale_seconds() if stale is None else stale
    running = session.scalars(select(CrawlRun.id).where(CrawlRun.status == "running")).all()
    running = [run_id for run_id in running if run_id != exclude]
    if not running:
        return []
    rows = session.scalars(select(CrawlRunProcess).where(
        CrawlRunProcess.run_id.in_(running))).all()
    return sorted({row.run_id for row in rows if process_is_live(row, now, stale)})


RUN_START_LOCK = 0x65636F6D  # PostgreSQL advisory lock key of "a crawl run is being opened"


def serialise_run_starts(session: Session) -> None:
    """Two crawls starting at once must see each other. PostgreSQL: a transaction-scoped
    advisory lock; SQLite: the caller writes its run row before looking (the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_START_LOCK})


def refuse_if_held(session: Session, website_ids: Sequence[int], *,
                   exclude: int | None = None,
                   resume_command: str = "ecomstat crawl sites --resume") -> None:
    """CrawlBusy naming the live run that holds any of `website_ids` (not crawled by it yet)."""
    live = live_run_ids(session, exclude=exclude)
    if not live or not website_ids:
        return
    wanted = list(website_ids)
    for run_id in live:
        held = 0
        for start in range(0, len(wanted), 10_000):
            held += session.scalar(select(func.count(SiteVisit.id)).where(
                SiteVisit.run_id == run_id, SiteVisit.state.in_(("pending", "claimed")),
                SiteVisit.website_id.in_(wanted[start:start + 10_000]))) or 0
        if held:
            raise CrawlBusy(
                f"crawl run {run_id} is running and holds {held} of these sites: watch it with "
                f"`ecomstat crawl show {run_id}`, wait for it to end, or after it stopped "
                f"continue it with `{resume_command}`")


def refuse_if_live(session: Session, run_id: int) -> None:
    """CrawlBusy when crawl processes of `run_id` still beat: a resume puts the sites they have
    claimed back in the queue, so they would be crawled twice. (Only crawl processes count
    here: the sites of a run whose owner lives but whose crawl processes are gone are free;
    two owners of one run share its queue of pending sites, each site claimed once.)"""
    now, stale = utcnow(), stale_seconds()
    rows = session.scalars(select(CrawlRunProcess).where(
        CrawlRunProcess.run_id == run_id, CrawlRunProcess.role == "crawler")).all()
    if any(process_is_live(row, now, stale) for row in rows):
        raise CrawlBusy(f"crawl run {run_id} is still running (its processes beat): watch it "
                        f"with `ecomstat crawl show {run_id}`; --resume continues it once it "
                        "has stopped")


def resume_command(spider: str) -> str:
    """The command that resumes a run of `spider`."""
    return "ecomstat crawl shops --resume" if spider == "shop_listing" \
        else "ecomstat crawl sites --resume"


# --- reading the figures ---


@dataclass
class RunFigures:
    run: CrawlRun
    live: bool
    processes: list[CrawlRunProcess]
    states: dict[str, int]

    @property
    def state(self) -> str:
        """running | stalled (left running by a killed crawl) | the run's final status."""
        if self.run.status == "running":
            return "running" if self.live else "stalled"
        return self.run.status

    def crawlers(self) -> list[CrawlRunProcess]:
        return [p for p in self.processes if p.role == "crawler"]

    def counter(self, prefix: str) -> dict[str, int]:
        """Sum over the run's crawl processes of the stats named `prefix<key>`."""
        total: Counter[str] = Counter()
        for process in self.crawlers():
            for key, value in (process.stats or {}).items():
                if key.startswith(prefix) and "/" not in key[len(prefix):] \
                        and isinstance(value, (int, float)):
                    total[key[len(prefix):]] += int(value)
        return dict(total)

    def stat(self, name: str) -> float:
        return float(sum((p.stats or {}).get(name, 0) or 0 for p in self.crawlers()))

    def pages_per_second(self) -> float:
        now = utcnow()
        stale = stale_seconds()
        return round(sum(p.pages_per_second or 0.0 for p in self.crawlers()
                         if process_is_live(p, now, stale)), 2)

    def rss_bytes(self) -> int:
        now = utcnow()
        stale = stale_seconds()
        return sum(p.rss_bytes or 0 for p in self.crawlers() if process_is_live(p, now, stale))

    def campaign_run_id(self) -> int | None:
        return next((p.campaign_run_id for p in self.processes
                     if p.role == "owner" and p.campaign_run_id), None)

    def summary(self) -> dict[str, Any]:
        run = self.run
        fetched = self.stat("ecomstat/pages")
        rendered = self.stat("ecomstat/render/pages")
        return {
            "run_id": run.id, "spider": run.spider, "state": self.state,
            "started_at": run.started_at, "finished_at": run.finished_at,
            "campaign_run": self.campaign_run_id(),
            "sites_total": run.sites_total, "sites_done": self.states.get("done", 0),
            "sites_pending": self.states.get("pending", 0) + self.states.get("claimed", 0),
            "sites_failed": self.states.get("failed", 0),
            "pages": run.pages, "pages_fetched": int(fetched),
            "pages_per_second": self.pages_per_second(),
            "render_share": round(rendered / fetched, 3) if fetched else None,
            "memory_mb": round(self.rss_bytes() / 2**20, 1),
            "processes": sum(1 for p in self.crawlers() if p.closed_at is None
                             and process_is_live(p, utcnow(), stale_seconds())),
        }


def _figures(session: Session, runs: Iterable[CrawlRun], now: dt.datetime) -> list[RunFigures]:
    runs = list(runs)
    ids = [run.id for run in runs]
    if not ids:
        return []
    processes: dict[int, list[CrawlRunProcess]] = {run_id: [] for run_id in ids}
    for row in session.scalars(select(CrawlRunProcess).where(CrawlRunProcess.run_id.in_(ids))
                               .order_by(CrawlRunProcess.id)):
        processes[row.run_id].append(row)
    states: dict[int, dict[str, int]] = {run_id: {} for run_id in ids}
    for run_id, state, count in session.execute(
            select(SiteVisit.run_id, SiteVisit.state, func.count(SiteVisit.id))
            .where(SiteVisit.run_id.in_(ids)).group_by(SiteVisit.run_id, SiteVisit.state)):
        states[run_id][state] = count
    stale = stale_seconds()
    result = []
    for run in runs:
        live = run.status == "running" and any(
            process_is_live(p, now, stale) for p in processes[run.id])
        result.append(RunFigures(run, live, processes[run.id], states[run.id]))
    session.expunge_all()
    return result


def list_runs(engine: Engine, *, running: bool = False, limit: int = 20,
              now: dt.datetime | None = None) -> list[RunFigures]:
    """The newest runs (or only the live ones) with their figures."""
    now = now or utcnow()
    with transaction(engine) as session:
        query = select(CrawlRun).order_by(CrawlRun.id.desc())
        if running:
            ids = live_run_ids(session, now=now)
            query = query.where(CrawlRun.id.in_(ids))
        else:
            query = query.limit(limit)
        return _figures(session, session.scalars(query).all(), now)


def runs_of_campaign_runs(engine: Engine, campaign_run_ids: Sequence[int]) -> dict[int, list[RunFigures]]:
    """The crawl runs that steps of these scheduler runs opened, with their figures."""
    if not campaign_run_ids:
        return {}
    now = utcnow()
    with transaction(engine) as session:
        pairs = session.execute(select(CrawlRunProcess.campaign_run_id, CrawlRunProcess.run_id)
                                .where(CrawlRunProcess.campaign_run_id.in_(list(campaign_run_ids)),
                                       CrawlRunProcess.role == "owner")).all()
        runs = session.scalars(select(CrawlRun).where(
            CrawlRun.id.in_({run_id for _, run_id in pairs})).order_by(CrawlRun.id)).all()
        by_id = {figures.run.id: figures for figures in _figures(session, runs, now)}
    result: dict[int, list[RunFigures]] = {}
    for campaign_run, run_id in sorted(set(pairs)):
        result.setdefault(campaign_run, []).append(by_id[run_id])
    return result


def show_run(engine: Engine, run_id: int, *, error_sites: int = 20) -> tuple[RunFigures, dict[str, Any]]:
    """One run's figures, and its detail: outcomes (sites, pages, HTTP statuses), errors per
    site (the sites with most failed pages first), its processes."""
    from ecomstat.errors import BadInput

    now = utcnow()
    with transaction(engine) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise BadInput(f"no crawl run {run_id} (see `ecomstat crawl list`)")
        [figures] = _figures(session, [run], now)
        site_outcomes = dict(session.execute(
            select(SiteVisit.outcome, func.count(SiteVisit.id))
            .where(SiteVisit.run_id == run_id, SiteVisit.state == "done")
            .group_by(SiteVisit.outcome)).all())
        errors = _errors_per_site(session, run_id, error_sites)
    detail = {
        "site_outcomes": {k: v for k, v in site_outcomes.items() if k},
        "page_outcomes": figures.counter("ecomstat/outcome/"),
        "http_status": figures.counter("downloader/response_status_count/"),
        "errors_per_site": errors,
        "workers": [{"worker": p.worker, "role": p.role, "heartbeat_at": p.heartbeat_at,
                       "closed": p.closed_at is not None,
                       "live": process_is_live(p, now, stale_seconds()),
                       "memory_mb": round((p.rss_bytes or 0) / 2**20, 1),
                       "pages_per_second": p.pages_per_second}
                      for p in figures.processes],
    }
    return figures, detail


def _errors_per_site(session: Session, run_id: int, limit: int) -> list[dict[str, Any]]:
    """Sites of the run whose home page failed or that have failed pages, most errors first."""
    failed_pages = dict(session.execute(
        select(Page.website_id, func.count(Page.id))
        .where(Page.run_id == run_id, Page.outcome != "ok").group_by(Page.website_id)).all())
    bad_visits = dict(session.execute(
        select(SiteVisit.website_id, SiteVisit.outcome).where(
            SiteVisit.run_id == run_id, SiteVisit.state.in_(("done", "failed")),
            (SiteVisit.outcome != "ok") | SiteVisit.outcome.is_(None),
            ~((SiteVisit.state == "done") & SiteVisit.outcome.is_(None)))).all())
    ids = sorted(set(failed_pages) | set(bad_visits),
                 key=lambda wid: (-failed_pages.get(wid, 0), wid))[:limit]
    urls = dict(session.execute(select(Website.id, Website.url).where(Website.id.in_(ids))).all())
    return [{"website_id": wid, "url": urls.get(wid), "site_outcome": bad_visits.get(wid, "ok"),
             "failed_pages": failed_pages.get(wid, 0)} for wid in ids]


# --- this process's memory ---


def tree_rss_bytes(pid: int | None = None) -> int | None:
    """Resident memory of the process and its descendants (Chromium renderers, say), from /proc;
    None where /proc is missing."""
    pid = os.getpid() if pid is None else pid
    proc = Path("/proc")
    if not (proc / str(pid) / "statm").exists():
        return None
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += int((proc / str(current) / "statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(children.get(current, []))
    return total
