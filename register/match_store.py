"""Matching on the store: read the register and the crawled pages, link websites to enterprises.

Reads enterprise rows and the pages of every website that answered (not dead, parked,
rejected), extracts what each site says about its owner (imprint, contact and about pages
first), scores blocked pairs and writes the links in one transaction. Re-running gives the
same links (idempotent); a link made by hand (found_by 'manual') is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ecomstat.errors import ConfigurationError
from ecomstat.settings import Settings
from ecomstat.urls import TEST_TLD, public_suffix, registered_domain
from ecomstat.register.blocklist import load_webmail
from ecomstat.register.country_domains import suffix_table
from ecomstat.register.extract import SiteFacts, extract_site_facts
from ecomstat.register.features import RegisterRecord
from ecomstat.register.matching import evidence, match_records
from ecomstat.register.parked import parked_reason
from ecomstat.register.scorer import MatchScorer
from ecomstat.store.models import Enterprise, Page, Website
from ecomstat.store.registry import upsert_model

UNUSABLE_STATUSES = ("rejected", "dead", "parked", "unreachable")


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


def record_from_enterprise(e: Enterprise) -> RegisterRecord:
    return RegisterRecord(
        id=e.id, name=e.name, country=e.country or "", address=e.address or "",
        postcode=e.postcode or "", city=e.city or "", vat_id=e.vat_id or "",
        company_id=e.company_id or "", phone=e.phone or "", email=e.email or "",
        legal_form=e.legal_form or "",
    )


def load_records(session: Session) -> list[RegisterRecord]:
    return [record_from_enterprise(e) for e in session.scalars(select(Enterprise).order_by(Enterprise.id))]


PAGE_BATCH = 500  # page rows fetched per round trip (a server-side cursor on PostgreSQL)


def load_sites(session: Session, *, linked_only: bool = False) -> list[SiteFacts]:
    """SiteFacts for every usable website that has fetched pages (`linked_only`: the websites
    linked to an enterprise). Pages are streamed site by site through one joined query, so
    memory holds one site's pages at a time and no statement grows with the number of sites."""
    usable = Website.status.not_in(UNUSABLE_STATUSES)
    if linked_only:
        usable = (Website.status == "linked") & Website.enterprise_id.is_not(None)
    websites = {
        row.id: row for row in session.execute(
            select(Website.id, Website.url, Website.domain, Website.enterprise_id, Enterprise.country)
            .outerjoin(Enterprise, Enterprise.id == Website.enterprise_id).where(usable))}
    if not websites:
        return []
    rows = session.execute(
        select(Page.website_id, Page.url, Page.final_url, Page.depth, Page.title, Page.text,
               Page.links, Page.structured_data)
        .join(Website, Website.id == Page.website_id)
        .where(usable, Page.outcome == "ok")
        .order_by(Page.website_id, Page.depth, Page.id),
        execution_options={"yield_per": PAGE_BATCH})
    out: list[SiteFacts] = []
    current: int | None = None
    site_pages: list[dict] = []
    for website_id, url, final_url, depth, title, text, links, structured in rows:
        if website_id != current:
            if site_pages:
                out.append(_site_facts(websites[current], site_pages))
            current, site_pages = website_id, []
        site_pages.append({"url": url, "final_url": final_url, "depth": depth, "title": title,
                           "text": text, "links": links, "structured_data": structured})
    if site_pages:
        out.append(_site_facts(websites[current], site_pages))
    return out


def site_facts(website: Any, site_pages: list[dict]) -> SiteFacts:
    """SiteFacts of one site from its page dicts (`website`: id, url, domain, enterprise_id,
    country), pages in crawl order (depth, id): what `load_sites` yields per site."""
    return _site_facts(website, site_pages)


def _site_facts(website: Any, site_pages: list[dict]) -> SiteFacts:
    country = site_country(website.domain, website.country or "")
    facts = extract_site_facts(site_pages, country, website.domain)
    facts.site_id, facts.url, facts.attached_enterprise_id = website.id, website.url, website.enterprise_id
    home = site_pages[0]
    facts.home_final_url = home.get("final_url") or home["url"]
    link_urls = [str(link.get("url") if isinstance(link, dict) else link) for link in home.get("links") or []]
    facts.parked = parked_reason(home.get("text") or "", facts.home_final_url, link_urls)
    return facts


