"""`enterprise_site`: the home page of each website plus up to `max_pages` pages (default 25),
depth 2, same registered domain, best-ranked links first (imprint, contact, about, shop, cart,
checkout, terms, careers; preferred languages).

Pages are chosen level by level: the next level's links are ranked only once every page of the
current level has been fetched or has failed, so the pages a site ends up with do not depend on
the order responses arrive in. That is what lets a killed run, resumed, end with exactly the
pages of an uninterrupted one.

    scrapy crawl enterprise_site -a urls=https://example.com,https://example.org
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy.http import Response

from ecomstat.errors import BadInput
from ecomstat.urls import registered_domain
from ecomstat.spiders import outcomes
from ecomstat.spiders.claims import claim_sites, release_claims, worker_name
from ecomstat.encoding import decode_html
from ecomstat.spiders.extract import PageContent, extract_page, warm_up
from ecomstat.spiders.items import PageItem, SiteDone
from ecomstat.spiders.links import rank_links
from ecomstat.spiders.runs import create_run, select_websites
from ecomstat.spiders.traps import TrapDetector
from ecomstat.store import make_engine, upgrade


OPEN_SITES_PER_REQUEST = 2  # sites a crawl process keeps open per concurrent request


@dataclass
class SiteState:
    website_id: int
    home_url: str
    domains: set[str]
    outcome: str = outcomes.OK
    outstanding: int = 0
    scheduled: int = 0
    emitted: int = 0
    seen: set[str] = field(default_factory=set)
    candidates: dict[str, float] = field(default_factory=dict)
    next_depth: int = 1


class EnterpriseSiteSpider(scrapy.Spider):
    name = "enterprise_site"
    max_pages_setting = "ECOMSTAT_MAX_PAGES"
    max_depth_setting = "ECOMSTAT_MAX_DEPTH"
    store_pages = True  # page rows (the shop spider stores products instead)

    def __init__(self, run_id: str | None = None, urls: str | None = None,
                 max_pages: str | None = None, max_depth: str | None = None,
                 website_ids: str | None = None, shard: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_id = int(run_id) if run_id else None
        self._urls = [u for u in (urls or "").split(",") if u.strip()]
        # a batch of a distributed run: only these sites of the run (None = all pending)
        self.website_ids = {int(i) for i in website_ids.split(",") if i.strip()} \
            if website_ids else None
        # "K/N": this is process K of the N processes of one crawl; they all claim the run's
        # pending sites from one queue (spiders.claims), as each has room for more
        self.shard = parse_shard(shard) if shard else None
        self.worker = worker_name()
        self._room: asyncio.Event | None = None  # set when a site ends: room to claim more
        self._max_pages = max_pages
        self._max_depth = max_depth
        self.sites: dict[int, SiteState] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> EnterpriseSiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_pages = max(1, int(spider._max_pages or settings.getint(cls.max_pages_setting)))
        spider.max_depth = max(0, int(spider._max_depth if spider._max_depth is not None
                                      else settings.getint(cls.max_depth_setting)))
        spider.max_text_chars = settings.getint("ECOMSTAT_MAX_TEXT_CHARS") or 20000
        # sites open at once: enough that the downloader always has requests of open sites
        # (a site waits on its politeness delay and between its levels), few enough that the
        # other processes of the crawl get their share of the queue
        spider.open_sites = max(2, OPEN_SITES_PER_REQUEST * settings.getint("CONCURRENT_REQUESTS"))
        spider.languages = tuple(settings.getlist("ECOMSTAT_PREFERRED_LANGUAGES") or ["en"])
        spider.traps = TrapDetector(settings.getint("URLLENGTH_LIMIT") or 2048)
        spider.engine = make_engine(settings.get("ECOMSTAT_DATABASE_URL"))
        warm_up()  # imports and language model now, not while the first responses wait
        if spider.run_id is None:
            # `scrapy crawl enterprise_site -a urls=...`: a run of its own
            upgrade(spider.engine)
            ids = select_websites(spider.engine, "urls", urls=spider._urls) if spider._urls \
                else select_websites(spider.engine, "all")
            spider.run_id = create_run(spider.engine, cls.name, ids,
                                       {"max_pages": spider.max_pages})
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Home pages of the sites this process claims from the run's queue as its open sites
        end (the engine keeps the spider open while this generator waits); done when the queue
        (or the batch) has no pending site left. Of several processes, each claims at most its
        fair part of what is left and then waits for one of its sites to end, so the first
        process to start does not take every site."""
        share = self.shard[1] if self.shard is not None else 1
        refill = max(1, self.open_sites // 4)  # claim in groups: one transaction per group
        self._room = asyncio.Event()
        claimed_last = False
        while True:
            room = self.open_sites - len(self.sites)
            if self.sites and (room < refill or (claimed_last and share > 1)):
                self._room.clear()  # no await since `room` was read: no end is missed
                await self._room.wait()
                claimed_last = False
                continue
            claimed = await asyncio.to_thread(
                claim_sites, self.engine, self.run_id, self.worker, room, share=share,
                website_ids=self.website_ids)
            if not claimed:
                return
            claimed_last = True
            self.crawler.stats.inc_value("ecomstat/claims")
            for website_id, url in claimed:
                site = SiteState(website_id, url, {registered_domain(url)})
                self.sites[website_id] = site
                yield self._request(site, url, 0)

    def _request(self, site: SiteState, url: str, depth: int) -> scrapy.Request:
        site.seen.add(url)
        site.scheduled += 1
        site.outstanding += 1
        return scrapy.Request(
            url, callback=self.parse_page, errback=self.page_failed, dont_filter=True,
            priority=depth * 10,  # finish started sites before opening new ones
            meta={"website_id": site.website_id, "depth": depth, "ecomstat_vetted_url": url},
        )

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        site = self.sites[meta["website_id"]]
        depth = meta["depth"]
        rendered = bool(meta.get("ecomstat_rendered"))  # set by spiders.middlewares.render
        stats = self.crawler.stats
        outcome = outcomes.OK if response.status < 400 else outcomes.HTTP_ERROR
        stats.inc_value(f"ecomstat/outcome/{outcome}")
        stats.inc_value("ecomstat/pages")
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        content = await self.extract(decode_html(response.body, content_type).text, response.url)
        for output in self._page_done(response, site, depth, outcome, rendered, content):
            yield output

    async def extract(self, html: str, url: str) -> PageContent:
        return extract_page(html, url, max_text_chars=self.max_text_chars)

    def _page_done(self, response: Response, site: SiteState, depth: int, outcome: str,
                   rendered: bool, content: PageContent) -> Iterator[Any]:
        """The page's items, its links as candidates of the next level, the site's advance."""
        request_url = response.request.meta.get("ecomstat_vetted_url", response.url) \
            if response.request else response.url
        if depth == 0:
            site.outcome = outcome
            site.domains.add(registered_domain(response.url))
        yield from self.page_items(response, site, request_url, depth, outcome, rendered, content)
        if outcome == outcomes.OK and depth < self.max_depth:
            for link in content.links:
                url = link["url"]
                if url in site.seen or registered_domain(url) not in site.domains:
                    continue
                score = self.link_score(link)
                if score is not None:
                    previous = site.candidates.get(url)
                    if previous is None or score > previous:
                        site.candidates[url] = score
        yield from self._advance(site)

    def page_items(self, response: Response, site: SiteState, request_url: str, depth: int,
                   outcome: str, rendered: bool, content: Any) -> Iterator[Any]:
        """What a fetched page becomes: here one page row (the shop spider yields products)."""
        site.emitted += 1
        yield PageItem(
            website_id=site.website_id, url=request_url, depth=depth, outcome=outcome,
            final_url=response.url, http_status=response.status,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1")[:100],
            content_hash=content.content_hash, rendered=rendered, title=content.title,
            language=content.language, text=content.text, links=content.links,
            structured_data=content.structured_data or None, fetched_at=_now(),
            raw_body=response.body, raw_headers=_headers(response),
        )

    def link_score(self, link: dict[str, str]) -> float | None:
        """How much a link is worth following; None = never."""
        ranked = rank_links([link], self.languages)
        return ranked[0][0] if ranked else None

    def page_failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        site = self.sites.get(request.meta.get("website_id"))
        if site is None:
            return
        outcome = outcomes.outcome_of_failure(failure)
        self.crawler.stats.inc_value(f"ecomstat/outcome/{outcome}")
        depth = request.meta.get("depth", 0)
        if depth == 0:
            site.outcome = outcome
        if self.store_pages:
            site.emitted += 1
            yield PageItem(website_id=site.website_id, url=request.meta.get(
                "ecomstat_vetted_url", request.url), depth=depth, outcome=outcome,
                rendered=bool(request.meta.get("ecomstat_rendered")), fetched_at=_now())
        yield from self._advance(site)

    def _advance(self, site: SiteState) -> Iterator[Any]:
        """One fetch of `site` ended; when its level is complete, schedule the next level or
        declare the site done."""
        site.outstanding -= 1
        if site.outstanding > 0:
            return
        ranked = sorted(site.candidates.items(), key=lambda pair: (-pair[1], pair[0]))
        site.candidates = {}
        depth = site.next_depth
        site.next_depth += 1
        requests = []
        for url, _score in ranked:
            if site.scheduled >= self.max_pages:
                break
            if url in site.seen:
                continue
            reason = self.traps.reason(url)
            if reason:
                site.seen.add(url)
                self.crawler.stats.inc_value(f"ecomstat/outcome/{outcomes.TRAP}")
                self.crawler.stats.inc_value(f"ecomstat/trap/{reason}")
                continue
            requests.append(self._request(site, url, depth))
        if requests:
            yield from requests
            return
        del self.sites[site.website_id]
        if self._room is not None:
            self._room.set()
        self.crawler.stats.inc_value("ecomstat/sites")
        yield SiteDone(site.website_id, site.outcome, site.emitted)

    def closed(self, reason: str) -> None:
        if reason != "finished" and self.run_id is not None:
            # interrupted: the sites this process claimed and did not store are pending again
            # (stored ones are done: the pipelines have written everything before this runs)
            release_claims(self.engine, self.run_id, worker=self.worker)
        self.engine.dispose()


def parse_shard(text: str) -> tuple[int, int]:
    """"K/N" -> (K, N), with 0 <= K < N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise BadInput(f"shard must look like K/N, got {text!r}") from None
    if not 0 <= index < count:
        raise BadInput(f"shard {text!r}: need 0 <= K < N")
    return index, count


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _headers(response: Response) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items() for value in values]
