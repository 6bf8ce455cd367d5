"""Reads for the operator pages that the library has no function for: a crawl run's sites page
by page, a stored page's snapshot, whether a campaign has a run going on; and starting a
campaign run the way `ecomstat schedule run-now` does, without blocking the web request.

Everything else the operator pages show comes from the functions the CLI calls
(`scheduler.campaigns.status/history/get`, `scheduler.liveness.scheduler_state`,
`spiders.live.list_runs/show_run/runs_of_campaign_runs`)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ecomstat.encoding import decode_html
from ecomstat.errors import BadInput, EcomstatError
from ecomstat.settings import DEFAULTS, Settings
from ecomstat.store.models import Campaign, CampaignRun, Page, SiteVisit, Website

log = logging.getLogger(__name__)

SITES_PER_PAGE = 50
# A stored page is shown whole up to this many characters (a hostile or huge page must not make
# the web page unusable); the raw view has the same cap.
SNAPSHOT_CHARS = 400_000


@dataclass
class SiteRow:
    website_id: int
    url: str
    state: str
    outcome: str | None
    pages: int
    failed_pages: int
    finished_at: Any
    page_id: int | None  # the site's first stored page of this run (its home page), if any


def run_sites(engine: Engine, run_id: int, *, page: int = 1, per_page: int = SITES_PER_PAGE,
              problems_only: bool = False) -> tuple[list[SiteRow], int]:
    """One page of a crawl run's sites (paged in SQL: a national run has 100k sites) with their
    outcome, stored and failed pages and the first stored page; and the number of sites."""
    if page < 1:
        raise BadInput("page must be 1 or more")
    where = [SiteVisit.run_id == run_id]
    if problems_only:
        where.append((SiteVisit.outcome != "ok") | SiteVisit.outcome.is_(None))
    with Session(engine) as session:
        total = session.scalar(select(func.count(SiteVisit.id)).where(*where)) or 0
        visits = session.execute(
            select(SiteVisit.website_id, Website.url, SiteVisit.state, SiteVisit.outcome,
                   SiteVisit.pages, SiteVisit.finished_at)
            .join(Website, Website.id == SiteVisit.website_id).where(*where)
            .order_by(SiteVisit.id).limit(per_page).offset((page - 1) * per_page)).all()
        ids = [v.website_id for v in visits]
        failed: dict[int, int] = {}
        if ids:
            failed = dict(session.execute(  # type: ignore[arg-type]
                select(Page.website_id, func.count(Page.id))
                .where(Page.run_id == run_id, Page.website_id.in_(ids), Page.outcome != "ok")
                .group_by(Page.website_id)).all())
    first = first_pages(engine, run_id, ids)
    rows = [SiteRow(v.website_id, v.url, v.state, v.outcome, v.pages or 0, failed.get(v.website_id, 0),
                    v.finished_at, first.get(v.website_id)) for v in visits]
    return rows, total


def first_pages(engine: Engine, run_id: int, website_ids: list[int]) -> dict[int, int]:
    """Website id -> its first stored page of the run (the home page), for these sites."""
    if not website_ids:
        return {}
    with Session(engine) as session:
        return dict(session.execute(  # type: ignore[arg-type]
            select(Page.website_id, func.min(Page.id))
            .where(Page.run_id == run_id, Page.website_id.in_(website_ids)).group_by(Page.website_id)).all())


@dataclass
class Snapshot:
    page_id: int
    website_id: int
    url: str
    final_url: str | None
    http_status: int | None
    outcome: str
    fetched_at: Any
    title: str | None
    rendered: bool
    content_type: str | None
    source: str  # "html" (the WARC record as received) | "text" (the extracted text only) | "none"
    body: str
    truncated: bool


def _page_html(page: Page) -> str | None:
    """The page's HTML as the crawler received it (or the DOM the browser produced), from its
    WARC record; None when it has none or the file is gone."""
    if not page.warc_file or page.warc_offset is None or not Path(page.warc_file).exists():
        return None
    from ecomstat.store.warc import read_html

    try:
        body = read_html(page.warc_file, page.warc_offset)
    except EcomstatError:
        return None
    return decode_html(body, page.content_type).text


def snapshot(engine: Engine, page_id: int) -> Snapshot:
    """A stored page: its HTML source from the WARC file when kept, else its extracted text."""
    with Session(engine) as session:
        page = session.get(Page, page_id)
        if page is None:
            raise BadInput(f"no stored page {page_id}")
        session.expunge(page)
    html = _page_html(page)
    source, body = ("html", html) if html is not None else \
        ("text", page.text) if page.text else ("none", "")
    return Snapshot(page.id, page.website_id, page.url, page.final_url, page.http_status, page.outcome,
                    page.fetched_at, page.title, bool(page.rendered), page.content_type, source,
                    body[:SNAPSHOT_CHARS], len(body) > SNAPSHOT_CHARS)


def page_for_url(engine: Engine, url: str, website_id: int | None = None) -> int | None:
    """The newest stored page fetched at `url` (or redirected to it), of `website_id` if given."""
    where = [(Page.url == url) | (Page.final_url == url)]
    if website_id is not None:
        where.append(Page.website_id == website_id)
    with Session(engine) as session:
        return session.scalar(select(Page.id).where(*where)
                              .order_by(Page.fetched_at.desc(), Page.id.desc()).limit(1))


def running_run(engine: Engine, name: str) -> int | None:
    """The id of the campaign's run going on now, if any (`campaign_run.status` running)."""
    with Session(engine) as session:
        return session.scalar(select(CampaignRun.id).join(Campaign, Campaign.id == CampaignRun.campaign_id)
                              .where(Campaign.name == name, CampaignRun.status == "running")
                              .order_by(CampaignRun.id.desc()).limit(1))