def _redirect_sources(sites: list[SiteFacts]) -> dict[int, str]:
    """{site id: target domain} for sites whose home page redirects to another site that is
    itself in the store: the target is matched, the alias is not (it would tie with it)."""
    domains = {s.domain for s in sites}
    out = {}
    for s in sites:
        target = registered_domain(s.home_final_url) if s.home_final_url else s.domain
        if target != s.domain and target in domains:
            out[s.site_id] = target
    return out


def _record_model(session: Session, scorer: MatchScorer) -> None:
    """The scorer that made the links, versioned in the model table (provenance)."""
    upsert_model(session, name="register-match", version=scorer.version or "unversioned",
                 kind="matching", training_data_sha256=scorer.training_data_sha256 or None,
                 metrics=scorer.metrics, params=scorer.to_dict())


@dataclass
class MatchSummary:
    enterprises: int
    sites: int
    pairs_compared: int
    linked: int
    unlinked: int  # previously linked sites released
    parked: int = 0  # sites found parked (status set to 'parked', not matched)
    redirects: int = 0  # sites redirecting to another stored site (the target is matched)


def match_store(engine: Engine, settings: Settings, scorer: MatchScorer | None = None) -> MatchSummary:
    threshold = settings.getfloat("ECOMSTAT_MATCH_THRESHOLD")
    if not 0.0 <= threshold <= 1.0:
        raise ConfigurationError(f"the match threshold is a probability in [0, 1], got {threshold}")
    scorer = scorer or MatchScorer.load()
    webmail = load_webmail().domains
    with Session(engine) as session, session.begin():
        records = load_records(session)
        sites = load_sites(session)
        parked = 0
        for site in sites:
            if site.parked:
                website = session.get(Website, site.site_id)
                if website.status != "linked" or website.found_by != "manual":
                    website.status = "parked"
                    website.match_evidence = {"parked": site.parked}
                    parked += 1
        aliases = _redirect_sources(sites)
        for site_id, target in aliases.items():
            website = session.get(Website, site_id)
            if website.found_by == "manual" and website.status == "linked":
                continue  # a link made by hand stands, whatever the site redirects to
            website.match_evidence = {"redirects_to": target}
            if website.status == "linked":
                website.status = "verified"
        sites = [s for s in sites if not s.parked and s.site_id not in aliases]
        manual = set(session.scalars(select(Website.enterprise_id).where(
            Website.found_by == "manual", Website.status == "linked")))
        usable_records = [r for r in records if r.id not in manual]
        manual_sites = {s.site_id for s in sites if s.attached_enterprise_id in manual}
        usable_sites = [s for s in sites if s.site_id not in manual_sites]
        result = match_records(usable_records, usable_sites, scorer, threshold, webmail=webmail)

        best_for_site: dict[int, float] = {}
        for pair in result.scored:
            site = usable_sites[pair.site]
            if site.attached_enterprise_id == usable_records[pair.record].id:
                best_for_site[site.site_id] = pair.probability
        linked_ids = set()
        for pair in result.links:
            rec, site = usable_records[pair.record], usable_sites[pair.site]
            website = session.get(Website, site.site_id)
            website.status = "linked"
            website.enterprise_id = rec.id
            website.match_score = round(pair.probability, 6)
            website.match_evidence = evidence(rec, site, pair, scorer)
            linked_ids.add(site.site_id)
        released = 0
        for site in usable_sites:
            if site.site_id in linked_ids:
                continue
            website = session.get(Website, site.site_id)
            if website.status == "linked":
                website.status = "verified"
                released += 1
            if site.site_id in best_for_site:
                website.match_score = round(best_for_site[site.site_id], 6)
        _record_model(session, scorer)
        return MatchSummary(len(usable_records), len(usable_sites), result.pairs_compared,
                            len(linked_ids), released, parked, len(aliases))
