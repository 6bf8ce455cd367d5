"""The two sides of a match as the store holds them: register records and the facts each crawled
site states about its owner, read as streams (one site's pages in memory at a time)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecomstat.urls import TEST_TLD, public_suffix
from ecomstat.register.country_domains import suffix_table
from ecomstat.register.extract import SiteFacts, extract_site_facts
from ecomstat.register.features import RegisterRecord
from ecomstat.register.parked import parked_reason
from ecomstat.store.models import Enterprise, Page, Website

UNUSABLE_STATUSES = ("rejected", "dead", "parked", "unreachable")
PAGE_BATCH = 500  # page rows fetched per round trip (a server-side cursor on PostgreSQL)


@lru_cache(maxsize=1)
def _country_by_suffix() -> dict[str, str]:
    out: dict[str, str] = {}
    for country, suffixes in suffix_table().items():
        for suffix in suffixes:
            if suffix != "com":
                out.setdefault(suffix, country)
    return out


def site_country(domain: str, fallback: str = "") -> str:
    """Country a site's domain suffix points at (`.de` -> DE, `.co.uk` -> GB), else fallback."""
    host = domain[: -len(TEST_TLD) - 1] if domain.endswith("." + TEST_TLD) else domain
    return _country_by_suffix().get(public_suffix(host), fallback)


def record_from_enterprise(e: Any) -> RegisterRecord:
    """The RegisterRecord of an Enterprise, or of a row of RECORD_COLUMNS."""
    return RegisterRecord(
        id=e.id, name=e.name, country=e.country or "", address=e.address or "",
        postcode=e.postcode or "", city=e.city or "", vat_id=e.vat_id or "",
        company_id=e.company_id or "", phone=e.phone or "", email=e.email or "",
        legal_form=e.legal_form or "",
    )


def load_records(session: Session) -> list[RegisterRecord]:
    return [record_from_enterprise(e) for e in session.scalars(select(Enterprise).order_by(Enterprise.id))]


# RegisterRecord fields, read as columns (no ORM object per enterprise)
RECORD_COLUMNS = (Enterprise.id, Enterprise.name, Enterprise.country, Enterprise.address,
                   Enterprise.postcode, Enterprise.city, Enterprise.vat_id, Enterprise.company_id,
                   Enterprise.phone, Enterprise.email, Enterprise.legal_form)


class SiteRow(NamedTuple):  # what site_facts reads of a website
    id: int
    url: str
    domain: str
    enterprise_id: str | None
    country: str | None


def iter_sites(session: Session, *, linked_only: bool = False) -> Iterator[SiteFacts]:
    """SiteFacts of each usable website that has fetched pages (`linked_only`: the websites
    linked to an enterprise), in website id order. Pages stream through one joined query, so
    memory holds one site's pages at a time and no statement grows with the number of sites."""
    usable = Website.status.not_in(UNUSABLE_STATUSES)
    if linked_only:
        usable = (Website.status == "linked") & Website.enterprise_id.is_not(None)
    rows = session.execute(
        select(Website.id, Website.url, Website.domain, Website.enterprise_id, Enterprise.country,
               Page.url, Page.final_url, Page.depth, Page.title, Page.text, Page.links,
               Page.structured_data)
        .join(Website, Website.id == Page.website_id)
        .outerjoin(Enterprise, Enterprise.id == Website.enterprise_id)
        .where(usable, Page.outcome == "ok")
        .order_by(Page.website_id, Page.depth, Page.id),
        execution_options={"yield_per": PAGE_BATCH})
    site: SiteRow | None = None
    site_pages: list[dict] = []
    for row in rows:
        if site is None or row[0] != site.id:
            if site_pages:
                yield _site_facts(site, site_pages)
            site, site_pages = SiteRow(*row[:5]), []
        url, final_url, depth, title, page_text, links, structured = row[5:]
        site_pages.append({"url": url, "final_url": final_url, "depth": depth, "title": title,
                           "text": page_text, "links": links, "structured_data": structured})
    if site_pages:
        yield _site_facts(site, site_pages)


def load_sites(session: Session, *, linked_only: bool = False) -> list[SiteFacts]:
    """Every site of `iter_sites` in one list (tests and small stores)."""
    return list(iter_sites(session, linked_only=linked_only))


def site_facts(website: SiteRow, site_pages: list[dict]) -> SiteFacts:
    """SiteFacts of one site from its page dicts, pages in crawl order (depth, id): what
    `load_sites` yields per site."""
    return _site_facts(website, site_pages)


def _site_facts(website: SiteRow, site_pages: list[dict]) -> SiteFacts:
    country = site_country(website.domain, website.country or "")
    facts = extract_site_facts(site_pages, country, website.domain)
    facts.site_id, facts.url, facts.attached_enterprise_id = website.id, website.url, website.enterprise_id
    home = site_pages[0]
    facts.home_final_url = home.get("final_url") or home["url"]
    link_urls = [str(link.get("url") if isinstance(link, dict) else link) for link in home.get("links") or []]
    facts.parked = parked_reason(home.get("text") or "", facts.home_final_url, link_urls)
    return facts