def _environment(settings: Settings) -> dict[str, str]:
    """The server's environment plus the settings it was started with (`ecomstat serve`'s own
    overrides, e.g. a host map), so the run uses the configuration the operator sees."""
    env = dict(os.environ)
    for key in settings:
        value = settings[key]
        if key in os.environ or value == DEFAULTS.get(key) or value is None:
            continue
        env[key] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return env


@dataclass
class Launch:
    """A "run now" started from this server: `failure` is the last line the process printed
    when it ended with an error (before it could record its run, the page has nothing else)."""

    process: subprocess.Popen[bytes]
    failure: str | None = None
    ended: threading.Event = field(default_factory=threading.Event)


_LAUNCHES: dict[str, Launch] = {}


def launch_failure(name: str) -> str | None:
    """Why the latest "run now" of campaign `name` from this server ended in an error, if it did."""
    launch = _LAUNCHES.get(name)
    return launch.failure if launch is not None else None


def start_run_now(settings: Settings, name: str) -> Launch:
    """Start `ecomstat schedule run-now NAME` in its own process and session and return at once:
    the run is the CLI's (claims, steps, heartbeat, history), it outlives a web-server restart,
    and a SIGTERM to the web server does not reach it. A thread reaps it (no zombie) and keeps
    the error line of a process that failed, so the campaign page can say why no run appeared."""
    argv = [sys.executable, "-m", "ecomstat", "--db", settings.database_url, "schedule", "run-now", name]
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True,
                               env=_environment(settings), close_fds=True)
    launch = Launch(process)
    _LAUNCHES[name] = launch

    def reap() -> None:
        _, err = process.communicate()
        if process.returncode != 0:
            text = err.decode("utf-8", "replace").strip()
            lines = [line for line in text.splitlines() if line.strip()]
            launch.failure = (lines[-1] if lines else f"exit code {process.returncode}")[:500]
            log.warning("run-now %s exited %s: %s", name, process.returncode, text[-2000:])
        launch.ended.set()

    threading.Thread(target=reap, name=f"run-now {name}", daemon=True).start()
    return launch
